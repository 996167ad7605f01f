"""Comments in WordPress (wp/v2/comments), through the same client and HTTP session as everything else.

What the REST API does with a comment an administrator creates (WordPress core,
`WP_REST_Comments_Controller::create_item`, checked on WordPress 6.1; see docs/tistory-comments.md):
- it refuses comments on drafts (403 `rest_comment_draft_post`) and in the trash;
- it inserts with `wp_insert_comment`, not `wp_new_comment`: the `comment_post` hooks that e-mail the
  moderator and the post author do not run;
- `wp_allow_comment` decides the first status (a guest name is held unless it has an approved comment
  already); `status: approved` then approves it, which may e-mail the post's author, but never the
  user who approves comments on their own posts (the user migrating, who created the posts);
- `author_user_agent` is stored as given (sanitize_text_field) and read back in edit context: it
  carries our marker, so a comment whose answer was lost is found again;
- an identical comment (same post, parent, author and text) is refused: 409 `comment_duplicate`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrator.errors import PermanentError
from migrator.wordpress.client import WordPressClient

__all__ = ["COMMENT_MARKER_PREFIX", "CommentRefused", "WpComment", "WpComments", "comment_html", "comment_marker"]

COMMENT_MARKER_PREFIX = "tistory-comment-"
_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]")


def comment_marker(post_id: int, comment_id: int) -> str:
    """Deterministic: the same Tistory comment always has the same marker."""
    return f"{COMMENT_MARKER_PREFIX}{post_id}-{comment_id}"


def comment_html(text: str) -> str:
    """Plain text as comment HTML: everything escaped, web addresses made links (rel=ugc), newlines
    kept (WordPress turns them into paragraphs and line breaks when it shows the comment)."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        url = html.escape(match.group(0), quote=True)
        out.append(f'<a href="{url}" rel="nofollow ugc">{url}</a>')
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


class CommentRefused(PermanentError):
    """WordPress refused this comment (`code` says why: rest_comment_draft_post, comment_duplicate…)."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message, status=status)
        self.code = code


@dataclass(frozen=True, slots=True)
class WpComment:
    id: int
    post: int
    parent: int
    status: str
    user_agent: str
    date_gmt: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WpComment:
        return cls(
            id=int(data["id"]),
            post=int(data.get("post") or 0),
            parent=int(data.get("parent") or 0),
            status=str(data.get("status", "")),
            user_agent=str(data.get("author_user_agent") or ""),
            date_gmt=str(data.get("date_gmt") or ""),
        )


def _error_code(body: bytes) -> tuple[str, str]:
    try:
        data = json.loads(body[:20000].decode("utf-8", "replace"))
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("code") or ""), str(data.get("message") or "")


class WpComments:
    """Creates, finds and deletes comments; receives the WordPressClient (its session, root, auth)."""

    def __init__(self, wp: WordPressClient) -> None:
        self.wp = wp

    async def create(self, fields: Mapping[str, Any]) -> WpComment:
        """Create one comment. Never retried blindly (the caller looks its marker up after a lost
        answer). Raises CommentRefused for WordPress's refusals (draft post, duplicate, …)."""
        resp = await self.wp._req(
            "POST", "/comments", json=dict(fields), params={"context": "edit"},
            ok=(201, 200), allow=(400, 403, 404, 409), max_retries=0,
        )
        if resp.status not in (200, 201):
            code, message = _error_code(resp.body)
            raise CommentRefused(
                f"WordPress refused the comment ({resp.status} {code}: {message})".strip(),
                code=code, status=resp.status,
            )
        return WpComment.from_json(resp.json())

    async def of_post(self, post_id: int) -> list[WpComment]:
        """Every comment of a post, whatever its status, in edit context (with its user agent)."""
        found: list[WpComment] = []
        page = 1
        while True:
            resp = await self.wp._req(
                "GET", "/comments",
                params={"post": str(post_id), "status": "all", "context": "edit", "per_page": "100",
                        "page": str(page), "orderby": "id", "order": "asc"},
                allow=(400,),
            )
            if resp.status != 200:
                break
            batch = resp.json()
            found.extend(WpComment.from_json(c) for c in batch if isinstance(c, Mapping))
            if len(batch) < 100 or page >= int(resp.headers.get("X-WP-TotalPages", "1") or 1):
                break
            page += 1
        return found

    async def find_by_marker(self, post_id: int, marker: str) -> WpComment | None:
        for comment in await self.of_post(post_id):
            if comment.user_agent == marker and comment.status != "trash":
                return comment
        return None

    async def my_user_id(self) -> int:
        resp = await self.wp._req("GET", "/users/me", params={"_fields": "id"})
        return int(resp.json().get("id") or 0)

    async def post_states(self, post_ids: list[int]) -> dict[int, tuple[str, int]]:
        """(status, author id) of many posts (any status but trash), 100 per request; gone ones absent."""
        found: dict[int, tuple[str, int]] = {}
        ids = sorted(set(post_ids))
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            resp = await self.wp._req(
                "GET", "/posts",
                params={"include": ",".join(map(str, chunk)), "status": "any", "context": "edit",
                        "per_page": "100", "_fields": "id,status,author"},
            )
            for data in resp.json():
                found[int(data["id"])] = (str(data.get("status", "")), int(data.get("author") or 0))
        return found

    async def delete(self, comment_id: int) -> bool:
        """Delete for good. False when it was already gone."""
        resp = await self.wp._req(
            "DELETE", f"/comments/{comment_id}", params={"force": "true"}, allow=(404, 410)
        )
        return resp.status == 200
