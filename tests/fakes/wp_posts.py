"""The /wp/v2/posts routes of the fake WordPress (a mixin of FakeWordPress).

WordPress rules kept here (observed on 6.1.9): default status `draft`; a draft without an
explicit slug has `slug: ""` and a `generated_slug`; explicit slugs are made unique even for
drafts (`-2`, `-3`; all-digit slugs and feed names also get a suffix); `date` is site-local,
`date_gmt` is UTC, `date` wins when both are given; `publish` with a future date becomes
`future`; a save without `categories` gives a post that has none category 1 (an explicit
`categories: []` leaves it with none); `GET ?status=` defaults to `publish` and any
other status needs an editor; trashing appends `__trashed` to the slug.

Pages (/wp/v2/pages) are the same rows with `type: "page"` (one id sequence, like wp_posts): the
same routes and rules but no categories or tags (unknown parameters are ignored), a `parent`, a
`?page_id=ID` link until published and `permalink_template` `<base>/%pagename%/`; a post id asked
on the pages route (or the reverse) is `rest_post_invalid_id`, as on WordPress 6.1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.fakes.wp_rest import Call, WPError, filter_fields, invalid_param, paginate
from tests.fakes.wp_state import WPState
from tests.fakes.wp_text import (
    WP_DATE_FMT,
    excerpt_from_content,
    fmt_date,
    matches_search,
    parse_rest_date,
    parse_search,
    parse_slug_list,
    render_autop,
    render_content,
    sanitize_title,
    texturize,
)

__all__ = ["PostRoutes"]

CREATE_STATUSES = ("publish", "future", "draft", "pending", "private")
QUERY_STATUSES = (
    "publish",
    "future",
    "draft",
    "pending",
    "private",
    "trash",
    "auto-draft",
    "inherit",
    "request-pending",
    "request-confirmed",
    "request-failed",
    "request-completed",
    "any",
)
_BAD_FLAT_SLUGS = {"feed", "rdf", "rss", "rss2", "atom", "embed"}
_ORDERBY = (
    "author",
    "date",
    "id",
    "include",
    "modified",
    "parent",
    "relevance",
    "slug",
    "include_slugs",
    "title",
)


def _enum_message(name: str, values: tuple[str, ...]) -> str:
    return f"{name} is not one of {', '.join(values[:-1])}, and {values[-1]}."


class PostRoutes(WPState):
    """Posts: create, read, list, update, trash/delete."""

    # ------------------------------------------------------------------ helpers

    def unique_post_slug(self, slug: str, post_id: int) -> str:
        """`wp_unique_post_slug()` for a flat post type with /%postname%/ permalinks."""
        current = self.posts.get(post_id, {}).get("slug")
        kind = self.posts.get(post_id, {}).get("type", "post")
        # wp_unique_post_slug() looks among the same post type only (pages: among pages and attachments).
        taken = {p["slug"] for pid, p in self.posts.items() if pid != post_id and p.get("type", "post") == kind}

        def bad(s: str) -> bool:
            numeric = s.isdigit() and int(s) > 0 and current != s  # would clash with a year archive
            return s in taken or s in _BAD_FLAT_SLUGS or numeric

        if not bad(slug):
            return slug
        suffix = 2
        while f"{slug}-{suffix}" in taken:
            suffix += 1
        return f"{slug}-{suffix}"

    def post_json(self, post: dict[str, Any], ctx: str, base: str) -> dict[str, Any]:
        pid = post["id"]
        kind = post.get("type", "post")
        edit = ctx == "edit"
        excerpt_src = post["excerpt"] or excerpt_from_content(post["content"])
        data: dict[str, Any] = {
            "id": pid,
            "date": post["date"],
            "date_gmt": post["date_gmt"],
            "guid": {"rendered": post.get("guid", f"{base}/?p={pid}").replace("{base}", base)},
            "modified": post["modified"],
            "modified_gmt": post["modified_gmt"],
        }
        if edit:
            data["guid"]["raw"] = data["guid"]["rendered"]
            data["password"] = ""
        data.update(
            {
                "slug": post["slug"],
                "status": post["status"],
                "type": kind,
                "link": self.post_link(post, base),
                "title": {
                    "rendered": ("Private: " if post["status"] == "private" else "")
                    + texturize(post["title"])
                },
                "content": {"rendered": render_content(post["content"]), "protected": False},
                "excerpt": {"rendered": render_autop(excerpt_src), "protected": False},
                "author": post.get("author", 1),
                "featured_media": post["featured_media"],
                "comment_status": "open",
                "ping_status": "open",
                "template": "",
                "meta": [],
            }
        )
        if kind == "page":
            data.update({"parent": post.get("parent", 0), "menu_order": 0})
        else:
            data.update(
                {"sticky": False, "format": "standard", "categories": list(post["categories"]), "tags": list(post["tags"])}
            )
        if edit:
            data["title"] = {"raw": post["title"], **data["title"]}
            data["content"] = {
                "raw": post["content"],
                **data["content"],
                "block_version": 1 if "<!-- wp:" in post["content"] else 0,
            }
            data["excerpt"] = {"raw": post["excerpt"], **data["excerpt"]}
            plain = getattr(self, "permalinks", "pretty") == "plain"
            query, tag = ("page_id", "%pagename%") if kind == "page" else ("p", "%postname%")
            data["permalink_template"] = (
                f"{base}/?{query}={pid}" if post["status"] == "trash" or plain else f"{base}/{tag}/"
            )
            data["generated_slug"] = self.generated_slug(post)
        data["_links"] = {
            "self": [{"href": f"{base}/wp-json/wp/v2/{kind}s/{pid}"}],
            "collection": [{"href": f"{base}/wp-json/wp/v2/{kind}s"}],
        }
        return data

    def generated_slug(self, post: dict[str, Any]) -> str:
        """`get_sample_permalink()`'s name: from the title; unique unless draft/pending."""
        name = sanitize_title(post["title"]) or str(post["id"])
        if post["status"] not in ("draft", "pending", "auto-draft"):
            name = self.unique_post_slug(name, post["id"])
        return unquote(name)

    def readable(self, post: dict[str, Any], call: Call) -> bool:
        return post["status"] == "publish" or call.can_edit

    def _dates_from(self, call: Call) -> tuple[datetime, datetime] | None:
        params = call.params
        for name, is_utc in (("date", False), ("date_gmt", True)):
            value = params.get_str(name)
            if value:
                parsed = parse_rest_date(value, self.tz, is_utc=is_utc)
                if parsed is None:
                    raise invalid_param(name, "Invalid date.", "rest_invalid_date")
                return parsed
        return None

    def _term_ids(self, call: Call, name: str) -> list[int] | None:
        # Unknown term ids are accepted silently, like WordPress 6.1 (201, ids kept).
        return call.params.get_int_list(name)

    def _apply_fields(self, post: dict[str, Any], call: Call, *, creating: bool) -> None:
        params = call.params
        for key in ("title", "content", "excerpt"):
            value = params.get_str(key)
            if value is not None:
                post[key] = value
        status = params.get_str("status")
        if status is not None:
            if status not in CREATE_STATUSES:
                raise invalid_param("status", _enum_message("status", CREATE_STATUSES), "rest_not_in_enum")
            if post["status"] == "trash" and post["slug"].endswith("__trashed"):
                post["slug"] = post["slug"][: -len("__trashed")]  # leaving the trash restores the slug
            post["status"] = status
        dates = self._dates_from(call)
        if dates is not None:
            post["date"], post["date_gmt"] = fmt_date(dates[0]), fmt_date(dates[1])
            post["date_floating"] = False
        elif post.get("date_floating") and post["status"] not in ("draft", "pending") and not creating:
            # A draft's date floats: publishing without a date stamps "now".
            post["date"], post["date_gmt"] = fmt_date(self.now_local()), fmt_date(self.now_utc())
            post["date_floating"] = False
        self._apply_terms_or_parent(post, call)
        featured = params.get_int("featured_media")
        if featured is not None:
            post["featured_media"] = featured
        # publish <-> future by date, like wp_insert_post().
        date_gmt = datetime.strptime(post["date_gmt"], WP_DATE_FMT)
        if post["status"] == "publish" and date_gmt > self.now_utc():
            post["status"] = "future"
        elif post["status"] == "future" and date_gmt <= self.now_utc():
            post["status"] = "publish"
        slug = params.get_str("slug")
        if slug is not None and slug != "":
            post["slug"] = self.unique_post_slug(sanitize_title(slug), post["id"])
        elif not post["slug"] and post["status"] not in ("draft", "pending"):
            post["slug"] = self.unique_post_slug(sanitize_title(post["title"]) or str(post["id"]), post["id"])

    def _apply_terms_or_parent(self, post: dict[str, Any], call: Call) -> None:
        if post.get("type") == "page":  # pages take no terms (the parameters are ignored)
            parent = call.params.get_int("parent")
            if parent is not None:
                post["parent"] = parent
            return
        given: dict[str, list[int] | None] = {}
        for key in ("categories", "tags"):
            given[key] = ids = self._term_ids(call, key)
            if ids is not None:
                post[key] = ids
        # wp_insert_post() gives a post without categories the default one, but the REST
        # controller then applies an explicit `categories: []` (wp_set_object_terms): the post
        # is left with none. A later save without `categories` brings the default back.
        if not post["categories"] and given["categories"] is None:
            post["categories"] = [1]

    def _get_post(self, post_id: str, post_type: str = "post") -> dict[str, Any]:
        post = self.posts.get(int(post_id))
        if post is None or post.get("type", "post") != post_type:
            raise WPError(404, "rest_post_invalid_id", "Invalid post ID.")
        return post

    # ------------------------------------------------------------------ routes

    async def post_create(self, call: Call, post_type: str = "post") -> web.StreamResponse:
        if not call.can_edit:
            raise call.deny("rest_cannot_create", f"Sorry, you are not allowed to create {post_type}s as this user.")
        local, utc = self.now_local(), self.now_utc()
        post: dict[str, Any] = {
            "id": 0,
            "type": post_type,
            "parent": 0,
            "status": "draft",
            "slug": "",
            "title": "",
            "content": "",
            "excerpt": "",
            "date": fmt_date(local),
            "date_gmt": fmt_date(utc),
            "date_floating": True,
            "modified": fmt_date(local),
            "modified_gmt": fmt_date(utc),
            "categories": [],
            "tags": [],
            "featured_media": 0,
        }
        if call.params.has("date") or call.params.has("date_gmt"):
            self._dates_from(call)  # validate before taking an id
        post["id"] = self.new_id()
        try:
            self._apply_fields(post, call, creating=True)
            if not (post["title"] or post["content"] or post["excerpt"]):
                raise WPError(400, "empty_content", "Content, title, and excerpt are empty.")
        except WPError:
            self._next_id -= 1
            raise
        # The guid is the permalink at creation time ("{base}" is filled in per response).
        post["guid"] = self.post_link(post, "{base}")
        if not post["date_floating"]:
            # A new post's modified date is its date (wp_insert_post), not "now".
            post["modified"], post["modified_gmt"] = post["date"], post["date_gmt"]
        self.posts[post["id"]] = post
        self.recount_terms()
        return self._json(
            self.post_json(post, "edit", call.base),
            201,
            {"Location": f"{call.base}/wp-json/wp/v2/{post_type}s/{post['id']}"},
        )

    async def post_update(self, call: Call, post_id: str, post_type: str = "post") -> web.StreamResponse:
        post = self._get_post(post_id, post_type)
        if not call.can_edit:
            raise call.deny("rest_cannot_edit", "Sorry, you are not allowed to edit this post.")
        updated = dict(post)
        self._apply_fields(updated, call, creating=False)
        updated["modified"], updated["modified_gmt"] = fmt_date(self.now_local()), fmt_date(self.now_utc())
        self.posts[post["id"]] = updated
        if any(updated[k] != post[k] for k in ("title", "content", "excerpt")):
            rid = self.new_id()
            self.revisions[rid] = {
                "id": rid, "parent": post["id"], "title": updated["title"], "content": updated["content"],
                "excerpt": updated["excerpt"], "date_gmt": updated["modified_gmt"],
            }
        self.recount_terms()
        return self._json(self.post_json(updated, "edit", call.base))

    async def revisions_list(self, call: Call, post_id: str) -> web.StreamResponse:
        post = self._get_post(post_id)
        if not call.can_edit:
            raise call.deny("rest_cannot_read", "Sorry, you are not allowed to view revisions of this post.")
        mine = sorted((r for r in self.revisions.values() if r["parent"] == post["id"]), key=lambda r: -r["id"])
        data = [
            {"id": r["id"], "parent": r["parent"], "date_gmt": r["date_gmt"],
             "content": {"raw": r["content"], "rendered": r["content"]}, "title": {"raw": r["title"]}}
            for r in mine
        ]
        return self._json([filter_fields(d, call.params.get("_fields")) for d in data])

    async def revision_delete(self, call: Call, post_id: str, revision_id: str) -> web.StreamResponse:
        post = self._get_post(post_id)
        revision = self.revisions.get(int(revision_id))
        if revision is None or revision["parent"] != post["id"]:
            raise WPError(404, "rest_post_invalid_id", "Invalid revision ID.")
        # WordPress 6.1 maps deleting a revision to `do_not_allow`, force or not.
        raise call.deny("rest_cannot_delete", "Sorry, you are not allowed to delete this revision.")

    async def post_get(self, call: Call, post_id: str, post_type: str = "post") -> web.StreamResponse:
        post = self._get_post(post_id, post_type)
        ctx = call.context()
        if ctx == "edit" and not call.can_edit:
            raise call.deny("rest_forbidden_context", "Sorry, you are not allowed to edit this post.")
        if not self.readable(post, call):
            raise call.deny("rest_forbidden", "Sorry, you are not allowed to do that.")
        data = self.post_json(post, ctx, call.base)
        return self._json(filter_fields(data, call.params.get("_fields")))

    async def post_delete(self, call: Call, post_id: str, post_type: str = "post") -> web.StreamResponse:
        post = self._get_post(post_id, post_type)
        if not call.can_edit:
            raise call.deny("rest_cannot_delete", "Sorry, you are not allowed to delete this post.")
        if call.params.get_bool("force"):
            previous = self.post_json(post, "edit", call.base)
            del self.posts[post["id"]]
            self.drop_comments_of(post["id"])  # wp_delete_post deletes the post's comments
            for rid in [r["id"] for r in self.revisions.values() if r["parent"] == post["id"]]:
                del self.revisions[rid]
            for item in self.media.values():  # attachments move up to "no parent"
                if item["post"] == post["id"]:
                    item["post"] = None
            self.recount_terms()
            return self._json({"deleted": True, "previous": previous})
        if post["status"] == "trash":
            raise WPError(410, "rest_already_trashed", "The post has already been deleted.")
        post["status"] = "trash"
        if post["slug"]:
            post["slug"] += "__trashed"
        self.recount_terms()
        return self._json(self.post_json(post, "edit", call.base))

    async def posts_list(self, call: Call, post_type: str = "post") -> web.StreamResponse:
        params = call.params
        ctx = call.context()
        if ctx == "edit" and not call.can_edit:
            raise call.deny(
                "rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type."
            )
        statuses = params.get_list("status") or ["publish"]
        for i, status in enumerate(statuses):
            if status not in QUERY_STATUSES:
                message = _enum_message(f"status[{i}]", QUERY_STATUSES)
                raise invalid_param("status", message, "rest_not_in_enum")
        if any(s != "publish" for s in statuses) and not call.can_edit:
            raise invalid_param(
                "status",
                "Status is forbidden.",
                "rest_forbidden_status",
                {"status": 401 if call.anonymous else 403},
            )
        orderby = params.get_str("orderby", "date") or "date"
        if orderby not in _ORDERBY:
            raise invalid_param("orderby", _enum_message("orderby", _ORDERBY), "rest_not_in_enum")
        order = (params.get_str("order", "desc") or "desc").lower()
        if order not in ("asc", "desc"):
            raise invalid_param("order", "order is not one of asc, and desc.", "rest_not_in_enum")
        search = params.get_str("search")
        if orderby == "relevance" and not search:
            raise WPError(
                400, "rest_no_search_term_defined", "You need to define a search term to order by relevance."
            )
        params.get_int("per_page", 10, minimum=1, maximum=100)  # validate before filtering
        params.get_int("page", 1, minimum=1)

        if "any" in statuses:
            wanted = {"publish", "future", "draft", "pending", "private"}
        else:
            wanted = set(statuses)
        items = [p for p in self.posts.values() if p["status"] in wanted and p.get("type", "post") == post_type]
        slugs = params.get("slug")
        if slugs:
            slug_set = set(parse_slug_list(slugs))
            items = [p for p in items if p["slug"] in slug_set]
        include = params.get_int_list("include")
        if include:
            items = [p for p in items if p["id"] in include]
        exclude = params.get_int_list("exclude")
        if exclude:
            items = [p for p in items if p["id"] not in exclude]
        for key in ("categories", "tags") if post_type == "post" else ():
            ids = params.get_int_list(key)
            if ids:
                items = [p for p in items if set(p[key]) & set(ids)]
        if search:
            terms = parse_search(search)
            if terms:
                items = [p for p in items if matches_search(terms, [p["title"], p["excerpt"], p["content"]])]
        items = self._sort_posts(items, orderby, order, include or [])
        page_items, headers = paginate(call, items, page_error="rest_post_invalid_page_number")
        fields = params.get("_fields")
        body = [filter_fields(self.post_json(p, ctx, call.base), fields) for p in page_items]
        return self._json(body, 200, headers)

    # ------------------------------------------------------------------ /wp/v2/pages: the same rows
    async def pages_list(self, call: Call) -> web.StreamResponse:
        return await self.posts_list(call, "page")

    async def page_create(self, call: Call) -> web.StreamResponse:
        return await self.post_create(call, "page")

    async def page_get(self, call: Call, post_id: str) -> web.StreamResponse:
        return await self.post_get(call, post_id, "page")

    async def page_update(self, call: Call, post_id: str) -> web.StreamResponse:
        return await self.post_update(call, post_id, "page")

    async def page_delete(self, call: Call, post_id: str) -> web.StreamResponse:
        return await self.post_delete(call, post_id, "page")

    @staticmethod
    def _sort_posts(
        items: list[dict[str, Any]], orderby: str, order: str, include: list[int]
    ) -> list[dict[str, Any]]:
        if orderby == "include" and include:
            return sorted(items, key=lambda p: include.index(p["id"]))
        keys = {
            "id": lambda p: (p["id"],),
            "title": lambda p: (p["title"].casefold(), p["id"]),
            "slug": lambda p: (p["slug"], p["id"]),
            "modified": lambda p: (p["modified_gmt"], p["id"]),
        }
        key = keys.get(orderby, lambda p: (p["date"], p["id"]))
        return sorted(items, key=key, reverse=order == "desc")
