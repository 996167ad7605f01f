"""The dispatcher: each element of the cleaned HTML to its block writer, Custom HTML for the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from selectolax.lexbor import LexborNode

from migrator.wordpress.blocks import media, table, text
from migrator.wordpress.blocks.context import Context
from migrator.wordpress.blocks.folds import details
from migrator.wordpress.blocks.markup import is_blank_text, outer

Writer = Callable[[LexborNode, Context], "str | None"]


def _paragraph(node: LexborNode, ctx: Context) -> str | None:
    for writer in (media.embed, media.file, media.lone_pictures, text.paragraph):
        result = writer(node, ctx)
        if result is not None:
            return result
    return None


_WRITERS: dict[str, Writer] = {
    "p": _paragraph,
    **dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), text.heading),
    "ul": text.list_, "ol": text.list_,
    "blockquote": text.quote,
    "pre": text.code,
    "hr": text.separator,
    "table": table.table,
    "figure": media.figure,
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
        if tag == "-text" or tag not in text.BLOCK_TAGS:
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
            result = text.html_block(outer(_tie_images(node, ctx)))
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
        return [text.html_block(html)]
    result = _paragraph(wrapper, ctx)
    return [result] if result else []


def _parse(html: str) -> LexborNode:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(f"<body>{html}</body>")
    assert tree.body is not None
    return tree.body
