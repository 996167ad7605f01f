"""WordPressClient: everything migrator writes to or reads from WordPress through its REST API (wp/v2).

Behaviours it relies on (see docs/wordpress.md, checked on a real WordPress 6.1): a wrong application
password is treated as anonymous (401 on /users/me), `?slug=`/`?search=` see drafts only with
`status=any`, `term_exists` carries the existing term's id, media deletes need `force=true`, and
a raw-body upload takes its fields from the query string.
"""

from __future__ import annotations

import asyncio
import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from migrator.errors import AuthError, PermanentError, RateLimited, TransientError
from migrator.http import HttpClient, Response

__all__ = ["WordPressClient", "WpMedia", "WpPermalink", "WpPost", "local_and_gmt"]

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


@dataclass(frozen=True, slots=True)
class WpPost:
    id: int
    status: str
    slug: str
    link: str
    content_raw: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WpPost:
        content = data.get("content") or {}
        return cls(
            id=int(data["id"]),
            status=str(data.get("status", "")),
            slug=str(data.get("slug") or data.get("generated_slug") or ""),
            link=str(data.get("link", "")),
            content_raw=content.get("raw") if isinstance(content, dict) else None,
        )


@dataclass(frozen=True, slots=True)
class WpPermalink:
    """What decides a post's public address: its link now, and (edit context) the permalink template
    and slug WordPress shows for a draft (`permalink_template` holds `%postname%` where the slug goes)."""

    id: int
    status: str
    slug: str
    link: str
    permalink_template: str | None = None
    generated_slug: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WpPermalink:
        return cls(
            id=int(data["id"]),
            status=str(data.get("status", "")),
            slug=str(data.get("slug") or ""),
            link=str(data.get("link", "")),
            permalink_template=data.get("permalink_template") or None,
            generated_slug=data.get("generated_slug") or None,
        )


@dataclass(frozen=True, slots=True)
class WpMedia:
    id: int
    source_url: str
    post: int | None
    description_raw: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WpMedia:
        desc = data.get("description") or {}
        return cls(
            id=int(data["id"]),
            source_url=str(data.get("source_url", "")),
            post=data.get("post") or None,
            description_raw=desc.get("raw") if isinstance(desc, dict) else None,
        )


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

    def __init__(self, http: HttpClient, base_url: str, user: str, app_password: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.api = self.base_url + "/wp-json/wp/v2"
        self.user = user
        # The header is built once and kept only here; it is never logged or put in a message.
        self._auth = {"Authorization": aiohttp.encode_basic_auth(user, app_password)}
        self.site_tz: tzinfo = UTC

    def __repr__(self) -> str:
        return f"WordPressClient(base_url={self.base_url!r}, user={self.user!r})"

    async def _req(self, method: str, path: str, **kw: Any) -> Any:
        headers = {**self._auth, **kw.pop("headers", {})}
        return await self.http.request(method, self.api + path, headers=headers, **kw)

    # ------------------------------------------------------------------ session checks
    async def check_auth(self) -> dict[str, Any]:
        """Verify the credentials can write posts. Raises AuthError with a message a user can act on."""
        try:
            resp = await self._req("GET", "/users/me", params={"context": "edit"}, allow=(404,))
        except AuthError as exc:
            if exc.status == 401:
                raise AuthError(
                    "WordPress did not accept WP_APP_USER / WP_APP_PASSWORD (HTTP 401). Check the user name "
                    "and that the password is an application password (Users → Profile → Application "
                    "Passwords), not the login password; over plain http WordPress also needs "
                    "WP_ENVIRONMENT_TYPE=local",
                    url=self.api + "/users/me",
                    status=401,
                ) from None
            raise
        except PermanentError as exc:
            if exc.status == 403:
                raise AuthError(
                    "WordPress refused the REST API to this user (HTTP 403); a security plugin may be blocking "
                    "REST requests",
                    url=self.api + "/users/me",
                    status=403,
                ) from None
            raise
        if resp.status == 404:
            raise AuthError(
                "WP_BASE_URL does not look like a WordPress site with the REST API (no /wp-json/wp/v2/users/me)",
                url=self.api,
                status=404,
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

    async def load_site_timezone(self) -> tzinfo:
        """The site's time zone from the REST index (`timezone_string`, else `gmt_offset`)."""
        resp = await self.http.request("GET", self.base_url + "/wp-json/", headers=self._auth, allow=(404,))
        tz: tzinfo = UTC
        if resp.status == 200:
            data = resp.json()
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

    # ------------------------------------------------------------------ posts
    async def create_post(self, fields: Mapping[str, Any]) -> WpPost:
        # Never retried blindly: a create whose answer was lost may have happened (the caller looks
        # its marker up before trying again).
        resp = await self._req(
            "POST", "/posts", json=dict(fields), params={"context": "edit"}, ok=(201, 200), max_retries=0
        )
        return WpPost.from_json(resp.json())

    async def update_post(self, post_id: int, fields: Mapping[str, Any]) -> WpPost:
        resp = await self._req("POST", f"/posts/{post_id}", json=dict(fields), params={"context": "edit"})
        return WpPost.from_json(resp.json())

    async def get_post(self, post_id: int) -> WpPost | None:
        """The post in edit context; None when it does not exist (or is in the trash)."""
        resp = await self._req("GET", f"/posts/{post_id}", params={"context": "edit"}, allow=(404, 410))
        if resp.status != 200:
            return None
        post = WpPost.from_json(resp.json())
        return None if post.status == "trash" else post

    async def delete_post(self, post_id: int) -> bool:
        """Delete for good. False when it was already gone (404/410)."""
        resp = await self._req("DELETE", f"/posts/{post_id}", params={"force": "true"}, allow=(404, 410))
        return resp.status == 200

    async def find_posts_by_marker(self, marker: str) -> list[WpPost]:
        """Posts of any status whose raw content contains `marker` exactly."""
        found: list[WpPost] = []
        page = 1
        while True:
            resp = await self._req(
                "GET",
                "/posts",
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
    async def get_permalinks(self, post_ids: list[int]) -> dict[int, WpPermalink]:
        """Address data of many posts (any status but trash), 100 per request. Missing ids are absent."""
        found: dict[int, WpPermalink] = {}
        ids = sorted(set(post_ids))
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            resp = await self._req(
                "GET",
                "/posts",
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


def _same_term_name(stored: str, wanted: str) -> bool:
    # WordPress stores names HTML-escaped (& -> &amp;) and compares them case-insensitively; the
    # wanted name may be in either form.
    return html.unescape(stored).strip().casefold() == html.unescape(wanted).strip().casefold()


def encode_slug_for_query(slug: str) -> str:
    """The slug as WordPress stores it (lower-case percent-encoded UTF-8), for `?slug=` lookups."""
    return quote(slug, safe="-_.~%").lower()
