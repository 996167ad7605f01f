"""The /wp/v2/categories and /wp/v2/tags routes of the fake WordPress (a mixin of FakeWordPress).

Follows `wp_insert_term()` of WordPress 6.1: the same name (case-insensitive; for categories
under the same parent) gives 400 `term_exists` with `data.term_id` of the existing term, unless a
different explicit slug is given; slugs come from `sanitize_title` (Korean → lower-case
percent-encoding) and are made unique with the parent's slug and then `-2`, `-3`; `count` is the
number of published posts. Terms cannot be trashed (501 without `force=true`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.wp_rest import Call, WPError, filter_fields, invalid_param, paginate
from tests.fakes.wp_state import WPState
from tests.fakes.wp_text import parse_slug_list, sanitize_term_name, sanitize_title

__all__ = ["TermRoutes"]

_TAXONOMY = {"categories": "category", "tags": "post_tag"}
_ORDERBY = ("id", "include", "name", "slug", "include_slugs", "term_group", "description", "count")


class TermRoutes(WPState):
    """Categories (hierarchical) and tags."""

    def _taxonomy_terms(self, taxonomy: str) -> list[dict[str, Any]]:
        return [t for t in self.terms.values() if t["taxonomy"] == taxonomy]

    def _get_term(self, rest_base: str, term_id: str) -> dict[str, Any]:
        term = self.terms.get(int(term_id))
        if term is None or term["taxonomy"] != _TAXONOMY[rest_base]:
            raise WPError(404, "rest_term_invalid", "Term does not exist.")
        return term

    def unique_term_slug(self, slug: str, taxonomy: str, parent: int, term_id: int = 0) -> str:
        """`wp_unique_term_slug()`: parent's slug first (categories), then -2, -3 …"""
        same_tax = {t["slug"] for t in self._taxonomy_terms(taxonomy) if t["id"] != term_id}
        if slug not in same_tax:
            return slug
        every = {t["slug"] for t in self.terms.values() if t["id"] != term_id}
        the_parent = parent
        while the_parent:
            parent_term = self.terms.get(the_parent)
            if parent_term is None:
                break
            slug = f"{slug}-{parent_term['slug']}"
            if slug not in every:
                return slug
            the_parent = parent_term["parent"]
        if slug in every:
            num = 2
            while f"{slug}-{num}" in every:
                num += 1
            slug = f"{slug}-{num}"
        return slug

    def term_link(self, term: dict[str, Any], base: str) -> str:
        if term["taxonomy"] == "post_tag":
            return f"{base}/tag/{term['slug']}/"
        chain = [term["slug"]]
        parent = self.terms.get(term["parent"])
        while parent is not None:
            chain.insert(0, parent["slug"])
            parent = self.terms.get(parent["parent"])
        return f"{base}/category/{'/'.join(chain)}/"

    def term_json(self, term: dict[str, Any], base: str) -> dict[str, Any]:
        self.fresh_counts()
        rest_base = "categories" if term["taxonomy"] == "category" else "tags"
        data: dict[str, Any] = {
            "id": term["id"],
            "count": term["count"],
            "description": term["description"],
            "link": self.term_link(term, base),
            "name": term["name"],
            "slug": term["slug"],
            "taxonomy": term["taxonomy"],
        }
        if term["taxonomy"] == "category":
            data["parent"] = term["parent"]
        data["meta"] = []
        data["_links"] = {
            "self": [{"href": f"{base}/wp-json/wp/v2/{rest_base}/{term['id']}"}],
            "collection": [{"href": f"{base}/wp-json/wp/v2/{rest_base}"}],
        }
        return data

    def _parent_param(self, call: Call, taxonomy: str) -> int | None:
        if taxonomy != "category" or not call.params.has("parent"):
            return None
        parent = call.params.get_int("parent") or 0
        if parent and (parent not in self.terms or self.terms[parent]["taxonomy"] != taxonomy):
            raise WPError(400, "rest_term_invalid", "Parent term does not exist.")
        return parent

    def _existing_term(
        self, taxonomy: str, name: str, slug: str, slug_provided: bool, parent: int
    ) -> dict[str, Any] | None:
        """The `term_exists` decision of `wp_insert_term()`."""
        terms = self._taxonomy_terms(taxonomy)
        hierarchical = taxonomy == "category"
        candidates = [t for t in terms if not hierarchical or t["parent"] == parent]
        name_match = next((t for t in candidates if t["name"].lower() == name.lower()), None)
        if name_match is None:
            return None
        slug_match = next((t for t in terms if t["slug"] == slug), None)
        if slug_provided and name_match["slug"] != slug and slug_match is None:
            return None
        if not hierarchical:
            return name_match
        siblings = [t for t in terms if t["parent"] == parent]
        if (not slug_provided or name_match["slug"] == slug) and name in [s["name"] for s in siblings]:
            return name_match
        if slug_match is not None and slug in [s["slug"] for s in siblings]:
            return slug_match
        return None

    # ------------------------------------------------------------------ routes

    async def term_create(self, call: Call, rest_base: str) -> web.StreamResponse:
        taxonomy = _TAXONOMY[rest_base]
        if not call.can_edit:
            raise call.deny(
                "rest_cannot_create", "Sorry, you are not allowed to create terms in this taxonomy."
            )
        raw_name = call.params.get_str("name")
        if raw_name is None:
            raise WPError(
                400, "rest_missing_callback_param", "Missing parameter(s): name", data={"params": ["name"]}
            )
        parent = self._parent_param(call, taxonomy) or 0
        name = sanitize_term_name(raw_name)
        if not name:
            raise WPError(500, "empty_term_name", "A name is required for this term.", data_null=True)
        slug_param = call.params.get_str("slug") or ""
        slug_provided = bool(slug_param)
        slug = sanitize_title(slug_param) if slug_provided else sanitize_title(name)
        existing = self._existing_term(taxonomy, name, slug, slug_provided, parent)
        if existing is not None:
            message = (
                "A term with the name provided already exists with this parent."
                if taxonomy == "category"
                else "A term with the name provided already exists in this taxonomy."
            )
            raise WPError(
                400,
                "term_exists",
                message,
                data={"term_id": existing["id"]},
                additional_data=[existing["id"], existing["id"]],
            )
        term_id = self.new_term_id()
        slug = self.unique_term_slug(slug, taxonomy, parent) if slug else str(term_id)
        term = {
            "id": term_id,
            "taxonomy": taxonomy,
            "name": name,
            "slug": slug,
            "parent": parent,
            "description": call.params.get_str("description") or "",
            "count": 0,
        }
        self.terms[term_id] = term
        return self._json(
            self.term_json(term, call.base),
            201,
            {"Location": f"{call.base}/wp-json/wp/v2/{rest_base}/{term_id}"},
        )

    async def term_update(self, call: Call, rest_base: str, term_id: str) -> web.StreamResponse:
        term = self._get_term(rest_base, term_id)
        if not call.can_edit:
            raise call.deny("rest_cannot_update", "Sorry, you are not allowed to edit this term.")
        updated = dict(term)
        name = call.params.get_str("name")
        if name is not None:
            updated["name"] = sanitize_term_name(name)
            if not updated["name"]:
                raise WPError(500, "empty_term_name", "A name is required for this term.", data_null=True)
        description = call.params.get_str("description")
        if description is not None:
            updated["description"] = description
        parent = self._parent_param(call, term["taxonomy"])
        if parent is not None:
            updated["parent"] = parent
        slug_param = call.params.get_str("slug")
        if slug_param:
            slug = sanitize_title(slug_param)
            duplicate = any(
                t["slug"] == slug and t["id"] != term["id"] for t in self._taxonomy_terms(term["taxonomy"])
            )
            if duplicate and updated["parent"] == term["parent"]:
                raise WPError(
                    500,
                    "duplicate_term_slug",
                    f"The slug &#8220;{slug}&#8221; is already in use by another term.",
                    data_null=True,
                )
            updated["slug"] = self.unique_term_slug(slug, term["taxonomy"], updated["parent"], term["id"])
        self.terms[term["id"]] = updated
        return self._json(self.term_json(updated, call.base))

    async def term_get(self, call: Call, rest_base: str, term_id: str) -> web.StreamResponse:
        term = self._get_term(rest_base, term_id)
        if call.context() == "edit" and not call.can_edit:
            raise call.deny("rest_forbidden_context", "Sorry, you are not allowed to edit this term.")
        return self._json(filter_fields(self.term_json(term, call.base), call.params.get("_fields")))

    async def term_delete(self, call: Call, rest_base: str, term_id: str) -> web.StreamResponse:
        term = self._get_term(rest_base, term_id)
        if not call.can_edit or term["id"] == 1:  # the default category cannot be deleted
            raise call.deny("rest_cannot_delete", "Sorry, you are not allowed to delete this term.")
        if not call.params.get_bool("force"):
            raise WPError(
                501, "rest_trash_not_supported", "Terms do not support trashing. Set 'force=true' to delete."
            )
        previous = self.term_json(term, call.base)
        del self.terms[term["id"]]
        key = "categories" if term["taxonomy"] == "category" else "tags"
        for post in self.posts.values():
            if term["id"] in post[key]:
                post[key] = [t for t in post[key] if t != term["id"]]
                if key == "categories" and not post[key]:
                    post[key] = [1]
        for child in self.terms.values():  # children move up to the deleted term's parent
            if child["taxonomy"] == term["taxonomy"] and child["parent"] == term["id"]:
                child["parent"] = term["parent"]
        self.recount_terms()
        return self._json({"deleted": True, "previous": previous})

    async def terms_list(self, call: Call, rest_base: str) -> web.StreamResponse:
        taxonomy = _TAXONOMY[rest_base]
        params = call.params
        ctx = call.context()
        if ctx == "edit" and not call.can_edit:
            raise call.deny(
                "rest_forbidden_context", "Sorry, you are not allowed to edit terms in this taxonomy."
            )
        params.get_int("per_page", 10, minimum=1, maximum=100)
        params.get_int("page", 1, minimum=1)
        orderby = params.get_str("orderby", "name") or "name"
        if orderby not in _ORDERBY:
            raise invalid_param(
                "orderby",
                f"orderby is not one of {', '.join(_ORDERBY[:-1])}, and {_ORDERBY[-1]}.",
                "rest_not_in_enum",
            )
        order = (params.get_str("order", "asc") or "asc").lower()
        items = self._taxonomy_terms(taxonomy)
        include = params.get_int_list("include")
        if include:
            items = [t for t in items if t["id"] in include]
        exclude = params.get_int_list("exclude")
        if exclude:
            items = [t for t in items if t["id"] not in exclude]
        slugs = params.get("slug")
        if slugs:
            wanted = set(parse_slug_list(slugs))
            items = [t for t in items if t["slug"] in wanted]
        search = params.get_str("search")
        if search:
            needle = search.casefold()
            items = [t for t in items if needle in t["name"].casefold() or needle in t["slug"]]
        if taxonomy == "category" and params.has("parent"):
            parent = params.get_int("parent") or 0
            items = [t for t in items if t["parent"] == parent]
        post_id = params.get_int("post")
        if post_id is not None:
            key = "categories" if taxonomy == "category" else "tags"
            attached = self.posts.get(post_id, {}).get(key, [])
            items = [t for t in items if t["id"] in attached]
        self.fresh_counts()
        if params.get_bool("hide_empty"):
            items = [t for t in items if t["count"] > 0]
        if orderby == "include" and include:
            items.sort(key=lambda t: include.index(t["id"]))
        else:
            sort_keys = {
                "id": lambda t: (t["id"],),
                "slug": lambda t: (t["slug"], t["id"]),
                "count": lambda t: (t["count"], t["id"]),
                "description": lambda t: (t["description"], t["id"]),
            }
            items.sort(
                key=sort_keys.get(orderby, lambda t: (t["name"].casefold(), t["id"])), reverse=order == "desc"
            )
        page_items, headers = paginate(call, items, page_error=None)
        fields = params.get("_fields")
        return self._json(
            [filter_fields(self.term_json(t, call.base), fields) for t in page_items], 200, headers
        )
