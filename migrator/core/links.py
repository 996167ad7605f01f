"""Internal-link rewriting, the pure part: a post's future address, and href replacement in HTML.

No I/O. `rewrite.py` feeds these functions with what the job database and WordPress say.

A draft has no public address yet. WordPress shows the one it will get in `permalink_template`
(edit context; the permalink structure with `%postname%` where the slug goes, the date parts
already filled in from the post's date), so the address a draft will have once published is that
template with its slug. Published and private posts carry their real address in `link`.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

__all__ = [
    "LinkDecision",
    "PlannedRow",
    "encode_slug",
    "find_hrefs",
    "plan_links",
    "public_url",
    "replace_hrefs",
    "with_fragment",
]

# Statuses whose `link` is already the pretty permalink. WordPress gives drafts, pending and
# scheduled (`future`) posts a `?p=<id>` link until they are published.
_LIVE_STATUSES = frozenset({"publish", "private"})
_PLACEHOLDERS = ("%postname%", "%pagename%")
# Characters WordPress keeps as they are in a post slug (sanitize_title keeps a-z, 0-9, - and _).
_SLUG_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")


class PermalinkLike(Protocol):
    """What public_url reads (wordpress.WpPermalink has it)."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def link(self) -> str: ...
    @property
    def permalink_template(self) -> str | None: ...
    @property
    def generated_slug(self) -> str | None: ...


def encode_slug(slug: str) -> str:
    """A slug as WordPress puts it in URLs: UTF-8 percent-encoded with lower-case hex (its
    `post_name`), escapes already present kept as they are."""
    out: list[str] = []
    i = 0
    while i < len(slug):
        ch = slug[i]
        if ch == "%" and re.fullmatch(r"%[0-9A-Fa-f]{2}", slug[i:i + 3]):
            out.append(slug[i:i + 3].lower())
            i += 3
            continue
        if ch in _SLUG_SAFE:
            out.append(ch)
        else:
            out.extend(f"%{b:02x}" for b in ch.encode("utf-8"))
        i += 1
    return "".join(out)


def public_url(post: PermalinkLike, *, style: str = "permalink", home: str | None = None) -> str:
    """The address readers will use for this post once it is published.

    style "permalink": the pretty permalink (published posts: `link`; drafts: the permalink template
    with the slug, i.e. what `link` becomes on publishing unless someone changes the slug first).
    style "id": `<home>/?p=<id>`, which WordPress redirects to the current permalink once the post
    is published, whatever its slug by then (one redirect per click).
    """
    if style == "id":
        base = (home or _origin(post.link)).rstrip("/")
        return f"{base}/?p={post.id}"
    if style != "permalink":
        raise ValueError(f"unknown link style {style!r}")
    if post.status in _LIVE_STATUSES or not post.permalink_template:
        return post.link
    template = post.permalink_template
    slug = post.slug or post.generated_slug or ""
    for placeholder in _PLACEHOLDERS:
        if placeholder in template:
            if not slug:
                return post.link
            return template.replace(placeholder, encode_slug(slug))
    # Plain (`?p=123`) or id-based structures: the template is already the final address.
    return template


def with_fragment(url: str, fragment: str) -> str:
    """`url#fragment` (the fragment of a link into the target post is kept as it was written)."""
    base = url.split("#", 1)[0]
    return f"{base}#{fragment}" if fragment else base


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# --------------------------------------------------------------------------- href replacement
_COMMENT_END = re.compile(r"-->")
_TAG_OPEN = re.compile(r"<([A-Za-z][^\s/>]*)")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "plaintext"})


def _href_spans(html: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, unescaped value) of every href attribute value inside a real tag.

    Text (including `&lt;a href=…&gt;` shown in code blocks), comments (the post marker) and
    script/style contents are never touched.
    """
    pos = 0
    n = len(html)
    while True:
        lt = html.find("<", pos)
        if lt < 0:
            return
        if html.startswith("<!--", lt):
            end = _COMMENT_END.search(html, lt + 4)
            pos = n if end is None else end.end()
            continue
        m = _TAG_OPEN.match(html, lt)
        if m is None:
            pos = lt + 1
            continue
        tag = m.group(1).lower()
        i = m.end()
        while i < n:
            while i < n and (html[i].isspace() or html[i] == "/"):
                i += 1
            if i >= n or html[i] == ">":
                break
            am = _ATTR.match(html, i)
            if am is None:
                i += 1
                continue
            if am.group(1).lower() == "href" and am.group(2) is not None:
                raw = am.group(2)
                quoted = raw[:1] in ("'", '"')
                start = am.start(2)
                value = raw[1:-1] if quoted else raw
                yield start, am.end(2), htmllib.unescape(value)
            i = am.end()
        pos = i + 1
        if tag in _RAW_TEXT:
            close = re.compile(rf"</{re.escape(tag)}\b", re.IGNORECASE).search(html, pos)
            pos = n if close is None else close.start()


def find_hrefs(html: str) -> list[str]:
    """Every href value (unescaped) of the tags of `html`, in document order."""
    return [value for _, _, value in _href_spans(html)]


def replace_hrefs(html: str, mapping: Mapping[str, str]) -> tuple[str, int]:
    """Replace href values that equal a key of `mapping` exactly (compared unescaped).

    Returns the new HTML and how many attributes changed; everything else is left byte for byte.
    New values are written escaped and double-quoted.
    """
    if not mapping:
        return html, 0
    parts: list[str] = []
    last = 0
    count = 0
    for start, end, value in _href_spans(html):
        new = mapping.get(value)
        if new is None or new == value:
            continue
        parts.append(html[last:start])
        parts.append('"' + htmllib.escape(new, quote=True) + '"')
        last = end
        count += 1
    if not count:
        return html, 0
    parts.append(html[last:])
    return "".join(parts), count


# --------------------------------------------------------------------------- planning one post
@dataclass(frozen=True, slots=True)
class LinkDecision:
    """What one internal link should become: `new_href` (None = leave it, `reason` says why)."""

    href: str                       # as the Tistory body had it
    new_href: str | None
    target_item_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """The state of one link after the plan is applied (what the job database records)."""

    href: str
    written_href: str | None
    target_item_id: int | None
    reason: str | None
    change: str                     # "rewritten", "current", "reverted", "left"


def plan_links(
    content: str, decisions: Iterable[LinkDecision], previous: Mapping[str, str | None]
) -> tuple[str, list[PlannedRow]]:
    """Apply link decisions to a post's content.

    `previous` maps each href to what an earlier run wrote in its place (None when it was left):
    a link rewritten before is found under that value and moved again if its target's address
    changed, or put back to the Tistory URL when the target is no longer migrated. Idempotent:
    planning the result again changes nothing. Two spellings of one target (`/1`, `/m/1?category=5`)
    rewritten to the same address cannot be told apart afterwards: putting them back gives both
    the first spelling, which names the same post.
    """
    decisions = list(decisions)
    mapping: dict[str, str] = {}
    for d in decisions:
        prev = previous.get(d.href)
        if d.new_href is not None:
            if d.href != d.new_href:
                mapping.setdefault(d.href, d.new_href)
            if prev and prev != d.new_href:
                mapping.setdefault(prev, d.new_href)
        elif prev and prev != d.href:
            mapping.setdefault(prev, d.href)
    held_before = set(find_hrefs(content))
    new_content, _ = replace_hrefs(content, mapping)
    present = set(find_hrefs(new_content))
    rows: list[PlannedRow] = []
    for d in decisions:
        prev = previous.get(d.href)
        own_keys = {d.href} | ({prev} if prev else set())
        moved = any(k in held_before and k in mapping for k in own_keys)
        if d.new_href is not None and d.new_href in present:
            change = "rewritten" if moved else "current"
            rows.append(PlannedRow(d.href, d.new_href, d.target_item_id, None, change))
        elif d.new_href is not None:
            rows.append(PlannedRow(d.href, None, d.target_item_id,
                                   "the link is no longer in the WordPress post", "left"))
        else:
            change = "reverted" if moved and prev != d.href else "left"
            rows.append(PlannedRow(d.href, None, d.target_item_id, d.reason, change))
    return new_content, rows
