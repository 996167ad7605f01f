"""Parsing and cleaning one post page: the work the parse pool's processes do.

Kept apart from the pool itself (offload) so that a worker process imports only the parsers: not
asyncio, aiohttp or the rest of the tool (asyncio alone weighs ~8 MB per process). The function
never raises: it returns what happened, so a broken page (or a parser bug) fails that post only.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.errors import MigratorError, SkipPost
from migrator.models import CleanPost, SourcePost
from migrator.tistory import clean as cleaning
from migrator.tistory import parse as parsing

__all__ = ["ParsedPage", "parse_page"]


@dataclass(frozen=True, slots=True)
class ParsedPage:
    source: SourcePost | None = None
    body: CleanPost | None = None
    skip_reason: str | None = None  # protected / private / deleted: not an error
    error: str | None = None  # the page cannot be migrated, and why
    post_id: int | None = None  # known even for skipped pages when the page carries it


def parse_page(html: str, page_url: str, kind: str = "post") -> ParsedPage:
    """Parse a post page (or a static page: `kind` "page") and clean its body. Pure; never raises."""
    try:
        source = (
            parsing.parse_post(html, page_url, kind="page") if kind == "page" else parsing.parse_post(html, page_url)
        )
    except SkipPost as exc:
        return ParsedPage(skip_reason=exc.reason, post_id=_safe_post_id(html))
    except MigratorError as exc:
        return ParsedPage(error=f"unreadable page: {exc}", post_id=_safe_post_id(html))
    except Exception as exc:  # a parser bug must fail this post only, with its reason recorded
        return ParsedPage(
            error=f"unreadable page ({exc.__class__.__name__}: {exc})", post_id=_safe_post_id(html)
        )
    try:
        body = cleaning.clean_body(source.body_html, page_url=page_url, blog_hosts=source.blog_hosts)
    except Exception as exc:
        return ParsedPage(
            source=source,
            error=f"the body could not be cleaned ({exc.__class__.__name__}: {exc})",
            post_id=source.post_id,
        )
    return ParsedPage(source=source, body=body, post_id=source.post_id)


def _safe_post_id(html: str) -> int | None:
    try:
        return parsing.page_post_id(html)
    except Exception:
        return None
