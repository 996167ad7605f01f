"""The dispatcher: each element of the cleaned HTML to its block writer, Custom HTML for the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode

from migrator.wordpress.blocks.context import Context
from migrator.wordpress.blocks.folds import details
from migrator.wordpress.blocks.markup import is_blank_text, outer
from migrator.wordpress.blocks.media import embed, figure, file, lone_pictures
from migrator.wordpress.blocks.table import table
from migrator.wordpress.blocks.text import (
    BLOCK_TAGS,
    code,
    heading,
    html_block,
    list_,
    paragraph,
    quote,
    separator,
)

Writer = Callable[[LexborNode, Context], "str | None"]


def _paragraph(node: LexborNode, ctx: Context) -> str | None:
    for writer in (embed, file, lone_pictures, paragraph):
        result = writer(node, ctx)
        if result is not None:
            return result
    return None


_WRITERS: dict[str, Writer] = {
    "p": _paragraph,
    **dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), heading),
    "ul": list_, "ol": list_,
    "blockquote": quote,
    "pre": code,
    "hr": separator,
    "table": table,
    "figure": figure,
    "details": details,
}


def render_nodes(nodes: Sequence[LexborNode], ctx: Context) -> list[str]:
    """Serialised blocks for a run of sibling nodes (the body's, or a quote's or fold's)."""
    blocks: list[str] = []
    loose: list[LexborNode] = []  # inline content standing between blocks
    for node in nodes:
        tag = node.tag or "-"
        if tag.startswith("-") and tag != "-text":
            continue  # comments: never written (see markup)
        if tag == "-text" or tag not in BLOCK_TAGS:
            loose.append(node)
            continue
        blocks.extend(_loose_paragraph(loose, ctx))
        loose = []
        if tag == "div" and not node.attributes:
            blocks.extend(ctx.children(node))  # a bare wrapper the cleaner left: its content counts
            continue
        writer = _WRITERS.get(tag)
        result = writer(node, ctx) if writer is not None else None
        if result is None:
            result = html_block(outer(_tie_images(node, ctx)))
        if result:
            blocks.append(result)
    blocks.extend(_loose_paragraph(loose, ctx))
    return blocks


def _tie_images(node: LexborNode, ctx: Context) -> LexborNode:
    """Images kept in Custom HTML still point at their attachment (`wp-image-<id>`), so WordPress
    gives them srcset/sizes too."""
    for img in node.css("img"):
        info = ctx.media.get(img.attributes.get("src") or "")
        if info is not None:
            img.attrs["class"] = f"wp-image-{info.id}"
    return node


def _loose_paragraph(nodes: list[LexborNode], ctx: Context) -> list[str]:
    """Inline content between blocks reads as a paragraph (wpautop made it one in HTML content)."""
    if all(is_blank_text(node) for node in nodes):
        return []
    html = "".join(outer(node) for node in nodes).strip()
    wrapper = _parse(f"<p>{html}</p>").css_first("p")
    if wrapper is None:
        return [html_block(html)]
    result = _paragraph(wrapper, ctx)
    return [result] if result else []


def _parse(html: str) -> LexborNode:
    tree = LexborHTMLParser(f"<body>{html}</body>")
    assert tree.body is not None
    return tree.body
