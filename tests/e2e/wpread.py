"""Reading a real WordPress back through its REST API, synchronously, the way a user would check it.

Everything goes through `/wp-json/wp/v2` (or `?rest_route=/wp/v2` for a WordPress with "Plain"
permalinks, `rest_route=True`) with the admin's application password and
`context=edit` (raw title and content, drafts included). Listings are paginated by `page`
(per_page=100, WordPress's maximum) until `X-WP-TotalPages`.

Tests share one WordPress per session, so `floor_id()` takes a high-water mark of the ids in use
before a test starts: posts and media share MariaDB's auto-increment id, so everything a test creates
has a larger id, and `posts_since`/`media_since` see only that test's objects.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

__all__ = ["Counts", "WPReader", "raw"]


def raw(field: Any) -> str:
    """The raw text of a title/content/description field in edit context."""
    if isinstance(field, dict):
        return str(field.get("raw", field.get("rendered", "")))
    return str(field or "")


@dataclass(frozen=True)
class Counts:
    """X-WP-Total of every collection the migration writes to."""

    posts: int
    media: int
    categories: int
    tags: int


class WPReader:
    def __init__(self, base_url: str, user: str, app_password: str, *, rest_route: bool = False) -> None:
        self.base = base_url.rstrip("/")
        self.rest_route = rest_route
        token = base64.b64encode(f"{user}:{app_password}".encode()).decode()
        self._auth = {"Authorization": f"Basic {token}"}
        self._terms: dict[tuple[str, int], dict[str, Any]] = {}

    # ------------------------------------------------------------------ plumbing
    def _url(self, route: str, params: dict[str, Any]) -> str:
        query = {k: str(v) for k, v in params.items()}
        if self.rest_route:
            return f"{self.base}/index.php?" + urlencode({"rest_route": f"/wp/v2{route}", **query})
        return f"{self.base}/wp-json/wp/v2{route}" + (f"?{urlencode(query)}" if query else "")

    def get(self, route: str, **params: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /wp-json/wp/v2{route}; returns (status, decoded JSON, headers) without raising."""
        url = self._url(route, params)
        try:
            with urlopen(Request(url, headers=self._auth), timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null"), dict(resp.headers.items())
        except HTTPError as exc:
            body = exc.read()
            try:
                data = json.loads(body or b"null")
            except ValueError:
                data = body.decode("utf-8", "replace")
            return exc.code, data, dict(exc.headers.items())

    def send(
        self,
        method: str,
        route: str,
        body: bytes | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> tuple[int, Any]:
        """A write (POST/DELETE) to /wp-json/wp/v2{route}: for tests that break things on purpose."""
        url = self._url(route, params)
        hdrs = {**self._auth, **(headers or {})}
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        # urllib sends str headers as latin-1; raw UTF-8 bytes keep Korean file names intact.
        hdrs = {k: v.encode().decode("latin-1") for k, v in hdrs.items()}
        try:
            with urlopen(Request(url, data=body, method=method, headers=hdrs), timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def get_ok(self, route: str, **params: Any) -> Any:
        status, data, _ = self.get(route, **params)
        assert status == 200, f"GET {route} {params} -> {status}: {data}"
        return data

    def total(self, route: str, **params: Any) -> int:
        status, data, headers = self.get(route, per_page=1, _fields="id", **params)
        assert status == 200, f"GET {route} -> {status}: {data}"
        return int(headers.get("X-WP-Total", "0"))

    def list_all(self, route: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            status, data, headers = self.get(route, per_page=100, page=page, **params)
            assert status == 200, f"GET {route} page {page} -> {status}: {data}"
            items.extend(data)
            if page >= int(headers.get("X-WP-TotalPages", "1") or 1):
                return items
            page += 1

    def fetch(self, url: str) -> tuple[int, str, bytes]:
        """GET any URL (an uploaded file), without credentials, like a visitor."""
        parts = urlsplit(url)
        safe_url = urlunsplit(parts._replace(path=quote(parts.path, safe="/%")))
        try:
            with urlopen(Request(safe_url), timeout=60) as resp:
                return resp.status, resp.headers.get_content_type(), resp.read()
        except HTTPError as exc:
            return exc.code, exc.headers.get_content_type(), exc.read()

    # ------------------------------------------------------------------ what a test looks at
    def counts(self) -> Counts:
        return Counts(
            posts=self.total("/posts", status="any"),
            media=self.total("/media"),
            categories=self.total("/categories", hide_empty="false"),
            tags=self.total("/tags", hide_empty="false"),
        )

    def _since(self, route: str, floor: int, **params: Any) -> list[dict[str, Any]]:
        # Newest first; stop at the first page that reaches the floor.
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            status, data, headers = self.get(
                route, orderby="id", order="desc", per_page=100, page=page, context="edit", **params
            )
            assert status == 200, f"GET {route} page {page} -> {status}: {data}"
            found.extend(item for item in data if item["id"] > floor)
            if not data or data[-1]["id"] <= floor or page >= int(headers.get("X-WP-TotalPages", "1") or 1):
                return found
            page += 1

    def floor_id(self) -> int:
        """The largest post, page or media id WordPress holds now (0 when empty; one id sequence)."""
        ids = [0]
        for route, params in (("/posts", {"status": "any"}), ("/pages", {"status": "any"}), ("/media", {})):
            status, data, _ = self.get(route, orderby="id", order="desc", per_page=1, _fields="id", **params)
            assert status == 200, f"GET {route} -> {status}: {data}"
            ids += [item["id"] for item in data]
        return max(ids)

    def posts_since(self, floor: int) -> list[dict[str, Any]]:
        """Posts of any status (trash excluded) created after `floor_id()` was taken."""
        return self._since("/posts", floor, status="any")

    def pages_since(self, floor: int) -> list[dict[str, Any]]:
        """Pages (static pages) of any status created after `floor_id()` (one id sequence with posts)."""
        return self._since("/pages", floor, status="any")

    def media_since(self, floor: int) -> list[dict[str, Any]]:
        return self._since("/media", floor)

    def term(self, taxonomy: str, term_id: int) -> dict[str, Any]:
        key = (taxonomy, term_id)
        if key not in self._terms:
            self._terms[key] = self.get_ok(f"/{taxonomy}/{term_id}", context="edit")
        return self._terms[key]

    def category_path(self, term_id: int) -> tuple[str, ...]:
        """("여행", "부산") for 부산 under 여행: names from the root down, following `parent`."""
        names: list[str] = []
        seen: set[int] = set()
        while term_id and term_id not in seen:
            seen.add(term_id)
            term = self.term("categories", term_id)
            names.append(_unescape(term["name"]))
            term_id = int(term.get("parent") or 0)
        return tuple(reversed(names))

    def tag_names(self, ids: list[int]) -> set[str]:
        return {_unescape(self.term("tags", i)["name"]) for i in ids}

    def settings(self) -> dict[str, Any]:
        return dict(self.get_ok("/settings"))


def _unescape(name: str) -> str:
    # Term names come back HTML-escaped (`&amp;`) even in edit context.
    return html.unescape(name)
