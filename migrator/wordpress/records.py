"""What the WordPress REST API answers about posts and media, as the records the rest of the tool
reads (parsed tolerantly: a field a site does not send gets its default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["WpMedia", "WpPermalink", "WpPost"]


@dataclass(frozen=True, slots=True)
class WpPost:
    id: int
    status: str
    slug: str
    link: str
    content_raw: str | None = None
    featured_media: int = 0
    # Edit context: the permalink structure filled in for this post, `%postname%` where the slug goes.
    permalink_template: str | None = None
    generated_slug: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WpPost:
        content = data.get("content") or {}
        return cls(
            id=int(data["id"]),
            status=str(data.get("status", "")),
            slug=str(data.get("slug") or data.get("generated_slug") or ""),
            link=str(data.get("link", "")),
            content_raw=content.get("raw") if isinstance(content, dict) else None,
            featured_media=int(data.get("featured_media") or 0),
            permalink_template=data.get("permalink_template") or None,
            generated_slug=data.get("generated_slug") or None,
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
    width: int | None = None    # media_details of an image (the original's size); None otherwise
    height: int | None = None
    mime_type: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WpMedia:
        desc = data.get("description") or {}
        details = data.get("media_details") or {}
        return cls(
            id=int(data["id"]),
            source_url=str(data.get("source_url", "")),
            post=data.get("post") or None,
            description_raw=desc.get("raw") if isinstance(desc, dict) else None,
            width=_pixels(details.get("width")) if isinstance(details, dict) else None,
            height=_pixels(details.get("height")) if isinstance(details, dict) else None,
            mime_type=str(data.get("mime_type") or ""),
        )


def _pixels(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
