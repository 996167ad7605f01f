"""Typed records shared between modules: statuses, discovered posts, parsed posts, cleaned bodies."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "AttachmentRef",
    "CleanPost",
    "ImageRef",
    "ItemStatus",
    "JobStatus",
    "MissingFile",
    "PostRef",
    "SourcePost",
]


class ItemStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class JobStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"          # every post completed or skipped
    COMPLETED_WITH_FAILURES = "completed_with_failures"
    INTERRUPTED = "interrupted"
    ABORTED = "aborted"              # a fatal error stopped it


@dataclass(frozen=True, slots=True)
class PostRef:
    """A post found by discovery, before it is fetched.

    `url` is the canonical post URL when `post_id` is known (`https://<blog host>/<id>`), else the
    URL as found (e.g. an `/entry/<slug>` URL); `source` names the discovery source
    ("mobile_api", "sitemap", "list", "rss", "probe", "cli"). A static page (`kind` "page") is
    named by its canonical `/pages/<slug>` URL and its decoded slug, never by an id.
    """

    url: str
    post_id: int | None = None
    slug: str | None = None
    source: str = "cli"
    protected: bool = False
    kind: str = "post"           # "post" or "page" (a Tistory static page, a WordPress page)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One image of a post body.

    `src` is the exact URL string as it appears in `CleanPost.html` (the string to replace once
    uploaded); `original_url` is the URL to download (the resolved original). `filename` is the
    editor's original file name when known (`data-filename`, legacy `filename=`).
    """

    src: str
    original_url: str
    filename: str | None = None
    alt: str = ""
    caption: str = ""


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """A file attachment (file block): `href` as it appears in the cleaned HTML, `url` to download."""

    href: str
    url: str
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class SourcePost:
    """Everything read from one Tistory post page (pure data, no HTML parsing left to do)."""

    post_id: int
    canonical_url: str
    title: str
    published: datetime | None           # timezone-aware (Tistory gives +09:00); None: a page without one
    modified: datetime | None
    category_path: tuple[str, ...]       # ("Parent", "Child"), () when uncategorised
    tags: tuple[str, ...]
    author: str | None
    excerpt: str
    slug: str | None                     # decoded Tistory slug for /entry/ posts, else None
    body_html: str                       # inner HTML of div.contents_style, untouched
    featured_image_url: str | None       # original URL of og:image (None for the default image)
    blog_hosts: tuple[str, ...] = ()     # every host this blog answers on (tistory + custom domain)
    # "page" for a static page (`/pages/<slug>`): `slug` is then its page slug, and `post_id` its
    # entry id when the page carries one, else 0 (pages are known by their slug).
    kind: str = "post"

    @property
    def identity(self) -> str:
        """What tells this post from every other of the blog: its id, or a page's slug."""
        return f"page:{self.slug}" if self.kind == "page" else str(self.post_id)


@dataclass(frozen=True, slots=True)
class CleanPost:
    """A body after HTML → Markdown → HTML, with what must still be fetched and rewritten."""

    html: str
    images: tuple[ImageRef, ...] = ()
    attachments: tuple[AttachmentRef, ...] = ()
    links: tuple[str, ...] = field(default=())   # every absolute href in the body, in order


@dataclass(frozen=True, slots=True)
class MissingFile:
    """An image or attachment a migrated post could not get: its content keeps `url` (the original
    address) and the next run tries it again. `source_key` identifies it across re-signed links."""

    source_key: str
    url: str
    reason: str
    kind: str = "image"          # "image" or "attachment"
