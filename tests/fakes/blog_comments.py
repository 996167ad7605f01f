"""The comment JSON of the fake blog: `GET /m/api/<postId>/comment?startId=<nextId>`, in the shape
docs/tistory-comments.md describes (top-level comments paged by `startId`/`nextId`, replies nested in
`children`, secret comments with their text withheld from guests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeComment:
    comment_id: int
    name: str
    content: str
    written: str = "2024-03-06T09:10:11+09:00"   # what the API sends in `written`
    homepage: str = ""
    secret: bool = False
    replies: list[FakeComment] = field(default_factory=list)

    def item(self, parent: int | None) -> dict[str, Any]:
        writer = {"id": self.comment_id * 7, "name": self.name, "homepage": self.homepage,
                  "profileImage": "https://t1.daumcdn.net/tistory_admin/blog/admin/profile_default_00.png",
                  "role": "guest", "isRequestUser": False}
        return {
            "id": self.comment_id,
            "parent": parent,
            "writer": writer,
            "content": "" if self.secret else self.content,   # guests do not see a secret comment's text
            "written": self.written,
            "isSecret": self.secret,
            "isPinned": False,
            "children": [r.item(self.comment_id) for r in self.replies],
        }


class CommentApi:
    """Comments per post id; `page_size` top-level comments per answer; `shape` "normal" | "other"
    (an answer of another shape, e.g. after a Tistory change)."""

    def __init__(self, page_size: int = 20) -> None:
        self.comments: dict[int, list[FakeComment]] = {}
        self.page_size = page_size
        self.shape = "normal"

    def add(self, post_id: int, *comments: FakeComment) -> None:
        self.comments.setdefault(post_id, []).extend(comments)

    async def handle(self, request: web.Request, post_exists: bool) -> web.Response:
        if not post_exists:
            return web.json_response({"code": 404, "message": "not found"}, status=404)
        if self.shape == "other":
            return web.json_response({"result": {"list": []}})
        post_id = int(request.match_info["post_id"])
        top = sorted(self.comments.get(post_id, []), key=lambda c: c.comment_id)
        start = request.query.get("startId", "")
        if start.isdigit():
            top = [c for c in top if c.comment_id >= int(start)]
        chunk, rest = top[: self.page_size], top[self.page_size :]
        return web.json_response({"code": 200, "data": {
            "items": [c.item(None) for c in chunk],
            "isLast": not rest,
            "nextId": rest[0].comment_id if rest else 0,
        }})
