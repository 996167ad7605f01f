"""How the objects a run creates are recognised later: deterministic markers derived from the source.

Every post and media item created in WordPress carries a marker (an HTML comment in the post content,
an HTML comment in the media description), invisible to readers. After a crash between a create and
its record, the marker finds the object again, so it is adopted instead of created twice. Markers are
derived from stable source facts only (the blog's *.tistory.com host and the post id; an image's
stable source key), so they must never change.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from migrator.models import SourcePost

__all__ = [
    "MEDIA_MARKER_PREFIX",
    "POST_MARKER_PREFIX",
    "blog_identity",
    "digest",
    "marker_comment",
    "media_marker",
    "post_marker",
]

POST_MARKER_PREFIX = "tistory-post-"
MEDIA_MARKER_PREFIX = "tistory-media-"


def digest(text: str) -> str:
    """A short stable hash: markers are derived from it, so it must never change."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def blog_identity(source: SourcePost) -> str:
    """The blog's *.tistory.com host when known (stable even if the custom domain changes)."""
    for host in source.blog_hosts:
        if host.endswith(".tistory.com"):
            return host
    return (urlsplit(source.canonical_url).hostname or "").lower()


def post_marker(source: SourcePost) -> str:
    if source.kind == "page":  # a page is known by its slug (it may carry no id)
        return POST_MARKER_PREFIX + digest(f"{blog_identity(source)}/pages/{source.slug}")
    return POST_MARKER_PREFIX + digest(f"{blog_identity(source)}/{source.post_id}")


def media_marker(source_key: str) -> str:
    return MEDIA_MARKER_PREFIX + digest(source_key)


def marker_comment(marker: str, source_url: str | None = None) -> str:
    # No "--" inside an HTML comment; the URL is for humans reading the raw content.
    origin = f" migrated from {source_url.replace('--', '%2D%2D')}" if source_url else ""
    return f"<!-- {marker}{origin} -->"
