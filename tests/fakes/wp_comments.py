"""Comment routes of the fake WordPress (wp/v2/comments), as WordPress 6.1's REST comments controller
behaves for an administrator (see docs/tistory-comments.md):

- drafts and trashed posts refuse comments (403 rest_comment_draft_post / rest_comment_trash_post);
- an author name needs an e-mail (require_name_email is on by default): 400 rest_comment_author_data_required;
- the same post + parent + author (+ e-mail) + content again: 409 comment_duplicate;
- a guest comment is held unless its author has an approved comment; `status: approved` approves it;
- `author_user_agent` is kept and returned in edit context only; `date_gmt` is taken as UTC;
- deleting with force=true removes it (its replies move up to its parent); without, it goes to the trash;
- deleting a post for good deletes its comments (`drop_comments_of`).
`comment_posts` counts create requests (for assertions on writes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.wp_rest import Call, WPError, paginate
from tests.fakes.wp_state import WPState

__all__ = ["CommentRoutes"]

_STATUS_OUT = {"1": "approved", "0": "hold", "trash": "trash", "spam": "spam"}


class CommentRoutes(WPState):
    comments: dict[int, dict[str, Any]]
    _next_comment_id: int

    def drop_comments_of(self, post_id: int) -> None:
        for cid in [c["id"] for c in self.comments.values() if c["post"] == post_id]:
            del self.comments[cid]

    def _comment_json(self, c: dict[str, Any], ctx: str) -> dict[str, Any]:
        data = {
            "id": c["id"], "post": c["post"], "parent": c["parent"], "author": 0,
            "author_name": c["author_name"], "author_url": c["author_url"],
            "date": c["date"], "date_gmt": c["date_gmt"],
            "content": {"rendered": f"<p>{c['content']}</p>\n"},
            "status": _STATUS_OUT[c["approved"]], "type": "comment", "link": f"?p={c['post']}#comment-{c['id']}",
        }
        if ctx == "edit":
            data["content"]["raw"] = c["content"]
            data["author_email"] = c["author_email"]
            data["author_user_agent"] = c["author_user_agent"]
        return data

    async def comment_create(self, call: Call) -> web.StreamResponse:
        if call.anonymous:
            raise WPError(401, "rest_comment_login_required", "Sorry, you must be logged in to comment.")
        p = call.params
        post = self.posts.get(p.get_int("post", 0) or 0)
        if post is None:
            raise WPError(403, "rest_comment_invalid_post_id", "Sorry, you are not allowed to create this comment without a post.")
        if post["status"] == "draft":
            raise WPError(403, "rest_comment_draft_post", "Sorry, you are not allowed to create a comment on this post.")
        if post["status"] == "trash":
            raise WPError(403, "rest_comment_trash_post", "Sorry, you are not allowed to create a comment on this post.")
        parent = p.get_int("parent", 0) or 0
        if parent and (parent not in self.comments or self.comments[parent]["post"] != post["id"]):
            raise WPError(400, "rest_comment_invalid_parent", "Invalid parent ID.")  # hypothetical code
        name, email = p.get_str("author_name", "") or "", p.get_str("author_email", "") or ""
        content = p.get_str("content", "") or ""
        if not name or not email:
            raise WPError(400, "rest_comment_author_data_required",
                          "Creating a comment requires valid author name and email values.")
        for c in self.comments.values():
            if (c["post"], c["parent"], c["author_name"], c["author_email"], c["content"]) == (
                    post["id"], parent, name, email, content) and c["approved"] != "trash":
                raise WPError(409, "comment_duplicate", "Duplicate comment detected; it looks as though you&#8217;ve already said that!")
        gmt = p.get_str("date_gmt")
        when = datetime.fromisoformat(gmt).replace(tzinfo=UTC) if gmt else self.clock().astimezone(UTC)
        known = any(c["author_name"] == name and c["author_email"] == email and c["approved"] == "1"
                    for c in self.comments.values())
        cid = self._next_comment_id
        self._next_comment_id += 1
        self.comments[cid] = {
            "id": cid, "post": post["id"], "parent": parent, "author_name": name, "author_email": email,
            "author_url": p.get_str("author_url", "") or "", "author_user_agent": p.get_str("author_user_agent", "") or "",
            "date_gmt": when.replace(tzinfo=None).isoformat(timespec="seconds"),
            "date": when.astimezone(self.tz).replace(tzinfo=None).isoformat(timespec="seconds"),
            "content": content, "approved": "1" if known else "0",
        }
        if p.get_str("status") in ("approved", "approve", "1"):
            self.comments[cid]["approved"] = "1"
        return self._json(self._comment_json(self.comments[cid], "edit"), status=201)

    async def comments_list(self, call: Call) -> web.StreamResponse:
        p = call.params
        ctx = call.context()
        status = p.get_str("status", "approve")
        if (ctx == "edit" or status != "approve") and not call.can_edit:
            raise call.deny("rest_forbidden_context", "Sorry, you are not allowed to edit comments.")
        wanted = {"approve": {"1"}, "approved": {"1"}, "hold": {"0"}, "all": {"0", "1"}, "trash": {"trash"}}.get(
            status or "approve", {"1"})
        posts = p.get_int_list("post")
        found = [c for c in sorted(self.comments.values(), key=lambda c: c["id"])
                 if c["approved"] in wanted and (not posts or c["post"] in posts)]
        page, headers = paginate(call, found, page_error="rest_comment_invalid_page_number")
        return self._json([self._comment_json(c, ctx) for c in page], headers=headers)

    async def comment_delete(self, call: Call, comment_id: str) -> web.StreamResponse:
        if not call.can_edit:
            raise call.deny("rest_cannot_delete", "Sorry, you are not allowed to delete this comment.")
        c = self.comments.get(int(comment_id))
        if c is None:
            raise WPError(404, "rest_comment_invalid_id", "Invalid comment ID.")
        if call.params.get_bool("force"):
            previous = self._comment_json(c, "edit")
            del self.comments[c["id"]]
            for other in self.comments.values():
                if other["parent"] == c["id"]:
                    other["parent"] = c["parent"]
            return self._json({"deleted": True, "previous": previous})
        c["approved"] = "trash"
        return self._json(self._comment_json(c, "edit"))
