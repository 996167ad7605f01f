"""Text blocks: paragraph, heading, list (list + list-item), quote, code, preformatted, separator, Custom HTML.

Each writer takes one element of the cleaned HTML and returns its serialised block, or None when the
element holds something its block cannot (the dispatcher then keeps it whole in a Custom HTML block).
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from migrator.wordpress.blocks.context import Context
from migrator.wordpress.blocks.markup import (
    block,
    element_children,
    inner,
    inner_blocks,
    is_blank_text,
    meaningful_children,
    outer,
    text,
)

# Elements that are blocks of their own: rich text (a paragraph, a list item's text) cannot hold them.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "ul", "dd", "dt",
    "caption", "thead", "tbody", "tfoot", "tr", "td", "th",
})
# The code block escapes these so WordPress runs no shortcode and no URL filter on the code
# (block-library code/utils.js escape(): `[` everywhere, the first line that is a bare URL).
_ISOLATED_URL = re.compile(r"^(\s*https?:)//([^\s<>\"]+\s*)$", re.MULTILINE)


def has_block_child(node: LexborNode) -> bool:
    descendants = node.traverse(include_text=False)
    next(descendants, None)  # the node itself
    return any(child.tag in BLOCK_TAGS for child in descendants)


def html_block(html: str) -> str:
    """Custom HTML: kept exactly as written, shown as is on the site."""
    return block("core/html", html)


def paragraph(node: LexborNode, ctx: Context) -> str | None:
    if has_block_child(node):
        return None
    content = inner(node).strip()
    if not content:
        return ""
    return block("core/paragraph", f"<p>{content}</p>")


def heading(node: LexborNode, ctx: Context) -> str | None:
    if has_block_child(node):
        return None
    level = int(node.tag[1]) if node.tag else 2
    attrs = {"level": level} if level != 2 else None
    tag = f"h{level}"
    return block("core/heading", f'<{tag} class="wp-block-heading">{inner(node).strip()}</{tag}>', attrs)


def separator(node: LexborNode, ctx: Context) -> str | None:
    return block("core/separator", '<hr class="wp-block-separator has-alpha-channel-opacity"/>')


def code(node: LexborNode, ctx: Context) -> str | None:
    """`<pre><code class="language-x">` → core/code, the language kept as the block's class."""
    children = meaningful_children(node)
    if len(children) != 1 or children[0].tag != "code":
        return preformatted(node, ctx)
    code_node = children[0]
    if element_children(code_node):
        return None  # highlighted markup: the cleaner never writes it; keep it as it is
    language = _language(code_node.attributes.get("class") or "")
    escaped = _ISOLATED_URL.sub(r"\1&#47;&#47;\2", text(code_node.text(deep=True) or "").replace("[", "&#91;"),
                                count=1)
    attrs = {"className": f"language-{language}"} if language else None
    pre_class = "wp-block-code" + (f" language-{language}" if language else "")
    return block("core/code", f'<pre class="{pre_class}"><code>{escaped}</code></pre>', attrs)


def _language(css_class: str) -> str:
    for name in css_class.split():
        if name.startswith("language-") and re.fullmatch(r"[a-z0-9_+#.-]{1,30}", name[9:]):
            return name[9:]
    return ""


def preformatted(node: LexborNode, ctx: Context) -> str | None:
    if has_block_child(node):
        return None
    return block("core/preformatted", f'<pre class="wp-block-preformatted">{inner(node)}</pre>')


def quote(node: LexborNode, ctx: Context) -> str | None:
    inside = ctx.children(node)
    if not inside:
        return ""
    return block("core/quote", f'<blockquote class="wp-block-quote">{inner_blocks(inside)}</blockquote>')


def list_(node: LexborNode, ctx: Context) -> str | None:
    """A list and its items (block-library 11: core/list holds core/list-item blocks, nested lists
    are core/list blocks inside their item)."""
    items: list[str] = []
    for child in meaningful_children(node):
        if child.tag != "li":
            return None
        item = _list_item(child, ctx)
        if item is None:
            return None
        items.append(item)
    ordered = node.tag == "ol"
    attrs: dict[str, object] = {}
    start_tag = "ol" if ordered else "ul"
    extra = ""
    if ordered:
        attrs["ordered"] = True
        start = (node.attributes.get("start") or "").strip()
        if re.fullmatch(r"-?\d{1,9}", start) and int(start) != 1:
            attrs["start"] = int(start)
            extra = f' start="{int(start)}"'
    return block("core/list", f'<{start_tag} class="wp-block-list"{extra}>{inner_blocks(items)}</{start_tag}>',
                 attrs or None)


def _list_item(li: LexborNode, ctx: Context) -> str | None:
    """One item: its text (a loose list's single <p> unwrapped), then its nested lists."""
    content: list[str] = []
    nested: list[str] = []
    wrapped = loose = False
    for child in li.iter(include_text=True):
        tag = child.tag or "-"
        if tag.startswith("-") and tag != "-text":
            continue  # comments
        if is_blank_text(child):
            if not nested:
                content.append(" ")  # the space between two inline elements is text
            continue
        if tag in ("ul", "ol"):
            sub = list_(child, ctx)
            if sub is None:
                return None
            nested.append(sub)
        elif nested:
            return None  # text after a nested list: an item's text comes before its sublists
        elif tag == "p":
            if wrapped or loose or has_block_child(child):
                return None
            wrapped = True
            content.append(inner(child))
        elif wrapped or tag in BLOCK_TAGS or has_block_child(child):
            return None
        else:
            loose = True
            content.append(outer(child))
    html = "".join(content).strip()
    return block("core/list-item", f"<li>{html}{inner_blocks(nested)}</li>")
