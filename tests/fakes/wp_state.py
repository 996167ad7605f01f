"""Shared state and helpers of the fake WordPress, the base of its route mixins.

FakeWordPress (wordpress.py) fills these attributes; PostRoutes, MediaRoutes and TermRoutes
(wp_posts.py, wp_media.py, wp_terms.py) use them. Keeping them on one base class lets each
mixin see the others' state without importing FakeWordPress.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

__all__ = ["WPState"]


class WPState:
    """The in-memory database of the fake and the helpers every route needs."""

    tz: ZoneInfo
    clock: Callable[[], datetime]
    refuse_upload_types: set[str]
    posts: dict[int, dict[str, Any]]
    media: dict[int, dict[str, Any]]
    revisions: dict[int, dict[str, Any]]
    terms: dict[int, dict[str, Any]]
    files: dict[str, bytes]
    _next_id: int
    _next_term_id: int

    def drop_comments_of(self, post_id: int) -> None:
        """Deleting a post deletes its comments (CommentRoutes does it)."""

    def now_utc(self) -> datetime:
        """The fake's current time as a naive UTC datetime (WordPress stores naive dates)."""
        return self.clock().astimezone(UTC).replace(tzinfo=None)

    def now_local(self) -> datetime:
        """The fake's current time in the site's time zone, naive."""
        return self.clock().astimezone(self.tz).replace(tzinfo=None)

    def new_id(self) -> int:
        """Posts and attachments share one id sequence, like wp_posts."""
        value = self._next_id
        self._next_id += 1
        return value

    def new_term_id(self) -> int:
        value = self._next_term_id
        self._next_term_id += 1
        return value

    def post_link(self, post: dict[str, Any], base: str) -> str:
        """Pretty permalink once published (or private/future), `?p=ID` before (always, when plain);
        a page's is `?page_id=ID`."""
        plain = getattr(self, "permalinks", "pretty") == "plain"
        if not plain and post["status"] in ("publish", "future", "private") and post["slug"]:
            return f"{base}/{post['slug']}/"
        return f"{base}/?{'page_id' if post.get('type') == 'page' else 'p'}={post['id']}"

    def recount_terms(self) -> None:
        """`count` = number of published posts carrying the term (what WordPress maintains).

        Counted lazily (`fresh_counts`, before terms are read): recounting on every post write made
        the fake quadratic on benchmark-sized blogs."""
        self._counts_stale = True

    def fresh_counts(self) -> None:
        if not getattr(self, "_counts_stale", True):
            return
        counts: dict[tuple[str, int], int] = {}
        for p in self.posts.values():
            if p["status"] != "publish":
                continue
            for key in ("categories", "tags"):
                for term_id in p[key]:
                    counts[(key, term_id)] = counts.get((key, term_id), 0) + 1
        for term in self.terms.values():
            key = "categories" if term["taxonomy"] == "category" else "tags"
            term["count"] = counts.get((key, term["id"]), 0)
        self._counts_stale = False

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(
            text=json.dumps(data, ensure_ascii=False),
            status=status,
            headers=headers,
            content_type="application/json",
            charset="UTF-8",
        )
