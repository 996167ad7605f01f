"""Stage 1 handlers for text structure: paragraphs, headings, inline markup, quotes, lists."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from migrator.tistory.clean.figures import image_group
from migrator.tistory.clean.nodes import (
    DROP_TAGS,
    INLINE_MARKUP,
    MEDIA_SELECTOR,
    Attrs,
    has_block_inside,
    has_text,
    is_blank,
)
from migrator.tistory.clean.walker import Walker

_BREAK_RUN = re.compile(r"<br>(?:\s*<br>)+")


def paragraph(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    if not has_text(node):
        if node.css_first(MEDIA_SELECTOR) is None:
            return  # an &nbsp; / <br> spacer paragraph
        if node.css_first("img") is not None and node.css_first("table,iframe,video") is None:
            # A paragraph holding only images (old editor: <p><span class=imageblock><img>) is a figure.
            image_group(w, node, inline, link)
            return
    if inline:
        w.children(node, True, link)
        w.out.append(" ")
        return
    w.out.append("<p>")
    if w.keep_lines:
        w.children(node, True, link)
    else:
        _paragraph_content(w, node, link)
    w.out.append("</p>")


def _paragraph_content(w: Walker, node: LexborNode, link: str | None) -> None:
    """Old-editor paragraphs are full of `<br>`: leading/trailing ones are dropped and a run of
    two or more starts a new paragraph (what the blank line it renders as means)."""
    started, breaks = False, 0
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "br":
            breaks += 1
            continue
        if tag == "-text":
            value = child.text_content or ""
            if not value.strip() and (breaks or not started):
                continue
        if breaks and started:
            w.out.append("</p><p>" if breaks > 1 else "<br>")
        breaks = 0
        started = True
        if tag == "-text":
            w.text(value, link)
        else:
            w.node(child, True, link, tag)


def heading(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    if is_blank(node):
        return
    if inline or has_block_inside(node):
        w.children(node, inline, link)
        return
    w.out.append(f"<{node.tag}>")
    w.children(node, True, link)
    w.out.append(f"</{node.tag}>")


def inline_markup(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    """<b>, <em>, <code>, ...: the simplified tag of INLINE_MARKUP around the inline content."""
    if has_block_inside(node):
        w.children(node, inline, link)  # formatting around blocks cannot survive: drop it
        return
    simple_tag = INLINE_MARKUP[node.tag or ""]
    inner = w.capture(w.children, node, True, link)
    # Markdown emphasis cannot start/end with a line break or space: move them outside.
    lead, middle, trail = _split_edge_breaks(inner)
    # A blank line cannot sit inside emphasis: a run of breaks in bold text stays one break.
    middle = _BREAK_RUN.sub("<br>", middle)
    if middle:
        w.out.append(f"{lead}<{simple_tag}>{middle}</{simple_tag}>{trail}")
    else:
        w.out.append(lead + trail)


def _split_edge_breaks(html: str) -> tuple[str, str, str]:
    r"""(leading spaces/<br>s, the middle, trailing spaces/<br>s) in one pass each way.

    A regex `^((?:\s|<br>)*)(.*?)((?:\s|<br>)*)$` says the same but backtracks quadratically on a
    long run of spaces inside the text (a 20 KB bold paragraph took seconds).
    """
    start, end = 0, len(html)
    while start < end:
        if html[start].isspace():
            start += 1
        elif html.startswith("<br>", start):
            start += 4
        else:
            break
    while end > start:
        if html[end - 1].isspace():
            end -= 1
        elif end - 4 >= start and html.startswith("<br>", end - 4):
            end -= 4
        else:
            break
    return html[:start], html[start:end], html[end:]


def br(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    w.out.append("<br>")


def hr(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    if not inline:
        w.out.append("<hr>")


def blockquote(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    if is_blank(node):
        return
    if inline:
        w.children(node, inline, link)
        return
    w.out.append("<blockquote>")
    w.children(node, False, link)
    w.out.append("</blockquote>")


def list_(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    tag = node.tag
    start = attrs.get("start") or ""
    numbered_from = int(start) if tag == "ol" and start.isdigit() else 1
    w.out.append(f'<ol start="{numbered_from}">' if numbered_from != 1 else f"<{tag}>")
    item_open = False
    for child in node.iter(include_text=True):
        ctag = child.tag
        if ctag == "li":
            if item_open:
                w.out.append("</li>")
            w.out.append("<li>")
            w.children(child, False, link)
            item_open = True
        elif ctag == "-text" and not (child.text_content or "").strip():
            continue
        elif ctag in DROP_TAGS or ctag is None or (ctag.startswith("-") and ctag != "-text"):
            continue
        else:
            # The old editor nests <ul> directly in <ul>: it belongs to the previous item.
            if not item_open:
                w.out.append("<li>")
                item_open = True
            w.node(child, False, link)
    if item_open:
        w.out.append("</li>")
    w.out.append(f"</{tag}>")


def orphan_li(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    paragraph(w, node, attrs, inline, link)


def definition(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    """<dt> becomes a bold paragraph, <dd> a plain one (Markdown has no definition lists)."""
    if is_blank(node):
        return
    if inline:
        w.children(node, True, link)
        w.out.append(" ")
        return
    bold = node.tag == "dt"
    w.out.append("<p><b>" if bold else "<p>")
    w.children(node, True, link)
    w.out.append("</b></p>" if bold else "</p>")
