"""Reading Tistory's post listings (pure: text or JSON in, posts out): the mobile JSON list, the
sitemap, RSS and HTML list pages.

Every function here runs in time linear in its input, whatever the input: the sitemap and RSS are
read by forward-only string scanning (a `.*?` regex from every unclosed `<loc>` rescanned the rest of
the document: a 46 KiB sitemap took 25 s), and list pages by one pass over their links with bounded,
memoised climbs. Links urllib cannot read are skipped and handed to `on_malformed` (never raised).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from migrator.tistory.urls import PostUrl, classify_post_url

__all__ = [
    "PROTECTED_SUMMARY",
    "EntryPage",
    "Found",
    "ascii_lower",
    "extract_post_links",
    "last_linked_page",
    "parse_entry_list",
    "parse_rss_links",
    "parse_sitemap",
]

# The list summary Tistory shows for password-protected posts (mobile API and list pages).
PROTECTED_SUMMARY = "보호되어 있는 글입니다"
# How far up from a post link we look for its list item (to read a "protected" summary).
_ITEM_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Found:
    """One post as a source lists it: its id and/or decoded slug, and whether it is protected. A static
    page (`kind` "page", linked from the blog's menu and sitemap) has its page slug only."""

    post_id: int | None
    slug: str | None
    protected: bool = False
    kind: str = "post"

    @property
    def key(self) -> int | str:
        if self.kind == "page":
            return f"page:{self.slug}"
        return self.post_id if self.post_id is not None else f"slug:{self.slug}"



def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
        return number if 0 < number < 10**12 else None
    return None


def _entry_items(data: Any) -> tuple[list[Any], dict[str, Any]] | None:
    """(items, the dict holding the paging fields) for the list shapes seen in public crawlers."""
    containers: list[Any] = [data]
    if isinstance(data, dict):
        containers.insert(0, data.get("data"))
    for container in containers:
        if isinstance(container, dict):
            for key in ("items", "list", "entries", "posts"):
                if isinstance(container.get(key), list):
                    return container[key], container
        elif isinstance(container, list):
            return container, {}
    return None


def _protected_item(item: dict[str, Any]) -> bool:
    summary = item.get("summary")
    if isinstance(summary, str) and PROTECTED_SUMMARY in summary:
        return True
    if item.get("protected") is True or item.get("isProtected") is True:
        return True
    visibility = item.get("visibility")
    return isinstance(visibility, str) and visibility.upper() == "PROTECTED"


def _entry_item(
    item: Any, origin: str, hosts: Collection[str], on_malformed: Callable[[str], None] | None = None,
) -> Found | None:
    if not isinstance(item, dict):
        return None
    ids = (_as_id(item.get(key)) for key in ("id", "entryId", "postId"))
    post_id = next((i for i in ids if i is not None), None)
    slug: str | None = None
    base_url = item.get("url") if isinstance(item.get("url"), str) else ""
    candidates = [item.get("path"), item.get("permalink"), item.get("link"), base_url]
    if isinstance(item.get("subPath"), str) and isinstance(base_url, str) and base_url:
        candidates.insert(0, base_url.rstrip("/") + "/" + item["subPath"].lstrip("/"))
    elif isinstance(item.get("subPath"), str):
        candidates.insert(0, item["subPath"])
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate:
            continue
        target = classify_post_url(candidate, hosts, base=origin, on_malformed=on_malformed)
        if target is None:
            continue
        post_id = post_id or target.post_id
        slug = slug or target.slug
        if slug or post_id:
            break
    if post_id is None and slug is None:
        return None
    return Found(post_id, slug, _protected_item(item))


@dataclass(frozen=True, slots=True)
class EntryPage:
    """One page of the mobile JSON list: its posts and how to ask for the next page."""

    found: tuple[Found, ...]
    raw_count: int                 # items in the page, parsed or not
    is_last: bool | None
    next_page: int | None
    next_id: str | None


def parse_entry_list(
    data: Any, origin: str, hosts: Collection[str], on_malformed: Callable[[str], None] | None = None,
) -> EntryPage | None:
    """Read one `/m/api/entry/0/{POST|NOTICE}` answer; None when the shape is not a list of entries.

    Tolerates `{"data": {"items": [...], "nextPage", "isLast"}}`, `nextId`-style cursors and a bare
    list; an item yields a post from `id`, `path`, `url`+`subPath`, `url`, `permalink` or `link`.
    """
    located = _entry_items(data)
    if located is None:
        return None
    items, paging = located
    found = tuple(f for f in (_entry_item(i, origin, hosts, on_malformed) for i in items) if f is not None)
    is_last = paging.get("isLast", paging.get("last"))
    raw_next = paging.get("nextPage")
    next_page = raw_next if _is_int(raw_next) and raw_next >= 0 else None
    raw_cursor = paging.get("nextId", paging.get("nextCursor"))
    next_id = str(raw_cursor) if _is_int(raw_cursor) or (isinstance(raw_cursor, str) and raw_cursor) else None
    return EntryPage(found, len(items), is_last if isinstance(is_last, bool) else None, next_page, next_id)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# The sitemap and RSS are read by plain string scanning, never by regex: a `.*?` search from every
# unclosed `<loc>` rescans the rest of the document (a 46 KiB sitemap took 25 s). Every scan below
# moves forward only, so a page of any shape costs time linear in its length.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower-cased A-Z only: keeps every index of `text` valid (str.lower can change lengths)."""
    return text.translate(_ASCII_LOWER)


def _ends_tag_name(lower: str, index: int) -> bool:
    return index >= len(lower) or lower[index] in ">/ \t\r\n"


def _elements(text: str, lower: str, tag: str) -> list[tuple[int, int, str]]:
    """(start offset, end offset, inner text) of each `<tag …>…</tag>` in document order, innermost opening
    before each closing; an unclosed element yields nothing. Linear in len(text)."""
    opening, closing = "<" + tag, "</" + tag
    found: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        end = lower.find(closing, pos)
        if end < 0:
            return found
        after = end + len(closing)
        if _ends_tag_name(lower, after):
            start = lower.rfind(opening, pos, end)
            while start >= 0 and not _ends_tag_name(lower, start + len(opening)):
                start = lower.rfind(opening, pos, start)
            if start >= 0:
                gt = lower.find(">", start, end)
                if gt >= 0:
                    found.append((start, after, text[gt + 1:end]))
        pos = after


def _xml_value(raw: str) -> str:
    value = raw.strip()
    if value.startswith("<![CDATA[") and value.endswith("]]>"):
        value = value[9:-3].strip()
    return htmllib.unescape(value)


def parse_sitemap(text: str) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of a sitemap or sitemap index, entities decoded.

    Tolerant on purpose: real sitemaps are sometimes not well-formed XML, and all we need is every
    `<loc>`; an unclosed element or garbage yields what can be read, never an error.
    """
    lower = ascii_lower(text)
    blocks = [(start, end) for start, end, _ in _elements(text, lower, "sitemap")]
    pages: list[str] = []
    nested: list[str] = []
    block = 0
    for start, _, inner in _elements(text, lower, "loc"):
        while block < len(blocks) and blocks[block][1] < start:
            block += 1
        inside = block < len(blocks) and blocks[block][0] <= start
        (nested if inside else pages).append(_xml_value(inner))
    return pages, nested


def parse_rss_links(text: str) -> list[list[str]]:
    """For each RSS `<item>`, its `<link>` and `<guid>` values (entities decoded), in feed order."""
    result = []
    lower = ascii_lower(text)
    for _, _, item in _elements(text, lower, "item"):
        item_lower = ascii_lower(item)
        values = sorted(_elements(item, item_lower, "link") + _elements(item, item_lower, "guid"))
        result.append([_xml_value(inner) for _, _, inner in values])
    return result


def _found_of(target: PostUrl, protected: bool = False) -> Found:
    return Found(target.post_id, target.slug, protected, target.kind)


def _key_of(target: PostUrl) -> int | str:
    return _found_of(target).key


# Tags where the climb from a post link to its list item stops (the whole list, not one item).
_LIST_TAGS = frozenset({"body", "html", "ul", "ol", "main"})
# How far up other post links register (a link deeper than this under an ancestor is not seen there).
_MARK_DEPTH = 2 * _ITEM_DEPTH
_THE_LINK = -1              # memo value: the item is the link itself


def _climb(node: LexborNode, depth: int) -> Iterator[LexborNode]:
    """The ancestors of `node`, nearest first, at most `depth`, stopping below a list tag."""
    parent = node.parent
    for _ in range(depth):
        if parent is None or parent.tag in _LIST_TAGS:
            return
        yield parent
        parent = parent.parent


def _protected_items(tree: LexborHTMLParser, links: list[tuple[LexborNode, int | str]]) -> set[int | str]:
    """The post keys whose list item shows Tistory's protected summary.

    An item is the highest ancestor (at most `_ITEM_DEPTH` up) that still links to that post only.
    Computed in one pass over the links and one over the text, with bounded climbs, so that a page of
    50,000 links in one block stays linear (scanning each ancestor's links per link was quadratic).
    """
    keys_below: dict[int, set[int | str]] = {}   # node → up to 2 distinct post keys linked below it
    registered: set[tuple[int, int | str]] = set()
    for anchor, key in links:
        parent = anchor.parent
        if parent is not None:
            if (parent.mem_id, key) in registered:
                continue            # a sibling link to the same post registered the same ancestors
            registered.add((parent.mem_id, key))
        for node in _climb(anchor, _MARK_DEPTH):
            keys = keys_below.setdefault(node.mem_id, set())
            if len(keys) < 2:
                keys.add(key)
    with_summary: set[int] = set()
    for node in tree.root.traverse(include_text=True) if tree.root is not None else ():
        if node.tag == "-text" and PROTECTED_SUMMARY in (node.text_content or ""):
            with_summary.update(n.mem_id for n in _climb(node, _MARK_DEPTH))
    protected: set[int | str] = set()
    items: dict[tuple[int, int | str], int] = {}    # (parent, key) → the item's node
    for anchor, key in links:
        parent_id = anchor.parent.mem_id if anchor.parent is not None else 0
        item_id = items.get((parent_id, key))
        if item_id is None:
            item = anchor
            for parent in _climb(anchor, _ITEM_DEPTH):
                if keys_below.get(parent.mem_id, set()) - {key}:
                    break           # the ancestor links to another post too: it is the whole list
                item = parent
            item_id = items[(parent_id, key)] = item.mem_id if item is not anchor else _THE_LINK
        if (anchor.mem_id if item_id == _THE_LINK else item_id) in with_summary:
            protected.add(key)
    return protected


def extract_post_links(
    page_html: str, base_url: str, hosts: Collection[str], on_malformed: Callable[[str], None] | None = None,
) -> list[Found]:
    """Every distinct post a list page links to, in page order, skin-independently, and the static
    pages its menu (or any other link) names.

    Sidebar widgets (recent/popular posts, recent comments) are included on purpose: the caller
    dedupes, and knowing no skin is better than missing a list layout. Linear in the page size.
    """
    tree = LexborHTMLParser(page_html)
    links: list[tuple[LexborNode, int | str]] = []
    found: dict[int | str, Found] = {}
    targets: dict[str, PostUrl | None] = {}     # sidebars repeat the same links on every page
    for anchor in tree.css("a[href]"):
        href = anchor.attributes.get("href") or ""
        if href in targets:
            target = targets[href]
        else:
            target = targets[href] = classify_post_url(
                href, hosts, base=base_url, on_malformed=on_malformed, pages=True
            )
        if target is None:
            continue
        key = _key_of(target)
        links.append((anchor, key))
        if key not in found:
            found[key] = _found_of(target)
    if PROTECTED_SUMMARY in page_html:
        for key in _protected_items(tree, links):
            found[key] = Found(found[key].post_id, found[key].slug, True, found[key].kind)
    return list(found.values())


_HREF = re.compile(r"""href\s*=\s*["']([^"'<>]{1,300})["']""", re.IGNORECASE)


def last_linked_page(page_html: str, path: str) -> int:
    """The highest `?page=N` of `path` the page links to (its paging bar: "1 2 3 … 77"); 0 if none.

    A hint of how many list pages there are, used only to fetch pages ahead: a wrong or missing one
    costs requests or waiting, never a page (the walk itself goes on until a page adds nothing).
    """
    highest = 0
    for match in _HREF.finditer(page_html):
        href = htmllib.unescape(match.group(1))
        if "page=" not in href:
            continue
        try:
            parts = urlsplit(href)
        except ValueError:
            continue
        if (parts.path or "/") != path:
            continue
        for value in parse_qs(parts.query).get("page", ()):
            if value.isascii() and value.isdigit() and len(value) < 7:
                highest = max(highest, int(value))
    return highest
