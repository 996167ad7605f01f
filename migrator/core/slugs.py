"""The names a post is given in WordPress, decided from the source before anything is created."""

from __future__ import annotations

import re
import unicodedata

from migrator.models import SourcePost

__all__ = ["planned_slug", "upload_stem", "wp_slug_for"]


def wp_slug_for(source: SourcePost) -> str:
    """The slug the post gets: the Tistory /entry/ slug, else one derived from the title, as WordPress
    itself would on publishing (so permalinks and redirects are known while it is a draft)."""
    return planned_slug(source.slug, source.title, source.post_id)


def planned_slug(slug: str | None, title: str | None, post_id: int) -> str:
    """`wp_slug_for` from the parts discovery or a link may already know (slug, title, post id)."""
    base = slug or title or ""
    text = unicodedata.normalize("NFC", base).lower()
    text = re.sub(r"[^\w\s-]", "", text, flags=re.UNICODE)
    text = re.sub(r"[\s_-]+", "-", text).strip("-")
    # WordPress keeps at most 200 bytes of percent-encoded slug; stay well inside it.
    while len(text.encode("utf-8")) * 3 > 190 and "-" in text:
        text = text.rsplit("-", 1)[0]
    if len(text.encode("utf-8")) * 3 > 190:
        text = text[:20]
    return text or f"post-{post_id}"


def upload_stem(source: SourcePost) -> str:
    """What generic upload names are built from: the post's slug, else `tistory-<id>`."""
    return wp_slug_for(source) if source.slug else f"tistory-{source.post_id}"
