"""WordPressClient: everything migrator writes to or reads from WordPress through its REST API (wp/v2).

Behaviours it relies on (see docs/wordpress.md, checked on a real WordPress 6.1): a wrong application
password is treated as anonymous (401 on /users/me), `?slug=`/`?search=` see drafts only with
`status=any`, `term_exists` carries the existing term's id, media deletes need `force=true`, and
a raw-body upload takes its fields from the query string.

Every request goes through the REST root the site advertises (site.py: `…/wp-json/`, or
`…/index.php?rest_route=/` with Plain permalinks, under a subfolder when WordPress lives in one),
found by the preflight (`check_auth`) before anything else; WordPress answers are classified
transient or permanent by `classify_wordpress_answer` (HttpClient retries the transient ones).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from migrator.errors import AuthError, PermanentError, RateLimited, SiteError, TransientError
from migrator.http import HttpClient, Response
from migrator.wordpress.records import WpMedia, WpPermalink, WpPost
from migrator.wordpress.site import BLOCKERS, RestRoot, SiteInfo, discover

__all__ = [
    "WordPressClient",
    "WpMedia",
    "WpPermalink",
    "WpPost",
    "classify_wordpress_answer",
    "local_and_gmt",
]

# 500 answers of WordPress that retrying cannot fix (file type refused, file too large for PHP).
PERMANENT_WP_CODES = frozenset(
    {
        "rest_upload_sideload_error",
        "rest_upload_unknown_error",
        "rest_upload_file_too_big",
        "rest_upload_limited_space",
        "rest_upload_user_quota_exceeded",
    }
)


# Answers that say "not now" although their code is one of the refusals above, or a database error:
# two first uploads of a month racing to create wp-content/uploads/YYYY/MM (the next try succeeds),
# and MySQL lock-wait timeouts / deadlocks, which WordPress reports as db_insert_error/db_update_error
# (with HTTP 500, or 400 for media). The folder is matched by its path too: the message is translated.
TRANSIENT_WP_CODES = frozenset({"db_insert_error", "db_update_error"})
_UPLOAD_FOLDER_RACE = re.compile(r"Unable to create directory|uploads/\d{4}/\d{2}")
_DB_BUSY = re.compile(r"Lock wait timeout|Deadlock found|try restarting transaction", re.IGNORECASE)
# Credentials WordPress read and refused (they did reach it), unlike an anonymous rest_not_logged_in.
WRONG_CREDENTIAL_CODES = frozenset({"incorrect_password", "invalid_username", "invalid_email"})


def _wp_error(resp: Response) -> tuple[str, str]:
    try:
        data = json.loads(resp.body[:20000].decode("utf-8", "replace"))
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("code") or ""), str(data.get("message") or "")


def classify_wordpress_answer(resp: Response) -> str | None:
    """"transient", "permanent" or None (the generic status rules) for a WordPress error answer."""
    if resp.status < 400:
        return None
    code, message = _wp_error(resp)
    if code in ("rest_upload_sideload_error", "rest_upload_unknown_error") and _UPLOAD_FOLDER_RACE.search(message):
        return "transient"
    if code in TRANSIENT_WP_CODES or _DB_BUSY.search(message):
        return "transient"
    if code in PERMANENT_WP_CODES:
        return "permanent"
    if resp.status >= 500 and resp.status not in (501, 505) and not code:
        return "transient"  # a proxy's 502/504, PHP's fatal-error 500, a CDN's 52x: try again
    return None


def _safe_disposition_name(filename: str) -> str:
    # WordPress parses only `filename="..."` (filename*= alone is refused); aiohttp sends str headers
    # as UTF-8, so Korean names arrive intact. Quotes, backslashes and control characters would
    # break the header.
    name = unicodedata.normalize("NFC", filename)
    name = re.sub(r'[\x00-\x1f\x7f"\\/]', "", name).strip() or "file"
    return name


def local_and_gmt(when: datetime, tz: tzinfo) -> tuple[str, str]:
    """WordPress `date` (site-local, naive) and `date_gmt` (UTC, naive) for an aware datetime."""
    if when.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    local = when.astimezone(tz).replace(tzinfo=None)
    gmt = when.astimezone(UTC).replace(tzinfo=None)
    return local.isoformat(timespec="seconds"), gmt.isoformat(timespec="seconds")


class WordPressClient:
    """Talks to one WordPress site. Receives its HttpClient (session, limits, retries) ready made."""

    def __init__(
        self,
        http: HttpClient,
        base_url: str,
        user: str,
        app_password: str,
        *,
        root: RestRoot | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        # Every request goes through this root; the preflight replaces it with the advertised one.
        self.root = root or RestRoot.pretty(self.base_url)
        self.user = user
        # The header is built once and kept only here; it is never logged or put in a message.
        self._auth = {"Authorization": aiohttp.encode_basic_auth(user, app_password)}
        self.site_tz: tzinfo = UTC
        self.site: SiteInfo | None = None
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"WordPressClient(base_url={self.base_url!r}, user={self.user!r})"

    @property
    def api(self) -> str:
        """The address of wp/v2, for messages."""
        return self.root.display("/wp/v2")

    async def _req(self, method: str, path: str, **kw: Any) -> Any:
        headers = {**self._auth, **kw.pop("headers", {})}
        url, params = self.root.endpoint("/wp/v2" + path, kw.pop("params", None))
        return await self.http.request(method, url, headers=headers, params=params, **kw)

    # ------------------------------------------------------------------ session checks
    async def check_auth(self) -> dict[str, Any]:
        """The preflight: find the REST API (advertised root), then verify the credentials can write
        posts. Raises SiteError / AuthError with a message a user can act on."""
        self.site = await discover(self.http, self.base_url, self._auth, timeout_s=self.timeout_s)
        self.root = self.site.root
        try:
            resp = await self._req("GET", "/users/me", params={"context": "edit"}, allow=(404,))
        except AuthError as exc:
            if exc.status == 401:
                raise self._refused_credentials(exc) from None
            raise
        except PermanentError as exc:
            if exc.status == 403:
                raise AuthError(
                    f"WordPress refused the REST API to this user (HTTP 403, {exc.message}): {BLOCKERS} "
                    "may be blocking REST requests",
                    url=self.api + "/users/me",
                    status=403,
                ) from None
            raise
        if resp.status == 404:
            raise SiteError(
                f"the WordPress REST API has no /wp/v2/users/me route ({self.api}/users/me answered 404): "
                f"{BLOCKERS} hides the users endpoint; allow it for logged-in users"
            )
        data = resp.json()
        caps = data.get("capabilities") or {}
        if isinstance(caps, dict) and caps and not (caps.get("edit_posts") and caps.get("upload_files")):
            raise AuthError(
                f"the WordPress user {self.user!r} may not create posts and upload media (needs Author or above)",
                url=self.api + "/users/me",
                status=403,
            )
        return dict(data)

    def _refused_credentials(self, exc: AuthError) -> AuthError:
        """Why WordPress treated us as anonymous: refused credentials, none offered, or none received."""
        code = exc.message.split("request", 1)[-1].strip().split(":", 1)[0]
        where = self.api + "/users/me"
        auth_methods = (self.site.index.get("authentication") if self.site else None)
        if auth_methods == [] or code == "application_passwords_disabled":
            return AuthError(
                "WordPress offers no application passwords on this site (HTTP 401): they need HTTPS (or "
                "WP_ENVIRONMENT_TYPE=local), and security plugins such as Wordfence can turn them off",
                url=where, status=401,
            )
        if code in WRONG_CREDENTIAL_CODES:
            return AuthError(
                f"WordPress did not accept WP_APP_USER / WP_APP_PASSWORD (HTTP 401, {code}): check the user name "
                "and that the password is an application password (Users → Profile → Application Passwords), "
                "not the login password",
                url=where, status=401,
            )
        return AuthError(
            "WordPress treated the request as anonymous (HTTP 401, rest_not_logged_in): either WP_APP_USER / "
            "WP_APP_PASSWORD is wrong (use an application password from Users → Profile, not the login "
            "password), or the credentials never reach WordPress because the web server drops the Authorization "
            "header: on Apache add `SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1` (or `RewriteRule .* - "
            "[E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]`) to .htaccess; with CGI/FastCGI pass the header "
            "through to PHP",
            url=where, status=401,
        )

    async def load_site_timezone(self) -> tzinfo:
        """The site's time zone from the REST index (`timezone_string`, else `gmt_offset`)."""
        if self.site is not None:
            data: Any = self.site.index
        else:
            url, params = self.root.endpoint("")
            resp = await self.http.request("GET", url, params=params, headers=self._auth, allow=(404,))
            data = resp.json() if resp.status == 200 else {}
        tz: tzinfo = UTC
        if isinstance(data, dict) and data:
            name = data.get("timezone_string") or ""
            if name:
                try:
                    tz = ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    tz = UTC
            else:
                try:
                    tz = timezone(timedelta(hours=float(data.get("gmt_offset") or 0)))
                except (TypeError, ValueError):
                    tz = UTC
        self.site_tz = tz
        return tz

    # ------------------------------------------------------------------ posts (and pages)
    # Every post call takes `kind`: "post" (/wp/v2/posts) or "page" (/wp/v2/pages, same fields but
    # categories and tags, and the same answers; docs/wordpress.md).
    async def create_post(self, fields: Mapping[str, Any], *, kind: str = "post") -> WpPost:
        # Never retried blindly: a create whose answer was lost may have happened (the caller looks
        # its marker up before trying again).
        resp = await self._req(
            "POST", _route(kind), json=dict(fields), params={"context": "edit"}, ok=(201, 200), max_retries=0
        )
        return WpPost.from_json(resp.json())

    async def update_post(self, post_id: int, fields: Mapping[str, Any], *, kind: str = "post") -> WpPost:
        resp = await self._req("POST", f"{_route(kind)}/{post_id}", json=dict(fields), params={"context": "edit"})
        return WpPost.from_json(resp.json())

    async def get_post(self, post_id: int, *, kind: str = "post") -> WpPost | None:
        """The post in edit context; None when it does not exist (or is in the trash)."""
        resp = await self._req("GET", f"{_route(kind)}/{post_id}", params={"context": "edit"}, allow=(404, 410))
        if resp.status != 200:
            return None
        post = WpPost.from_json(resp.json())
        return None if post.status == "trash" else post

    async def delete_post(self, post_id: int, *, kind: str = "post") -> bool:
        """Delete for good. False when it was already gone (404/410)."""
        resp = await self._req(
            "DELETE", f"{_route(kind)}/{post_id}", params={"force": "true"}, allow=(404, 410)
        )
        return resp.status == 200

    async def find_posts_by_marker(self, marker: str, *, kind: str = "post") -> list[WpPost]:
        """Posts of any status whose raw content contains `marker` exactly."""
        found: list[WpPost] = []
        page = 1
        while True:
            resp = await self._req(
                "GET",
                _route(kind),
                params={
                    "search": marker,
                    "status": "any",
                    "context": "edit",
                    "per_page": "100",
                    "page": str(page),
                },
                allow=(400,),
            )
            if resp.status != 200:
                break
            batch = resp.json()
            for data in batch:
                post = WpPost.from_json(data)
                if post.content_raw is not None and marker in post.content_raw and post.status != "trash":
                    found.append(post)
            if len(batch) < 100 or page >= int(resp.headers.get("X-WP-TotalPages", "1") or 1):
                break
            page += 1
        return found

    async def count_posts(self, *, search: str | None = None, status: str = "any") -> int:
        params = {"status": status, "per_page": "1", "_fields": "id"}
        if search:
            params["search"] = search
        resp = await self._req("GET", "/posts", params=params)
        return int(resp.headers.get("X-WP-Total", "0") or 0)

    # ------------------------------------------------------------------ media
    async def upload_media(
        self,
        data: bytes,
        *,
        filename: str,
        mime: str,
        title: str = "",
        alt_text: str = "",
        caption: str = "",
        description: str = "",
        post: int | None = None,
    ) -> WpMedia:
        """Upload a file as the raw body; the fields travel in the query string of the same request,
        so the media is created together with its marker (no window where it exists unmarked)."""
        params: dict[str, str] = {"context": "edit"}
        for key, value in (
            ("title", title),
            ("alt_text", alt_text),
            ("caption", caption),
            ("description", description),
        ):
            if value:
                params[key] = value
        if post:
            params["post"] = str(post)
        headers = {
            "Content-Type": mime,
            "Content-Disposition": f'attachment; filename="{_safe_disposition_name(filename)}"',
        }
        resp = await self._req(
            "POST", "/media", data=data, params=params, headers=headers, ok=(201, 200), max_retries=0
        )
        return WpMedia.from_json(resp.json())

    async def update_media(self, media_id: int, fields: Mapping[str, Any]) -> WpMedia | None:
        resp = await self._req(
            "POST", f"/media/{media_id}", json=dict(fields), params={"context": "edit"}, allow=(404, 410)
        )
        return WpMedia.from_json(resp.json()) if resp.status == 200 else None

    async def get_media(self, media_id: int) -> WpMedia | None:
        resp = await self._req("GET", f"/media/{media_id}", params={"context": "edit"}, allow=(404, 410))
        return WpMedia.from_json(resp.json()) if resp.status == 200 else None

    async def delete_media(self, media_id: int) -> bool:
        resp = await self._req("DELETE", f"/media/{media_id}", params={"force": "true"}, allow=(404, 410))
        return resp.status == 200

    async def find_media_by_marker(self, marker: str) -> list[WpMedia]:
        found: list[WpMedia] = []
        page = 1
        while True:
            resp = await self._req(
                "GET",
                "/media",
                params={"search": marker, "context": "edit", "per_page": "100", "page": str(page)},
                allow=(400,),
            )
            if resp.status != 200:
                break
            batch = resp.json()
            for data in batch:
                media = WpMedia.from_json(data)
                if media.description_raw is not None and marker in media.description_raw:
                    found.append(media)
            if len(batch) < 100 or page >= int(resp.headers.get("X-WP-TotalPages", "1") or 1):
                break
            page += 1
        return found

    async def count_media(self, *, search: str | None = None) -> int:
        params = {"per_page": "1", "_fields": "id"}
        if search:
            params["search"] = search
        resp = await self._req("GET", "/media", params=params)
        return int(resp.headers.get("X-WP-Total", "0") or 0)

    # ------------------------------------------------------------------ terms
    async def ensure_term(self, taxonomy: str, name: str, *, parent: int = 0) -> tuple[int, bool]:
        """Create a category/tag or find the existing one. Returns (term id, created by us).

        `name` is in the form WordPress stores (wordpress/text.as_plain_field). Two workers (or two
        runs) creating the same term both succeed: the loser gets `term_exists` with the winner's id.
        WordPress also answers `term_exists` when only the natural SLUG is taken by a differently
        named sibling (a category "travel" next to "여행" whose slug is travel): then the term is
        created with a slug of its own. A create whose answer was lost (timeout, 5xx) may have
        happened: when the retry then finds the term, it counts as created by us, so undo removes it.
        """
        body: dict[str, Any] = {"name": name}
        if taxonomy == "categories" and parent:
            body["parent"] = parent
        answer_lost = False
        for suffix in ("", "-2", "-3", "-4", "-5"):
            if suffix:
                text = html.unescape(name).strip().lower().replace(" ", "-")
                body["slug"] = quote(text, safe="-_").lower() + suffix
            resp, lost = await self._create_term(taxonomy, body)
            answer_lost = answer_lost or lost
            data = resp.json()
            if resp.status in (200, 201):
                return int(data["id"]), True
            code = data.get("code") if isinstance(data, dict) else None
            if code != "term_exists":
                break
            term_id = (data.get("data") or {}).get("term_id")
            if term_id is None and isinstance(data.get("additional_data"), list) and data["additional_data"]:
                term_id = data["additional_data"][0]
            if term_id is None:
                found = await self._find_term(taxonomy, name, parent)
                if found is not None:
                    return found, answer_lost
                break
            existing = await self.get_term(taxonomy, int(term_id))
            if existing is None or _same_term_name(existing.get("name", ""), name):
                return int(term_id), answer_lost
        message = data.get("message", "") if isinstance(data, dict) else ""
        raise PermanentError(
            f"WordPress refused the {taxonomy[:-1] if taxonomy.endswith('s') else taxonomy} {name!r}: "
            f"{code or resp.status} {message}".rstrip(),
            url=self.api + f"/{taxonomy}",
            status=resp.status,
        )

    async def _create_term(self, taxonomy: str, body: dict[str, Any]) -> tuple[Response, bool]:
        """POST a term, retrying transient failures here rather than in HttpClient so that we know
        whether an answer was lost (WordPress may have created the term). Returns (answer, lost)."""
        attempt = 0
        lost = False
        while True:
            try:
                resp = await self._req(
                    "POST", f"/{taxonomy}", json=body, ok=(201, 200), allow=(400, 409), max_retries=0
                )
                return resp, lost
            except TransientError as exc:
                # 429/503 "too many requests" says the request was not acted on; anything else may have been.
                lost = lost or not isinstance(exc, RateLimited)
                attempt += 1
                if attempt > self.http.max_retries:
                    raise
                await asyncio.sleep(self.http.retry_delay(attempt, exc))

    async def _find_term(self, taxonomy: str, name: str, parent: int) -> int | None:
        params = {"search": html.unescape(name), "per_page": "100", "hide_empty": "false"}
        if taxonomy == "categories":
            params["parent"] = str(parent)
        resp = await self._req("GET", f"/{taxonomy}", params=params)
        for term in resp.json():
            if _same_term_name(str(term.get("name", "")), name):
                return int(term["id"])
        return None

    async def delete_term(self, taxonomy: str, term_id: int) -> bool:
        resp = await self._req("DELETE", f"/{taxonomy}/{term_id}", params={"force": "true"}, allow=(404, 410))
        return resp.status == 200

    async def get_term(self, taxonomy: str, term_id: int) -> dict[str, Any] | None:
        resp = await self._req("GET", f"/{taxonomy}/{term_id}", params={"context": "edit"}, allow=(404,))
        return dict(resp.json()) if resp.status == 200 else None

    # ---- issue 5: reads for link rewriting, redirects, undo and dry-run
    async def get_permalinks(self, post_ids: list[int], *, kind: str = "post") -> dict[int, WpPermalink]:
        """Address data of many posts (any status but trash), 100 per request. Missing ids are absent."""
        found: dict[int, WpPermalink] = {}
        ids = sorted(set(post_ids))
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            resp = await self._req(
                "GET",
                _route(kind),
                params={
                    "include": ",".join(map(str, chunk)),
                    "status": "any",
                    "context": "edit",
                    "per_page": "100",
                    "_fields": "id,status,slug,link,permalink_template,generated_slug",
                },
            )
            for data in resp.json():
                item = WpPermalink.from_json(data)
                found[item.id] = item
        return found

    async def permalink_sample(self) -> tuple[WpPermalink, str] | None:
        """One post of the site (any status) with its permalink template and site-local date: what the
        site's permalink structure is learnt from before anything is created. None: no post yet."""
        resp = await self._req(
            "GET",
            "/posts",
            params={
                "status": "any",
                "context": "edit",
                "per_page": "1",
                "_fields": "id,date,status,slug,link,permalink_template,generated_slug",
            },
            allow=(400,),
        )
        batch = resp.json() if resp.status == 200 else []
        if not batch or not isinstance(batch, list) or not isinstance(batch[0], dict):
            return None
        return WpPermalink.from_json(batch[0]), str(batch[0].get("date") or "")

    async def count_posts_with_term(self, taxonomy: str, term_id: int) -> int:
        """Posts of any status (trash included: a trashed post still holds its terms) carrying a term."""
        total = 0
        for status in ("any", "trash"):
            resp = await self._req(
                "GET",
                "/posts",
                params={taxonomy: str(term_id), "status": status, "per_page": "1", "_fields": "id"},
            )
            total += int(resp.headers.get("X-WP-Total", "0") or 0)
        return total

    async def count_child_terms(self, term_id: int) -> int:
        resp = await self._req(
            "GET",
            "/categories",
            params={"parent": str(term_id), "per_page": "1", "hide_empty": "false", "_fields": "id"},
        )
        return int(resp.headers.get("X-WP-Total", "0") or 0)

    async def list_terms(self, taxonomy: str) -> list[dict[str, Any]]:
        """Every category or tag (id, name, parent), 100 per request."""
        terms: list[dict[str, Any]] = []
        page = 1
        while True:
            resp = await self._req(
                "GET",
                f"/{taxonomy}",
                params={
                    "per_page": "100",
                    "page": str(page),
                    "hide_empty": "false",
                    "_fields": "id,name,parent",
                },
                allow=(400,),
            )
            if resp.status != 200:
                break
            batch = resp.json()
            terms.extend(dict(t) for t in batch)
            if len(batch) < 100 or page >= int(resp.headers.get("X-WP-TotalPages", "1") or 1):
                break
            page += 1
        return terms

    # ---- end issue 5 reads


def _route(kind: str) -> str:
    if kind not in ("post", "page"):
        raise ValueError(f"unknown kind {kind!r}")
    return f"/{kind}s"


def _same_term_name(stored: str, wanted: str) -> bool:
    # WordPress stores names HTML-escaped (& -> &amp;) and compares them case-insensitively; the
    # wanted name may be in either form.
    return html.unescape(stored).strip().casefold() == html.unescape(wanted).strip().casefold()


def encode_slug_for_query(slug: str) -> str:
    """The slug as WordPress stores it (lower-case percent-encoded UTF-8), for `?slug=` lookups."""
    return quote(slug, safe="-_.~%").lower()
