"""Block-editor content: the cleaned post HTML written as the block editor itself serialises it.

`render_blocks(html, media)` turns what `tistory.clean` produces (after the HTML → Markdown → HTML round
trip, with the uploaded files' WordPress addresses already in place) into blocks of block-library 11
(WordPress 7.0-era editor): paragraph, heading, list + list-item, quote, code (language kept as the
block's `language-x` class), preformatted, table, image (attachment id and `wp-image-<id>` class, so
WordPress adds srcset/sizes and width/height when rendering), gallery (Tistory grids and slides), file
(with its download button), embed (oEmbed providers' pages), separator, and details (core/details
when the site has it, else the same `<details>` in a Custom HTML block). Whatever has no block that
can hold it exactly (lists or tables holding images, code or several paragraphs; definition lists;
anything unknown) is kept whole in a Custom HTML block, so no content is ever freeform.

Pure: no I/O. tests/blocks_validator checks the output with the editor's own parser and validator.

Modules: `markup` (escaping, delimiters), `context` (MediaInfo, options), `render` (the dispatcher),
`text`, `media`, `embeds`, `table`, `folds` (the block writers).
"""

from __future__ import annotations

from collections.abc import Mapping

from selectolax.lexbor import LexborHTMLParser

from migrator.wordpress.blocks.context import Context, MediaInfo, Options
from migrator.wordpress.blocks.render import render_nodes
from migrator.wordpress.blocks.text import html_block

__all__ = ["MediaInfo", "Options", "marker_block", "render_blocks"]


def render_blocks(html: str, media: Mapping[str, MediaInfo], options: Options | None = None) -> str:
    """The post content as blocks. `media` maps each WordPress file address as it appears in the
    HTML (`src`/`href`, unescaped) to its attachment; images not in it (files that could not be
    uploaded keep their Tistory address) still become image blocks, without an id."""
    tree = LexborHTMLParser(f"<body>{html}</body>")
    body = tree.body
    if body is None:
        return ""
    ctx = Context(media=media, options=options or Options(), render=render_nodes)
    return "\n\n".join(ctx.children(body))


def marker_block(comment: str) -> str:
    """The crash-safety marker (an HTML comment) in its own Custom HTML block: inside a block, so the
    content has nothing outside blocks; invisible to readers; and found by the marker search, which
    matches the raw content."""
    return html_block(comment)
