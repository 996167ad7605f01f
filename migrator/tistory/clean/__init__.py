"""Turn a Tistory post body into clean WordPress HTML: HTML → Markdown → HTML (pure, no I/O).

Owns the body pipeline and its guarantees:

1. selectolax walks the body once, drops chrome (ads, post buttons, related posts, comment
   mounts, scripts, styles, HTML-mode `<html>/<head>` leftovers), resolves URLs, and rewrites
   Tistory editor blocks (images, grids, link cards, videos, maps, file blocks, folds, code,
   ColorScripter) into a small, attribute-free HTML. Blocks Markdown cannot express
   faithfully (figures, complex tables, `<details>`, YouTube embeds, file links, code with exact
   text) become *snippets*: pre-rendered Markdown/raw HTML blocks that survive the round trip.
2. markdownify turns that HTML into Markdown (placeholders become the snippets).
3. markdown-it-py (CommonMark + tables + strikethrough, `html=True`) renders it back.
4. A final selectolax pass re-checks safety (no script/style/iframe, no `on*`, no
   `javascript:`/`vbscript:`/`data:` URLs) and collects links.

Choices worth knowing:
- YouTube videos become the bare watch URL alone in a paragraph: WordPress' oEmbed turns it into
  a responsive player, and no `<iframe>` (stripped for authors without `unfiltered_html`) is
  ever emitted. KakaoTV/other videos and Kakao maps become links.
- Code blocks are one-line raw `<pre><code class="language-x">` blocks (newlines as `&#10;`),
  so their text survives byte for byte; the final pass turns the entities back into newlines.
- Simple tables become GFM tables (first row = header); tables with images, lists, line breaks,
  blocks or spans stay HTML tables.
- Source newlines inside paragraphs are collapsed (WordPress' wpautop would turn them into
  `<br>`), except where the post styled them visible (`white-space: pre*`).
- Lost on purpose: colours, fonts, text alignment, image sizes/alignment, link-card images.

Image `src` and attachment `href` values in the output are the exact `original_url` strings of
the returned refs; rewrite them after upload with `replace_urls`, which compares attribute
values *unescaped* (the HTML has `&amp;` where the URL has `&`). `links` holds every absolute
http(s) href once, in document order (Markdown percent-encodes non-ASCII characters in hrefs).

Modules, in pipeline order: `walker` (the walk: state, traversal, output) with `nodes` (reading
the source tree), `urls`, `snippets`, and the handlers that `blocks` dispatches to (`text`,
`figures`, `links`, `embeds`, `folds`, `code`, `tables`); `tree` (the walker's output as a
markdownify tree); `markdown` (stages 2 and 3); `sanitize` (stage 4).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Collection

from selectolax.lexbor import LexborHTMLParser

from migrator.models import CleanPost
from migrator.tistory.clean.blocks import HANDLERS
from migrator.tistory.clean.nodes import pre_line_classes
from migrator.tistory.clean.sanitize import finalize
from migrator.tistory.clean.snippets import attr
from migrator.tistory.clean.walker import Walker

__all__ = ["clean_body", "replace_urls"]

_URL_ATTR_RE = re.compile(r"""(\s(?:src|href)\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)


def clean_body(body_html: str, *, page_url: str, blog_hosts: Collection[str] = ()) -> CleanPost:
    """Clean one post body (the inner HTML of `div.contents_style`, or any HTML fragment).

    Returns the WordPress-ready HTML with every distinct image once in `images` (its `src` is the
    exact string used in the HTML), file blocks in `attachments`, and every absolute http(s) href
    in `links` (document order, de-duplicated). Never raises on malformed HTML.
    """
    # Imported here, not at the top: markdownify, BeautifulSoup and markdown-it weigh ~15 MB, and the
    # main process only needs `replace_urls` when the parse pool cleans bodies.
    from migrator.tistory.clean.markdown import Converter, markdown_renderer
    from migrator.tistory.clean.tree import build_tree

    tree = LexborHTMLParser(body_html or "")
    walker = Walker(page_url, blog_hosts, HANDLERS, pre_line_classes(tree))
    if tree.body is not None:
        walker.children(tree.body, False, None)
    simplified = "".join(walker.out)
    markdown = Converter(walker.snippets).convert_soup(build_tree(simplified))
    rendered = markdown_renderer().render(markdown)
    return finalize(rendered, walker.images, walker.attachments)


# --- URL replacement for the engine ------------------------------------------------------------
def replace_urls(html: str, mapping: dict[str, str]) -> str:
    """Rewrite `src`/`href` attribute values that equal a key of `mapping` (compared unescaped).

    Keys are the URLs as returned by `clean_body` (`ImageRef.src`, `AttachmentRef.href`, items
    of `CleanPost.links`); the HTML holds them escaped (`&` as `&amp;`), so a plain
    `str.replace` would miss them. Values are written back escaped and double-quoted.
    Nothing else in the document changes.
    """
    if not mapping:
        return html

    def swap(match: re.Match[str]) -> str:
        raw = match.group(2)
        value = raw[1:-1] if raw[:1] in ("'", '"') else raw
        new = mapping.get(htmllib.unescape(value))
        if new is None:
            return match.group(0)
        return f'{match.group(1)}"{attr(new)}"'

    return _URL_ATTR_RE.sub(swap, html)
