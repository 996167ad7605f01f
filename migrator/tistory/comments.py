"""A post's public comments, read from Tistory's comment JSON (`/m/api/<postId>/comment`).

The shape is not documented by Tistory; what public sources show of it, and where, is in
docs/tistory-comments.md. Parsing is tolerant: an item that cannot be read is counted (never a failed
post), a response whose shape is not recognised raises `UnrecognisedShape` for the caller to report.
The parsing functions are pure; `fetch_comments` pages through the API with the blog's HttpClient
(its retries and rate limit).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from migrator.tistory.source import SourceClient

__all__ = [
    "CommentPage",
    "PostComments",
    "SourceComment",
    "UnrecognisedShape",
    "comment_api_url",
    "fetch_comments",
    "parse_comment_page",
    "parse_written",
    "text_of",
]

# Tistory shows comment times in Korea time; a time without an offset is read as KST.
KST = timezone(timedelta(hours=9), "KST")
MAX_PAGES = 2000  # a runaway nextId chain stops here (20 a page: 40,000 comments)


class UnrecognisedShape(ValueError):
    """The answer is not the comment JSON we know: the post's comments are skipped and reported."""


@dataclass(frozen=True, slots=True)
class SourceComment:
    comment_id: int
    parent_id: int | None       # the Tistory comment it answers, None for a top-level comment
    author_name: str
    author_url: str             # "" when none, else an http(s) URL
    written: datetime           # aware, UTC
    text: str                   # plain text (any markup in the source reduced to its text)


@dataclass(slots=True)
class CommentPage:
    comments: list[SourceComment] = field(default_factory=list)
    secret: int = 0
    unreadable: int = 0
    is_last: bool = True
    next_id: int | None = None


@dataclass(slots=True)
class PostComments:
    """All the public comments of one post, parents before their replies."""

    comments: list[SourceComment] = field(default_factory=list)
    secret: int = 0
    unreadable: int = 0


def comment_api_url(origin: str, post_id: int, start_id: int | None = None) -> str:
    base = f"{origin.rstrip('/')}/m/api/{post_id}/comment"
    return base if start_id is None else f"{base}?startId={start_id}"


# ---------------------------------------------------------------------------- pure parsing
def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "y", "yes")
    return bool(value)


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")
_DOTTED = re.compile(r"^(\d{4})\.\s*(\d{1,2})\.\s*(\d{1,2})\.?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_written(value: Any) -> datetime | None:
    """The comment's time as an aware UTC datetime, or None when it cannot be read.

    Accepted: ISO 8601 with or without an offset (without: Korea time), Tistory's display form
    "2024. 3. 15. 14:22", and epoch seconds or milliseconds.
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 10_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if raw.isdigit():
        return parse_written(int(raw))
    if _ISO.match(raw):
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (when if when.tzinfo else when.replace(tzinfo=KST)).astimezone(UTC)
    dotted = _DOTTED.match(raw)
    if dotted:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in dotted.groups())
        try:
            return datetime(y, mo, d, h, mi, s, tzinfo=KST).astimezone(UTC)
        except ValueError:
            return None
    return None


def text_of(content: str) -> str:
    """Comment content as plain text. Tistory stores comments as text; should markup appear (older
    comments, other skins), it is reduced to its text, a link to "label (address)", a <br> to a newline."""
    if "<" not in content or not re.search(r"<[a-zA-Z/!]", content):
        return html.unescape(content).strip()
    tree = LexborHTMLParser(f"<div>{content}</div>")
    root = tree.css_first("div")
    if root is None:
        return ""
    for node in root.css("script, style"):
        node.decompose()
    for br in root.css("br"):
        br.replace_with("\n")
    for link in root.css("a"):
        href = (link.attributes.get("href") or "").strip()
        label = link.text(deep=True).strip()
        if href.startswith(("http://", "https://")) and href != label:
            link.replace_with(f"{label} ({href})" if label else href)
    return (root.text(deep=True) or "").strip()


def _author_url(value: Any) -> str:
    url = value.strip() if isinstance(value, str) else ""
    return url if re.match(r"^https?://[^\s/]+", url) and not re.search(r"[\s<>\"]", url) else ""


def _secret(item: Mapping[str, Any]) -> bool:
    return any(_truthy(item.get(key)) for key in ("isSecret", "secret", "isSecretComment"))


def _read_item(item: Any, parent_id: int | None) -> SourceComment | None:
    """One comment item, or None when it lacks what a comment needs (id, author, time, text)."""
    if not isinstance(item, Mapping):
        return None
    comment_id = _int(item.get("id"))
    writer = item.get("writer")
    writer = writer if isinstance(writer, Mapping) else {}
    name = writer.get("name", item.get("name"))
    content = item.get("content", item.get("comment"))
    written = parse_written(item.get("written", item.get("date", item.get("regTime"))))
    if comment_id is None or not isinstance(content, str) or written is None:
        return None
    name = name.strip() if isinstance(name, str) else ""
    parent = parent_id if parent_id is not None else _int(item.get("parent", item.get("parentId")))
    text = text_of(content)
    if not text:
        return None
    return SourceComment(
        comment_id=comment_id,
        parent_id=parent or None,
        author_name=name or "(anonymous)",
        author_url=_author_url(writer.get("homepage", item.get("homepage"))),
        written=written,
        text=text,
    )


def _walk(items: list[Any], parent_id: int | None, page: CommentPage) -> None:
    for item in items:
        if isinstance(item, Mapping) and _secret(item):
            # A secret comment is hidden from guests, and so are the replies under it.
            page.secret += 1 + _count_children(item)
            continue
        comment = _read_item(item, parent_id)
        if comment is None:
            page.unreadable += 1 + (_count_children(item) if isinstance(item, Mapping) else 0)
            continue  # its replies cannot be threaded under it: counted with it
        page.comments.append(comment)
        children = _children(item)
        if children:
            _walk(children, comment.comment_id, page)


def _children(item: Mapping[str, Any]) -> list[Any]:
    for key in ("children", "replies", "childComments"):
        value = item.get(key)
        if isinstance(value, list):
            return value
    return []


def _count_children(item: Mapping[str, Any]) -> int:
    return sum(1 + (_count_children(c) if isinstance(c, Mapping) else 0) for c in _children(item))


def parse_comment_page(document: Any) -> CommentPage:
    """One answer of the comment API. Raises UnrecognisedShape when it is not
    `{"data": {"items": [...], "isLast": bool, "nextId": n}}`."""
    data = document.get("data") if isinstance(document, Mapping) else None
    items = data.get("items") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(items, list):
        keys = sorted(document)[:6] if isinstance(document, Mapping) else type(document).__name__
        raise UnrecognisedShape(f"not the comment JSON (data.items missing; top level: {keys})")
    page = CommentPage(is_last=_truthy(data.get("isLast", True)), next_id=_int(data.get("nextId")))
    _walk(items, None, page)
    return page


def thread_order(comments: list[SourceComment]) -> Iterator[SourceComment]:
    """Parents before their replies, each level by time then id; a reply whose parent is not among
    them comes last (the caller counts it as not threadable)."""
    by_parent: dict[int | None, list[SourceComment]] = {}
    ids = {c.comment_id for c in comments}
    for c in comments:
        by_parent.setdefault(c.parent_id if c.parent_id in ids else None, []).append(c)

    def level(parent: int | None) -> Iterator[SourceComment]:
        for c in sorted(by_parent.get(parent, []), key=lambda c: (c.written, c.comment_id)):
            yield c
            yield from level(c.comment_id)

    yield from level(None)


# ---------------------------------------------------------------------------- fetching
async def fetch_comments(source: SourceClient, origin: str, post_id: int) -> PostComments:
    """Every page of a post's comments. Raises UnrecognisedShape (no JSON, another shape) and the
    SourceClient's errors (TransientError when Tistory keeps failing)."""
    found = PostComments()
    seen: set[int] = set()
    start: int | None = None
    for _ in range(MAX_PAGES):
        document = await source.fetch_json(comment_api_url(origin, post_id, start))
        if document is None:
            raise UnrecognisedShape("the comment API answered no JSON")
        page = parse_comment_page(document)
        found.secret += page.secret
        found.unreadable += page.unreadable
        for comment in page.comments:
            if comment.comment_id not in seen:  # pages may overlap at their edges
                seen.add(comment.comment_id)
                found.comments.append(comment)
        if page.is_last or page.next_id is None or page.next_id == start or not (page.comments or page.secret):
            break
        start = page.next_id
    found.comments = list(thread_order(found.comments))
    return found
