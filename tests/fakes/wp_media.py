"""The /wp/v2/media routes of the fake WordPress (a mixin of FakeWordPress).

Uploads as WordPress 6.1.9 takes them: the raw body with `Content-Disposition: attachment;
filename="…"` (only `filename=` is read; none → 400 `rest_upload_no_content_disposition`,
`filename*=` alone → 400 `rest_upload_invalid_disposition`), or multipart with a `file` field.
The type comes from the content; refused types give 500 `rest_upload_sideload_error` (raw) or
`rest_upload_unknown_error` (multipart). Files land in `uploads/YYYY/MM/` (site-local month) with
`-1`, `-2` suffixes on name clashes. `title`, `alt_text`, `caption`, `description`, `post` come
from the query string or form fields. An attachment whose parent is not public is not public.
Deleting needs `force=true` (501 `rest_trash_not_supported` otherwise).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.fakes.wp_files import ALLOWED_EXTS, check_upload, image_size
from tests.fakes.wp_rest import Call, WPError, filter_fields, paginate
from tests.fakes.wp_state import WPState
from tests.fakes.wp_text import (
    excerpt_from_content,
    filename_from_disposition,
    fmt_date,
    matches_search,
    parse_search,
    parse_slug_list,
    render_autop,
    sanitize_file_name,
    sanitize_text_field,
    sanitize_title,
    texturize,
)

__all__ = ["MediaRoutes"]

_IMAGE_META = {
    "aperture": "0",
    "credit": "",
    "camera": "",
    "caption": "",
    "created_timestamp": "0",
    "copyright": "",
    "focal_length": "0",
    "iso": "0",
    "shutter_speed": "0",
    "title": "",
    "orientation": "0",
    "keywords": [],
}


class MediaRoutes(WPState):
    """Attachments: upload, read, list, update, delete (force only)."""

    def _unique_attachment_slug(self, slug: str, media_id: int) -> str:
        # Attachment slugs must not clash with any post or attachment.
        taken = {p["slug"] for p in self.posts.values()} | {
            m["slug"] for mid, m in self.media.items() if mid != media_id
        }
        if slug not in taken:
            return slug
        suffix = 2
        while f"{slug}-{suffix}" in taken:
            suffix += 1
        return f"{slug}-{suffix}"

    def _unique_filename(self, folder: str, filename: str) -> str:
        """`wp_unique_filename()`: name.ext, name-1.ext, name-2.ext …"""
        base, ext = filename.rsplit(".", 1)
        candidate, number = filename, 1
        while f"{folder}/{candidate}" in self.files:
            candidate = f"{base}-{number}.{ext}"
            number += 1
        return candidate

    def media_readable(self, item: dict[str, Any], call: Call) -> bool:
        if call.can_edit:
            return True
        parent = self.posts.get(item["post"] or 0)
        return item["post"] in (None, 0) or (parent is not None and parent["status"] == "publish")

    def media_json(self, item: dict[str, Any], ctx: str, base: str) -> dict[str, Any]:
        mid = item["id"]
        url = f"{base}/wp-content/uploads/{item['file']}"
        edit = ctx == "edit"
        is_image = item["mime_type"].startswith("image/")
        description_html = f"<p class=\"attachment\"><a href='{url}'>{item['title']}</a></p>\n"
        if is_image:
            description_html = (
                f'<p class="attachment"><a href=\'{url}\'><img width="{item["width"]}" '
                f'height="{item["height"]}" src="{url}" class="attachment-medium '
                f'size-medium" alt="{item["alt_text"]}" decoding="async" '
                f'loading="lazy" /></a></p>\n'
            )
        data: dict[str, Any] = {
            "id": mid,
            "date": item["date"],
            "date_gmt": item["date_gmt"],
            "guid": {"rendered": url, **({"raw": url} if edit else {})},
            "modified": item["modified"],
            "modified_gmt": item["modified_gmt"],
            "slug": item["slug"],
            "status": "inherit",
            "type": "attachment",
            "link": self.attachment_link(item, base),
            "title": {"rendered": texturize(item["title"])},
            "author": 1,
            "comment_status": "open",
            "ping_status": "closed",
            "template": "",
            "meta": [],
            "description": {"rendered": description_html + render_autop(item["description"])},
            # An empty caption renders as the excerpt of the rendered description.
            "caption": {"rendered": render_autop(item["caption"] or excerpt_from_content(description_html))},
            "alt_text": item["alt_text"],
            "media_type": "image" if is_image else "file",
            "mime_type": item["mime_type"],
            "media_details": self._media_details(item),
            "post": item["post"] or None,
            "source_url": url,
        }
        if edit:
            data["title"] = {"raw": item["title"], **data["title"]}
            data["description"] = {"raw": item["description"], **data["description"]}
            data["caption"] = {"raw": item["caption"], **data["caption"]}
            link = self.attachment_link(item, base)
            data["permalink_template"] = (
                link[: -len(item["slug"]) - 1] + "%postname%/"
                if item["post"] and "attachment_id=" not in link
                else f"{base}/?attachment_id={mid}"
            )
            data["generated_slug"] = unquote(sanitize_title(item["title"]))
            data["missing_image_sizes"] = []
        data["_links"] = {
            "self": [{"href": f"{base}/wp-json/wp/v2/media/{mid}"}],
            "collection": [{"href": f"{base}/wp-json/wp/v2/media"}],
        }
        return data

    def attachment_link(self, item: dict[str, Any], base: str) -> str:
        """Pretty link under its parent (or the site root); `?attachment_id=` if the parent is not public."""
        parent = self.posts.get(item["post"] or 0)
        if not item["post"]:
            return f"{base}/{item['slug']}/"
        if parent is not None and parent["status"] == "publish":
            return f"{self.post_link(parent, base)}{item['slug']}/"
        return f"{base}/?attachment_id={item['id']}"

    @staticmethod
    def _media_details(item: dict[str, Any]) -> dict[str, Any]:
        if item["mime_type"].startswith("image/") and item["width"]:
            return {
                "width": item["width"],
                "height": item["height"],
                "file": item["file"],
                "filesize": item["filesize"],
                "sizes": {},
                "image_meta": dict(_IMAGE_META),
            }
        return {"filesize": item["filesize"], "sizes": {}}

    def _get_media(self, media_id: str) -> dict[str, Any]:
        item = self.media.get(int(media_id))
        if item is None:
            raise WPError(404, "rest_post_invalid_id", "Invalid post ID.")
        return item

    def _media_parent(self, call: Call) -> int | None:
        parent = call.params.get_int("post")
        if parent and parent not in self.posts:
            raise WPError(403, "rest_cannot_edit", "Sorry, you are not allowed to upload media to this post.")
        return parent or None

    def _apply_media_fields(self, item: dict[str, Any], call: Call) -> None:
        for key in ("title", "caption", "description", "alt_text"):
            value = call.params.get_str(key)
            if value is not None:
                # alt_text's schema sanitizes it; the others are stored as sent (unfiltered_html).
                item[key] = sanitize_text_field(value) if key == "alt_text" else value
        if call.params.has("post"):
            item["post"] = self._media_parent(call)
        slug = call.params.get_str("slug")
        if slug:
            item["slug"] = self._unique_attachment_slug(sanitize_title(slug), item["id"])

    def _received_file(self, call: Call) -> tuple[str, bytes, str]:
        """(file name as sent, bytes, error code for refused types) from either upload form."""
        if call.files:
            if "file" not in call.files:
                raise WPError(500, "rest_upload_unknown_error", "Specified file failed upload test.")
            name, _ctype, data = call.files["file"]
            return name, data, "rest_upload_unknown_error"
        headers = call.headers
        if not call.body:
            raise WPError(400, "rest_upload_no_data", "No data supplied.")
        if headers.get("Content-Type") is None:
            raise WPError(400, "rest_upload_no_content_type", "No Content-Type supplied.")
        disposition = headers.get("Content-Disposition")
        if not disposition:
            raise WPError(400, "rest_upload_no_content_disposition", "No Content-Disposition supplied.")
        filename = filename_from_disposition(disposition)
        if not filename:
            raise WPError(
                400,
                "rest_upload_invalid_disposition",
                "Invalid Content-Disposition supplied. Content-Disposition needs to be formatted "
                'as `attachment; filename="image.png"` or similar.',
            )
        md5 = headers.get("Content-MD5")
        if md5 and md5 not in (
            hashlib.md5(call.body).hexdigest(),
            base64.b64encode(hashlib.md5(call.body).digest()).decode(),
        ):
            raise WPError(412, "rest_upload_hash_mismatch", "Content hash did not match expected.")
        return filename, call.body, "rest_upload_sideload_error"

    # ------------------------------------------------------------------ routes

    async def media_create(self, call: Call) -> web.StreamResponse:
        if not call.can_edit:
            raise call.deny("rest_cannot_create", "Sorry, you are not allowed to create posts as this user.")
        parent = self._media_parent(call)
        sent_name, data, refuse_code = self._received_file(call)
        checked = check_upload(
            sanitize_file_name(sent_name, set(ALLOWED_EXTS)), data, self.refuse_upload_types
        )
        if checked is None:
            raise WPError(500, refuse_code, "Sorry, you are not allowed to upload this file type.")
        local, utc = self.now_local(), self.now_utc()
        folder = f"{local:%Y/%m}"
        if self.upload_folder_race and folder not in self.folders_made:  # type: ignore[attr-defined]
            # Another upload was creating the folder at that very moment (wp_mkdir_p lost the race).
            self.folders_made.add(folder)  # type: ignore[attr-defined]
            raise WPError(
                500,
                "rest_upload_sideload_error",
                f"Unable to create directory wp-content/uploads/{folder}. Is its parent directory writable by the server?",
            )
        filename = self._unique_filename(folder, checked.filename)
        size = image_size(data, checked.mime) if checked.mime.startswith("image/") else None
        mid = self.new_id()
        title = filename.rsplit(".", 1)[0]
        item: dict[str, Any] = {
            "id": mid,
            "type": "attachment",
            "file": f"{folder}/{filename}",
            "mime_type": checked.mime,
            "title": title,
            "caption": "",
            "description": "",
            "alt_text": "",
            "post": parent,
            "slug": "",
            "width": size[0] if size else 0,
            "height": size[1] if size else 0,
            "filesize": len(data),
            "date": fmt_date(local),
            "date_gmt": fmt_date(utc),
            "modified": fmt_date(local),
            "modified_gmt": fmt_date(utc),
        }
        self._apply_media_fields(item, call)
        if not item["slug"]:
            item["slug"] = self._unique_attachment_slug(sanitize_title(item["title"]) or str(mid), mid)
        self.files[item["file"]] = data
        self.media[mid] = item
        return self._json(
            self.media_json(item, "edit", call.base),
            201,
            {"Location": f"{call.base}/wp-json/wp/v2/media/{mid}", "X-WP-Upload-Attachment-ID": str(mid)},
        )

    async def media_get(self, call: Call, media_id: str) -> web.StreamResponse:
        item = self._get_media(media_id)
        ctx = call.context()
        if ctx == "edit" and not call.can_edit:
            raise call.deny("rest_forbidden_context", "Sorry, you are not allowed to edit this post.")
        if not self.media_readable(item, call):
            raise call.deny("rest_forbidden", "Sorry, you are not allowed to do that.")
        return self._json(filter_fields(self.media_json(item, ctx, call.base), call.params.get("_fields")))

    async def media_update(self, call: Call, media_id: str) -> web.StreamResponse:
        item = self._get_media(media_id)
        if not call.can_edit:
            raise call.deny("rest_cannot_edit", "Sorry, you are not allowed to edit this post.")
        updated = dict(item)
        self._apply_media_fields(updated, call)
        updated["modified"], updated["modified_gmt"] = fmt_date(self.now_local()), fmt_date(self.now_utc())
        self.media[item["id"]] = updated
        return self._json(self.media_json(updated, "edit", call.base))

    async def media_delete(self, call: Call, media_id: str) -> web.StreamResponse:
        item = self._get_media(media_id)
        if not call.can_edit:
            raise call.deny("rest_cannot_delete", "Sorry, you are not allowed to delete this post.")
        if not call.params.get_bool("force"):
            raise WPError(
                501,
                "rest_trash_not_supported",
                "The post does not support trashing. Set 'force=true' to delete.",
            )
        previous = self.media_json(item, "edit", call.base)
        del self.media[item["id"]]
        self.files.pop(item["file"], None)
        for post in self.posts.values():  # wp_delete_attachment() drops _thumbnail_id references
            if post["featured_media"] == item["id"]:
                post["featured_media"] = 0
        return self._json({"deleted": True, "previous": previous})

    async def media_list(self, call: Call) -> web.StreamResponse:
        params = call.params
        ctx = call.context()
        if ctx == "edit" and not call.can_edit:
            raise call.deny(
                "rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type."
            )
        params.get_int("per_page", 10, minimum=1, maximum=100)
        params.get_int("page", 1, minimum=1)
        items = [m for m in self.media.values() if self.media_readable(m, call)]
        parents = params.get_int_list("parent")
        if parents is not None:
            items = [m for m in items if (m["post"] or 0) in parents]
        include = params.get_int_list("include")
        if include:
            items = [m for m in items if m["id"] in include]
        exclude = params.get_int_list("exclude")
        if exclude:
            items = [m for m in items if m["id"] not in exclude]
        media_type = params.get_str("media_type")
        if media_type:
            items = [
                m
                for m in items
                if (m["mime_type"].startswith("image/") and media_type == "image")
                or m["mime_type"].split("/")[0] == media_type
            ]
        mime_type = params.get_str("mime_type")
        if mime_type:
            items = [m for m in items if m["mime_type"] == mime_type]
        slugs = params.get("slug")
        if slugs:
            wanted = set(parse_slug_list(slugs))
            items = [m for m in items if m["slug"] in wanted]
        search = params.get_str("search")
        if search:
            terms = parse_search(search)
            if terms:
                # Media search also matches the stored file path (_wp_attached_file).
                items = [
                    m
                    for m in items
                    if matches_search(terms, [m["title"], m["caption"], m["description"], m["file"]])
                ]
        order = (params.get_str("order", "desc") or "desc").lower()
        orderby = params.get_str("orderby", "date") or "date"
        if orderby == "include" and include:
            items.sort(key=lambda m: include.index(m["id"]))
        elif orderby == "id":
            items.sort(key=lambda m: m["id"], reverse=order == "desc")
        else:
            items.sort(key=lambda m: (m["date"], m["id"]), reverse=order == "desc")
        page_items, headers = paginate(call, items, page_error="rest_post_invalid_page_number")
        fields = params.get("_fields")
        return self._json(
            [filter_fields(self.media_json(m, ctx, call.base), fields) for m in page_items], 200, headers
        )
