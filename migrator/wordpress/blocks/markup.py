"""Writing HTML and block delimiters: the one place that escapes what goes into block markup.

Every element is written by us (not re-serialised by the parser) so that the block grammar can never
be fooled: `<` and `>` are escaped in attribute values too, so no text of the post can ever read as
a `<!-- wp:... -->` delimiter, and HTML comments are dropped (the marker is added by the caller, in
its own block).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from selectolax.lexbor import LexborNode

VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                           "source", "track", "wbr"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

Attributes = Mapping[str, object]


def text(value: str) -> str:
    """Text escaped for element content."""
    return value.translate(_TEXT_ESCAPES)


def attr(value: str) -> str:
    """Text escaped for a double-quoted attribute value (`<` and `>` too: see the module docstring)."""
    return value.translate(_ATTR_ESCAPES)


def start_tag(tag: str, attrs: Iterable[tuple[str, str | None]] = ()) -> str:
    parts = [tag]
    for name, value in attrs:
        parts.append(name if value is None else f'{name}="{attr(value)}"')
    return "<" + " ".join(parts) + ">"


def outer(node: LexborNode) -> str:
    """The node as HTML (comments dropped)."""
    tag = node.tag
    if tag == "-text":
        return text(node.text_content or "")
    if tag is None or tag.startswith("-"):
        return ""  # comments, doctype
    attrs = [(name, value if value is not None else "") for name, value in node.attributes.items()]
    if tag in VOID_ELEMENTS:
        return start_tag(tag, attrs)
    return start_tag(tag, attrs) + inner(node) + f"</{tag}>"


def inner(node: LexborNode) -> str:
    """The node's children as HTML (comments dropped)."""
    return "".join(outer(child) for child in node.iter(include_text=True))


def attributes_json(attrs: Attributes) -> str:
    """Block attributes as the editor's serializer writes them in the delimiter comment."""
    encoded = json.dumps(attrs, ensure_ascii=False, separators=(",", ":"))
    return (encoded.replace("\\\\", "\\u005c").replace("--", "\\u002d\\u002d").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace('\\"', "\\u0022"))


def block(name: str, html: str, attrs: Attributes | None = None) -> str:
    """One block: its delimiters around its HTML, as `serialize()` writes them."""
    short = name.removeprefix("core/")
    opening = f"<!-- wp:{short} {attributes_json(attrs)} -->" if attrs else f"<!-- wp:{short} -->"
    return f"{opening}\n{html}\n<!-- /wp:{short} -->"


def inner_blocks(blocks: Iterable[str]) -> str:
    """Blocks inside another block's HTML, joined as the editor's serializer joins them."""
    return "\n\n".join(blocks)


def element_children(node: LexborNode) -> list[LexborNode]:
    return [child for child in node.iter(include_text=False) if child.tag and not child.tag.startswith("-")]


def is_blank_text(node: LexborNode) -> bool:
    return node.tag == "-text" and not (node.text_content or "").strip()


def meaningful_children(node: LexborNode) -> list[LexborNode]:
    """Children without comments and whitespace-only text."""
    return [child for child in node.iter(include_text=True)
            if child.tag and (child.tag == "-text" or not child.tag.startswith("-")) and not is_blank_text(child)]
