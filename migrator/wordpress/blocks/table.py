"""The table block: head, body and foot rows, spans, caption. A cell holding blocks (images, lists,
code, paragraphs) is more than the table block's rich-text cells can hold: such tables stay HTML."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from migrator.wordpress.blocks.context import Context
from migrator.wordpress.blocks.markup import block, element_children, inner, start_tag
from migrator.wordpress.blocks.text import has_block_child

_SPAN = re.compile(r"^[1-9]\d{0,3}$")


def table(node: LexborNode, ctx: Context) -> str | None:
    sections: dict[str, list[str]] = {"thead": [], "tbody": [], "tfoot": []}
    caption = ""
    for child in element_children(node):
        tag = child.tag or ""
        if tag == "caption":
            if has_block_child(child):
                return None
            caption = inner(child).strip()
        elif tag in sections:
            for row in element_children(child):
                cells = _row(row)
                if cells is None:
                    return None
                sections[tag].append(cells)
        elif tag == "tr":
            cells = _row(child)
            if cells is None:
                return None
            sections["tbody"].append(cells)
        elif tag not in ("colgroup",):
            return None
    if not any(sections.values()):
        return None
    body = "".join(f"<{name}>{''.join(rows)}</{name}>" for name, rows in sections.items() if rows)
    caption_html = f'<figcaption class="wp-element-caption">{caption}</figcaption>' if caption else ""
    return block("core/table", f'<figure class="wp-block-table"><table class="has-fixed-layout">{body}</table>'
                               f"{caption_html}</figure>")


def _row(row: LexborNode) -> str | None:
    if row.tag != "tr":
        return None
    cells = []
    for cell in element_children(row):
        if cell.tag not in ("td", "th") or has_block_child(cell):
            return None
        attrs = [(name, value.strip()) for name in ("colspan", "rowspan")
                 if (value := cell.attributes.get(name)) and _SPAN.match(value.strip())]
        cells.append(start_tag(cell.tag, attrs) + inner(cell).strip() + f"</{cell.tag}>")
    return "<tr>" + "".join(cells) + "</tr>"
