"""Folds (`<details>`): core/details where the site has it (WordPress 6.3+), else Custom HTML.

Custom HTML keeps the same `<details><summary>` element, so readers see the same fold either way.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from migrator.wordpress.blocks.context import Context
from migrator.wordpress.blocks.markup import block, inner, inner_blocks, outer
from migrator.wordpress.blocks.text import has_block_child, html_block


def details(node: LexborNode, ctx: Context) -> str | None:
    if not ctx.options.details_block:
        return html_block(outer(node))
    summary_node = node.css_first("summary")
    if summary_node is not None and has_block_child(summary_node):
        return None
    summary = inner(summary_node).strip() if summary_node is not None else ""
    if summary_node is not None:
        summary_node.decompose()
    inside = ctx.children(node)
    return block(
        "core/details",
        f'<details class="wp-block-details"><summary>{summary or "Details"}</summary>{inner_blocks(inside)}</details>',
        None,
    )
