"""FakeWordPress: a stateful in-memory WordPress REST API (aiohttp app) for the engine's tests.

It behaves like the real WordPress 6.1.9 that scripts/wp-local.sh runs (shared/docs/wordpress.md
§13, re-checked by tests/contract/test_wordpress_contract.py against both): application-password
Basic auth where a wrong password is *anonymous*, posts with WordPress slug/date/search rules,
media uploads (raw body + Content-Disposition, or multipart) with type sniffing and file-name
rules, categories/tags with `term_exists`, pagination headers, `_fields`, `?rest_route=`,
`GET /wp/v2/settings` (admins only), a home page that advertises the REST root (Link header and
`<link rel="https://api.w.org/">`).

Site modes (constructor): `permalinks="plain"` (REST only through `?rest_route=`, `/wp-json/…` 301s
to the home page), `subfolder="/blog"`, `strip_authorization` (a server that drops the header:
every request is anonymous), `rest_blocked=(status, code, message)` (a security plugin),
`upload_folder_race` (the first upload into a new month folder answers 500 once).

Failure injection: `FailRule`s are checked before each request (429 with Retry-After, 5xx,
dropped connections, hangs, or "do the effect then fail" to simulate a lost 201).

    fake = FakeWordPress(timezone="Asia/Seoul")
    server = aiohttp.test_utils.TestServer(fake.app()); await server.start_server()
    fake.rules.append(FailRule("POST", r"/wp/v2/media$", status=503, times=2, retry_after="1"))

State is public for assertions: `posts`, `media`, `terms` (id -> dict; text fields hold the raw
values), `files` (uploads path such as "2026/11/a.png" -> bytes), `requests` ((method, path_qs)).
The route handlers live in wp_posts.py, wp_media.py and wp_terms.py (mixins of this class).
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from tests.fakes.wp_comments import CommentRoutes
from tests.fakes.wp_media import MediaRoutes
from tests.fakes.wp_posts import PostRoutes
from tests.fakes.wp_rest import Call, Params, WPError
from tests.fakes.wp_state import WPState
from tests.fakes.wp_terms import TermRoutes

__all__ = ["FailRule", "FakeWordPress"]


@dataclass
class FailRule:
    """Make matching requests fail: `times` of them, after letting `after` of them pass."""

    method: str  # "POST", "GET", "*"
    path: str  # regex searched in the request path (e.g. r"/wp/v2/media$")
    status: int = 500  # 429, 500, 503, 400 ...; 0 = drop the connection; -1 = hang
    times: int = 1  # how many matching requests fail, then it passes through
    retry_after: str | None = None
    code: str = "fake_failure"  # the WP error "code" in the JSON body
    after: int = 0  # let this many matching requests pass before failing
    effect_then_fail: bool = False  # perform the real effect THEN answer with the failure
    seen: int = field(default=0, init=False)  # matching requests so far
    fired: int = field(default=0, init=False)  # failures injected so far

    def matches(self, method: str, paths: list[str]) -> bool:
        return (self.method == "*" or self.method.upper() == method) and any(
            re.search(self.path, p) for p in paths
        )


Handler = Callable[..., Awaitable[web.StreamResponse]]


class FakeWordPress(PostRoutes, MediaRoutes, TermRoutes, CommentRoutes, WPState):
    """In-memory WordPress REST API; see the module docstring."""

    def __init__(
        self,
        *,
        user: str = "admin",
        app_password: str = "abcd efgh ijkl mnop qrst uvwx",
        timezone: str = "Asia/Seoul",
        latency_s: float = 0.0,
        base_url: str | None = None,
        permalinks: str = "pretty",
        subfolder: str = "",
        strip_authorization: bool = False,
        rest_blocked: tuple[int, str, str] | None = None,
        upload_folder_race: bool = False,
    ) -> None:
        self.user = user
        self.email = f"{user}@example.com"
        self.app_password = app_password
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.latency_s = latency_s
        self.base_url = base_url.rstrip("/") if base_url else None
        # "pretty" (/%postname%/, REST at /wp-json/) or "plain" (REST only at ?rest_route=, /wp-json/…
        # answers 301 to the home page, post links are ?p=ID), as WordPress with "Plain" permalinks.
        self.permalinks = permalinks
        # WordPress installed in a subfolder ("/blog"): everything lives under it, nothing outside.
        self.subfolder = subfolder.rstrip("/")
        # A server in front that drops the Authorization header (Apache + CGI without SetEnvIf).
        self.strip_authorization = strip_authorization
        # A security plugin blocking the REST API: (status, code, message) for every REST request,
        # and no api.w.org link on the pages (such plugins remove it).
        self.rest_blocked = rest_blocked
        # Two first uploads of a month race to create uploads/YYYY/MM: the first upload into a new
        # month folder answers 500 rest_upload_sideload_error once, the next one succeeds.
        self.upload_folder_race = upload_folder_race
        self.folders_made: set[str] = set()
        # "administrator" or "subscriber" (authenticated but not allowed: 403 on writes).
        self.role = "administrator"
        # Seconds a FailRule with status -1 hangs (ended early when the app shuts down).
        self.hang_s = 600.0
        # The clock (aware UTC); tests may replace it for deterministic dates and upload folders.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.refuse_upload_types: set[str] = {
            "image/svg+xml",
            "application/x-msdownload",
            "application/x-php",
            "text/html",
        }
        self.posts: dict[int, dict[str, Any]] = {}
        # Revisions (id -> {id, parent, title, content, excerpt, date_gmt}): like WordPress, an update
        # that changes the title, content or excerpt of a post stores one (drafts included).
        self.revisions: dict[int, dict[str, Any]] = {}
        self.media: dict[int, dict[str, Any]] = {}
        self.terms: dict[int, dict[str, Any]] = {
            1: {
                "id": 1,
                "taxonomy": "category",
                "name": "Uncategorized",
                "slug": "uncategorized",
                "parent": 0,
                "description": "",
                "count": 0,
            },
        }
        self.files: dict[str, bytes] = {}
        self.rules: list[FailRule] = []
        self.requests: list[tuple[str, str]] = []
        self._next_id = 1  # posts and attachments share one id sequence, like wp_posts
        self._next_term_id = 2  # 1 is "Uncategorized"
        self.comments: dict[int, dict[str, Any]] = {}
        self._next_comment_id = 1
        self._shutdown: asyncio.Event | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._route_table()

    # ---------------------------------------------------------------- public helpers

    def app(self) -> web.Application:
        """A fresh aiohttp application serving this fake's state."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self._shutdown = asyncio.Event()

        async def on_shutdown(_app: web.Application) -> None:
            if self._shutdown is not None:
                self._shutdown.set()  # end hanging handlers so the server stops promptly

        app.on_shutdown.append(on_shutdown)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    def writes(self) -> int:
        """Number of requests received that were not GET/HEAD."""
        return sum(1 for method, _ in self.requests if method not in ("GET", "HEAD"))

    def reset_counters(self) -> None:
        """Forget recorded requests (state is kept)."""
        self.requests.clear()

    # ---------------------------------------------------------------- request entry

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.rel_url.path_qs))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        path = request.path
        if self.subfolder:
            if path != self.subfolder and not path.startswith(self.subfolder + "/"):
                return web.Response(status=404, text="<html><body>Not Found</body></html>", content_type="text/html")
            path = path[len(self.subfolder) :] or "/"
        method = request.method.upper()
        route = self._rest_route(request, path)
        if route is not None and self.permalinks == "plain" and "rest_route" not in request.query:
            # Plain permalinks: no rewrite rule for /wp-json/; WordPress redirects to the home page.
            raise web.HTTPMovedPermanently(self.site_base(request) + "/")
        if route is not None and self.rest_blocked is not None:
            status, code, message = self.rest_blocked
            return self._json({"code": code, "message": message, "data": {"status": status}}, status)
        paths = [path] + ([f"/wp-json{route}"] if route is not None else [])
        rule = next((r for r in self.rules if r.matches(method, paths) and self._rule_fires(r)), None)
        if rule is not None and not rule.effect_then_fail:
            return await self._inject(request, rule)
        response = await self._serve(request, route, path)
        if rule is not None:
            return await self._inject(request, rule)
        return response

    def site_base(self, request: web.Request) -> str:
        """The WordPress address (home) as the client reached it: origin plus the subfolder."""
        return (self.base_url or f"{request.scheme}://{request.host}") + self.subfolder

    def rest_root(self, base: str) -> str:
        """The REST root WordPress advertises (`get_rest_url()`)."""
        return f"{base}/index.php?rest_route=/" if self.permalinks == "plain" else f"{base}/wp-json/"

    def _front_page(self, request: web.Request, status: int) -> web.StreamResponse:
        """A theme page: what WordPress serves outside the REST API, advertising the REST root."""
        base = self.site_base(request)
        link = "" if self.rest_blocked else f"<link rel='https://api.w.org/' href='{self.rest_root(base)}' />"
        page = (
            f"<!DOCTYPE html><html><head><title>Test Blog</title>{link}"
            f"<link rel='stylesheet' href='{base}/wp-includes/css/dist/block-library/style.min.css' />"
            f"<meta name='generator' content='WordPress 6.1.9' /></head>"
            f"<body>{'Not Found' if status == 404 else 'Hello'}</body></html>"
        )
        headers = {} if self.rest_blocked else {"Link": f'<{self.rest_root(base)}>; rel="https://api.w.org/"'}
        return web.Response(status=status, text=page, content_type="text/html", headers=headers)

    @staticmethod
    def _rule_fires(rule: FailRule) -> bool:
        rule.seen += 1
        if rule.seen <= rule.after or rule.fired >= rule.times:
            return False
        rule.fired += 1
        return True

    async def _inject(self, request: web.Request, rule: FailRule) -> web.StreamResponse:
        if rule.status == 0:
            # Drop the connection without an answer (the client sees a disconnect).
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        if rule.status == -1:
            assert self._shutdown is not None
            try:
                await asyncio.wait_for(self._shutdown.wait(), self.hang_s)
            except TimeoutError:
                pass
            return self._json({"code": rule.code, "message": "Injected hang.", "data": {"status": 504}}, 504)
        headers = {"Retry-After": rule.retry_after} if rule.retry_after is not None else None
        body = {"code": rule.code, "message": "Injected failure.", "data": {"status": rule.status}}
        return self._json(body, rule.status, headers)

    @staticmethod
    def _rest_route(request: web.Request, path: str) -> str | None:
        if "rest_route" in request.query:
            return "/" + request.query["rest_route"].strip("/") if request.query["rest_route"] != "/" else ""
        if path == "/wp-json" or path.startswith("/wp-json/"):
            return path[len("/wp-json") :].rstrip("/")
        return None

    async def _serve(self, request: web.Request, route: str | None, path: str) -> web.StreamResponse:
        if route is None:
            if request.method in ("GET", "HEAD") and path.startswith("/wp-content/uploads/"):
                return self._serve_upload(path[len("/wp-content/uploads/") :])
            if request.method in ("GET", "HEAD") and path in ("/", "/index.php"):
                return self._front_page(request, 200)
            return self._front_page(request, 404)
        try:
            call = await self._make_call(request, route)
            method = call.method
            for route_method, pattern, handler in self._routes:
                m = pattern.fullmatch(route)
                if m and route_method == method:
                    return await handler(call, *m.groups())
            raise WPError(404, "rest_no_route", "No route was found matching the URL and request method.")
        except WPError as exc:
            return self._json(exc.body(), exc.status)

    def _serve_upload(self, rel: str) -> web.StreamResponse:
        data = self.files.get(rel)
        if data is None:
            return web.Response(status=404, text="Not Found")
        mime = next((m["mime_type"] for m in self.media.values() if m["file"] == rel), None)
        mime = mime or mimetypes.guess_type(rel)[0] or "application/octet-stream"
        return web.Response(body=data, content_type=mime)

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"", self._index),
            ("GET", r"/wp/v2/users/me", self._users_me),
            ("GET", r"/wp/v2/settings", self._settings),
            ("GET", r"/wp/v2/posts", self.posts_list),
            ("POST", r"/wp/v2/posts", self.post_create),
            ("GET", r"/wp/v2/posts/(\d+)", self.post_get),
            ("POST", r"/wp/v2/posts/(\d+)", self.post_update),
            ("PUT", r"/wp/v2/posts/(\d+)", self.post_update),
            ("PATCH", r"/wp/v2/posts/(\d+)", self.post_update),
            ("DELETE", r"/wp/v2/posts/(\d+)", self.post_delete),
            ("GET", r"/wp/v2/posts/(\d+)/revisions", self.revisions_list),
            ("DELETE", r"/wp/v2/posts/(\d+)/revisions/(\d+)", self.revision_delete),
            ("GET", r"/wp/v2/pages", self.pages_list),
            ("POST", r"/wp/v2/pages", self.page_create),
            ("GET", r"/wp/v2/pages/(\d+)", self.page_get),
            ("POST", r"/wp/v2/pages/(\d+)", self.page_update),
            ("PUT", r"/wp/v2/pages/(\d+)", self.page_update),
            ("PATCH", r"/wp/v2/pages/(\d+)", self.page_update),
            ("DELETE", r"/wp/v2/pages/(\d+)", self.page_delete),
            ("GET", r"/wp/v2/media", self.media_list),
            ("POST", r"/wp/v2/media", self.media_create),
            ("GET", r"/wp/v2/media/(\d+)", self.media_get),
            ("POST", r"/wp/v2/media/(\d+)", self.media_update),
            ("PUT", r"/wp/v2/media/(\d+)", self.media_update),
            ("PATCH", r"/wp/v2/media/(\d+)", self.media_update),
            ("DELETE", r"/wp/v2/media/(\d+)", self.media_delete),
            ("GET", r"/wp/v2/comments", self.comments_list),
            ("POST", r"/wp/v2/comments", self.comment_create),
            ("DELETE", r"/wp/v2/comments/(\d+)", self.comment_delete),
        ]
        for rest_base in ("categories", "tags"):
            table += [
                ("GET", rf"/wp/v2/({rest_base})", self.terms_list),
                ("POST", rf"/wp/v2/({rest_base})", self.term_create),
                ("GET", rf"/wp/v2/({rest_base})/(\d+)", self.term_get),
                ("POST", rf"/wp/v2/({rest_base})/(\d+)", self.term_update),
                ("PUT", rf"/wp/v2/({rest_base})/(\d+)", self.term_update),
                ("PATCH", rf"/wp/v2/({rest_base})/(\d+)", self.term_update),
                ("DELETE", rf"/wp/v2/({rest_base})/(\d+)", self.term_delete),
            ]
        return [(m, re.compile(p), h) for m, p, h in table]

    async def _make_call(self, request: web.Request, route: str) -> Call:
        base = self.site_base(request)
        method = request.method.upper()
        # WordPress honours ?_method= and X-HTTP-Method-Override on POST.
        override = request.query.get("_method") or request.headers.get("X-HTTP-Method-Override")
        if method == "POST" and override:
            method = override.upper()
        if method == "HEAD":
            method = "GET"
        query = MultiDictProxy(MultiDict((k, v) for k, v in request.query.items() if k != "rest_route"))
        ctype = request.content_type
        json_body: dict[str, Any] | None = None
        form: MultiDict[str] | None = None
        files: dict[str, tuple[str, str, bytes]] = {}
        body = b""
        multipart = ctype.startswith("multipart/")
        if multipart:
            form = MultiDict()
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                disposition = part.headers.get("Content-Disposition", "")  # type: ignore[union-attr]
                name = _disposition_param(disposition, "name") or ""
                filename = _disposition_param(disposition, "filename")
                data = await part.read()  # type: ignore[union-attr]
                if filename is not None:
                    files[name] = (filename, part.headers.get("Content-Type", ""), bytes(data))  # type: ignore[union-attr]
                else:
                    form.add(name, bytes(data).decode("utf-8", "replace"))
        elif method != "GET":
            body = await request.read()
            if ctype == "application/json" and body.strip():
                try:
                    parsed = json.loads(body)
                except ValueError:
                    raise WPError(
                        400,
                        "rest_invalid_json",
                        "Invalid JSON body passed.",
                        data={"json_error_code": 4, "json_error_message": "Syntax error"},
                    ) from None
                json_body = parsed if isinstance(parsed, dict) else {}
            elif ctype == "application/x-www-form-urlencoded":
                form = MultiDict((k, v) for k, v in (await request.post()).items() if isinstance(v, str))
        return Call(
            method=method,
            route=route,
            params=Params(query, form, json_body),
            base=base,
            user_role=self._role_of(request),
            headers=request.headers,
            body=body,
            files=files,
            multipart=multipart,
            query_pairs=list(query.items()),
        )

    def _role_of(self, request: web.Request) -> str:
        """Basic auth with the application password (spaces optional), by login or e-mail.

        Anything else is anonymous, never an error: WordPress records `incorrect_password` but
        the REST server resets the user before that error could be returned.
        """
        header = "" if self.strip_authorization else request.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return "anonymous"
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except ValueError:
            return "anonymous"
        login, _, password = decoded.partition(":")
        if login not in (self.user, self.email):
            return "anonymous"
        if password.replace(" ", "") != self.app_password.replace(" ", ""):
            return "anonymous"
        return self.role

    # ---------------------------------------------------------------- index and users

    async def _index(self, call: Call) -> web.StreamResponse:
        offset = self.clock().astimezone(self.tz).utcoffset()
        hours = offset.total_seconds() / 3600 if offset is not None else 0.0
        return self._json(
            {
                "name": "Test Blog",
                "description": "",
                "url": call.base,
                "home": call.base,
                "gmt_offset": int(hours) if hours.is_integer() else hours,
                "timezone_string": "" if self.timezone == "UTC" else self.timezone,
                "namespaces": ["oembed/1.0", "wp/v2", "wp-site-health/v1", "wp-block-editor/v1"],
                "authentication": {
                    "application-passwords": {
                        "endpoints": {"authorization": f"{call.base}/wp-admin/authorize-application.php"}
                    }
                },
                "routes": {},
                "site_logo": 0,
                "site_icon": 0,
                "site_icon_url": "",
            }
        )

    async def _settings(self, call: Call) -> web.StreamResponse:
        # manage_options only: 401 anonymous, 403 for a subscriber (both `rest_forbidden`).
        if not call.can_edit:
            raise call.deny("rest_forbidden", "Sorry, you are not allowed to do that.")
        return self._json(
            {
                "title": "Test Blog",
                "description": "",
                "url": call.base,
                "email": self.email,
                "timezone": self.timezone,
                "date_format": "F j, Y",
                "time_format": "g:i a",
                "start_of_week": 1,
                "language": "en_US",
                "use_smilies": True,
                "default_category": 1,
                "default_post_format": "0",
                "posts_per_page": 10,
                "show_on_front": "posts",
                "page_on_front": 0,
                "page_for_posts": 0,
                "default_ping_status": "open",
                "default_comment_status": "open",
                "site_logo": None,
                "site_icon": 0,
            }
        )

    async def _users_me(self, call: Call) -> web.StreamResponse:
        if call.anonymous:
            raise WPError(401, "rest_not_logged_in", "You are not currently logged in.")
        ctx = call.context()
        subscriber = call.user_role == "subscriber"
        me: dict[str, Any] = {
            "id": 2 if subscriber else 1,
            "name": self.user,
            "url": "" if subscriber else call.base,
            "description": "",
            "link": f"{call.base}/author/{self.user}/",
            "slug": self.user,
            "avatar_urls": {
                str(size): f"http://2.gravatar.com/avatar/0?s={size}&d=mm&r=g" for size in (24, 48, 96)
            },
            "meta": [],
        }
        if ctx == "edit":
            me.update(
                {
                    "username": self.user,
                    "email": self.email,
                    "roles": [call.user_role],
                    "first_name": "",
                    "last_name": "",
                    "nickname": self.user,
                    "locale": "en_US",
                    "registered_date": "2026-01-01T00:00:00+00:00",
                    "capabilities": {},
                    "extra_capabilities": {call.user_role: True},
                }
            )
        return self._json(me)


def _disposition_param(header: str, name: str) -> str | None:
    """A `name=` / `filename=` value of a multipart part header, as PHP reads it (no decoding)."""
    m = re.search(rf'(?:^|;)\s*{name}="([^"]*)"', header) or re.search(rf"(?:^|;)\s*{name}=([^;]*)", header)
    if not m:
        return None
    value = m.group(1).strip()
    if name == "filename":
        value = re.split(r"[/\\]", value)[-1]  # PHP keeps only the base name
    return value
