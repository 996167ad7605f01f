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
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from bs4 import NavigableString, Tag
from markdown_it import MarkdownIt
from markdownify import (  # type: ignore[attr-defined]  # helpers missing from the type stubs
    MarkdownConverter,
    abstract_inline_conversion,
    chomp,
)
from selectolax.lexbor import LexborHTMLParser, LexborNode

from migrator.models import AttachmentRef, CleanPost, ImageRef
from migrator.tistory.images import (
    best_srcset_url,
    image_source_key,
    is_placeholder_image,
    original_image_url,
)

__all__ = ["clean_body", "replace_urls"]

# --- what to drop ----------------------------------------------------------------------------
_DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "meta", "link", "title", "head", "base", "object",
    "embed", "applet", "param", "svg", "math", "canvas", "input", "button", "select", "textarea",
    "option", "optgroup", "datalist", "output", "progress", "meter", "frame", "frameset", "noframes",
    "map", "area", "source", "track", "dialog", "wbr", "-comment", "!doctype", "rp", "portal",
})
_CHROME_CLASSES = frozenset({
    "revenue_unit_wrap", "revenue_unit_item", "adsbygoogle", "container_postbtn", "postbtn_ccl",
    "another_category", "area_related", "related-articles", "tt_adsense", "adfit", "kakao_ad_area",
    "ad", "ads", "moreless_fold", "btn-toggle-moreless", "btn-prev", "btn-next", "tt-plugin",
})
_CHROME_KE_TYPES = frozenset({"revenue", "advertisement"})
_PRE_LINE_STYLE = re.compile(r"white-space\s*:\s*pre(?:-line|-wrap)?\b", re.IGNORECASE)
_CLASS_IN_SELECTOR = re.compile(r"\.([A-Za-z_][\w-]*)\s*(?:,|$)")
_MAX_DEPTH = 48  # real posts nest far less; deeper content is kept as text
_COMMENT_MOUNT = re.compile(r"^entry\d+comment$", re.IGNORECASE)

# --- element classes ------------------------------------------------------------------------
_Attrs = dict[str, str | None]  # LexborNode.attributes

_BLOCK_CONTAINERS = frozenset({
    "div", "section", "article", "main", "header", "footer", "aside", "nav", "center", "address",
    "fieldset", "hgroup", "body", "html", "figure", "dl", "form", "legend", "figcaption", "search",
})
_INLINE_MARKUP = {  # source tag -> simplified tag (None = keep children only)
    "b": "b", "strong": "b", "i": "i", "em": "i", "cite": "i", "dfn": "i", "var": "i",
    "u": "u", "ins": "u", "s": "del", "del": "del", "strike": "del", "code": "code", "kbd": "code",
    "samp": "code", "tt": "code", "sup": "sup", "sub": "sub", "mark": "mark",
}
_BLOCK_SELECTOR = (
    "address,article,aside,blockquote,details,dd,div,dl,dt,fieldset,figcaption,figure,footer,form,"
    "h1,h2,h3,h4,h5,h6,header,hr,li,main,nav,ol,p,pre,section,table,ul,iframe,video,audio,center"
)
_COMPLEX_CELL_SELECTOR = (
    "img,figure,ul,ol,pre,br,table,blockquote,hr,iframe,video,audio,h1,h2,h3,h4,h5,h6,dl,details,"
    "div[data-ke-type],div.colorscripter-code,.moreless_content"
)
_MEDIA_SELECTOR = "img,iframe,video,audio,figure,table,hr,pre"
_SPACE = re.compile(r"[\s\u00a0\u200b\ufeff]+")

# --- URLs -----------------------------------------------------------------------------------
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp"})
_IMAGE_SCHEMES = frozenset({"http", "https"})
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_LANG_OK = re.compile(r"^[a-z0-9_+#.-]{1,30}$")
_LANG_IGNORED = frozenset({
    "hljs", "highlight", "prettyprint", "linenums", "line-numbers", "undefined", "language-undefined",
    "nohighlight", "no-highlight", "colorscripter-code", "code", "codeblock", "notranslate",
})

# --- snippet placeholders -------------------------------------------------------------------
_PLACEHOLDER_TAG = "x-r"
_PLACEHOLDER = re.compile(r'<x-r i="(\d+)"></x-r>')


def _resolve(url: str | None, base: str, schemes: frozenset[str]) -> str | None:
    """Absolute, allowed-scheme URL for an attribute value, or None (dropped).

    Browsers ignore ASCII tabs/newlines inside URLs, so `java\\tscript:` is checked as
    `javascript:`; anything outside `schemes` (javascript, vbscript, data, file, ...) is refused.
    """
    if url is None:
        return None
    url = url.strip()
    if not url:
        return None
    probe = _URL_JUNK.sub("", url)
    if probe.startswith("//"):
        url = "https:" + url
    try:
        absolute = urljoin(base, url)
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme not in schemes:
        return None
    return absolute


def _esc(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _attr(value: str) -> str:
    return htmllib.escape(value, quote=True)


def _classes(attrs: _Attrs) -> set[str]:
    return set((attrs.get("class") or "").split())


def _text_of(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return _SPACE.sub(" ", node.text(deep=True) or "").strip()


_INVISIBLE = " \t\n\r\f\v\u00a0\u200b\ufeff"


def _has_text(node: LexborNode) -> bool:
    return bool((node.text(deep=True) or "").strip(_INVISIBLE))


def _is_blank(node: LexborNode) -> bool:
    """An `&nbsp;`/`<br>` spacer: no visible text and no media."""
    return not _has_text(node) and node.css_first(_MEDIA_SELECTOR) is None


_BLOCK_TAGS = frozenset({
    "p", "div", "ul", "ol", "li", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "pre",
    "blockquote", "figure", "figcaption", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "aside", "header", "footer", "nav", "main", "details", "summary", "dl", "dt", "dd",
    "iframe", "script", "style", "center", "form", "address", "fieldset", "br", "-comment",
})


def _beside_block(text_node: LexborNode) -> bool:
    """Whitespace next to a block boundary (or at a container's edge) renders as nothing."""
    for sibling in (text_node.prev, text_node.next):
        if sibling is None or sibling.tag in _BLOCK_TAGS:
            return True
    return False


def _has_block_inside(node: LexborNode) -> bool:
    """A block element strictly inside `node` (Lexbor's css() also matches the node itself)."""
    return any(child.css_first(_BLOCK_SELECTOR) is not None for child in node.iter(include_text=False))


def _is_chrome(attrs: _Attrs) -> bool:
    if not attrs:
        return False
    if "data-tistory-react-app" in attrs:  # Namecard, NaverAd, Comment, Reaction, SupportButton
        return True
    if (attrs.get("data-ke-type") or "").lower() in _CHROME_KE_TYPES:
        return True
    if _CHROME_CLASSES & _classes(attrs):
        return True
    element_id = attrs.get("id") or ""
    return bool(element_id) and bool(_COMMENT_MOUNT.match(element_id))


class _Snippet:
    """A pre-rendered block: `md` goes into the Markdown, `html` is used inside raw HTML tables."""

    __slots__ = ("block", "html", "md", "tight")

    def __init__(self, md: str, html: str, block: bool, tight: bool = False) -> None:
        self.md = md
        self.html = html
        self.block = block
        self.tight = tight  # a raw <pre> line ends itself: no blank lines needed (keeps lists tight)


class _Walker:
    """One pass over the parsed body that emits simplified HTML plus snippets and refs."""

    def __init__(self, page_url: str, blog_hosts: Collection[str]) -> None:
        self.base = page_url
        self.blog_hosts = {h.lower() for h in blog_hosts}
        self.out: list[str] = []
        self.snippets: list[_Snippet] = []
        self.images: dict[str, ImageRef] = {}         # source key -> ref (first occurrence wins)
        self.attachments: dict[str, AttachmentRef] = {}
        self.keep_lines = 0          # > 0 inside `white-space: pre*` elements: newlines are breaks
        self.depth = 0               # element nesting, bounded by _MAX_DEPTH
        self.pre_line_classes: frozenset[str] = frozenset()

    # -- output helpers ------------------------------------------------------------------
    def snippet(self, md: str, html: str | None = None, *, block: bool, tight: bool = False) -> None:
        self.snippets.append(_Snippet(md, md if html is None else html, block, tight))
        self.out.append(f'<{_PLACEHOLDER_TAG} i="{len(self.snippets) - 1}"></{_PLACEHOLDER_TAG}>')

    def capture(self, fn: Any, *args: Any) -> str:
        """Render into a separate buffer and return it (used for raw HTML tables)."""
        saved, self.out = self.out, []
        try:
            fn(*args)
            return "".join(self.out)
        finally:
            self.out = saved

    def expand(self, fragment: str) -> str:
        """Replace placeholders by their HTML form (for content inside raw HTML blocks)."""
        return _PLACEHOLDER.sub(lambda m: self.snippets[int(m.group(1))].html, fragment)

    # -- traversal -----------------------------------------------------------------------
    def children(self, node: LexborNode, inline: bool, link: str | None) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                value = child.text_content or ""
                if not inline and not self.keep_lines and not value.strip() and "\n" in value \
                        and _beside_block(child):
                    continue  # source indentation between blocks: meaningless, and costly later
                self.text(value, link)
            else:
                self.node(child, inline, link, tag)

    def text(self, value: str, link: str | None) -> None:
        if not value:
            return
        escaped = _esc(value)
        if self.keep_lines and "\n" in value:
            escaped = "<br>".join(line.strip() for line in escaped.strip("\n").split("\n"))
        if link and value.strip():
            self.out.append(f'<a href="{_attr(link)}">{escaped}</a>')
        else:
            self.out.append(escaped)

    def node(self, node: LexborNode, inline: bool, link: str | None, tag: str | None = None) -> None:
        if tag is None:
            tag = node.tag
        if tag == "-text":
            self.text(node.text_content or "", link)
            return
        if tag in _DROP_TAGS or tag is None or tag.startswith("-"):
            return
        attrs = node.attributes
        if _is_chrome(attrs):
            return
        if self.depth >= _MAX_DEPTH:
            # Pathological nesting (thousands of wrappers): keep the words, not the structure, so
            # neither this walk nor markdownify's recursion can overflow the stack.
            self.text(" " + (node.text(deep=True) or "") + " ", link)
            return
        keeps_lines = self._keeps_lines(attrs)
        self.depth += 1
        self.keep_lines += keeps_lines
        try:
            self.dispatch(node, tag, attrs, inline, link)
        finally:
            self.depth -= 1
            self.keep_lines -= keeps_lines

    def _keeps_lines(self, attrs: _Attrs) -> bool:
        """`white-space: pre-line/pre-wrap/pre` from an inline style or a class styled so in the body
        (HTML-mode posts style poems this way); the CSS itself does not survive, the breaks do."""
        style = attrs.get("style")
        if style and _PRE_LINE_STYLE.search(style):
            return True
        return bool(self.pre_line_classes) and bool(self.pre_line_classes & _classes(attrs))

    def dispatch(self, node: LexborNode, tag: str, attrs: _Attrs, inline: bool,
                 link: str | None) -> None:
        handler = _HANDLERS.get(tag)
        if handler is not None:
            handler(self, node, attrs, inline, link)
            return
        if tag in _INLINE_MARKUP:
            self.inline_markup(node, _INLINE_MARKUP[tag], inline, link)
        elif tag in _BLOCK_CONTAINERS:
            self.container(node, attrs, inline, link)
        else:  # span, font, small, label, unknown elements: keep their content only
            self.children(node, inline, link)

    def container(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        tag = node.tag
        classes = _classes(attrs)
        ke_type = (attrs.get("data-ke-type") or "").lower()
        if tag == "figure" or "imageblock" in classes or "imagegridblock" in classes:
            if self.special_figure(node, attrs, classes, ke_type, inline, link):
                return
        if ke_type == "moreless":
            self.moreless(node, attrs, inline, link)
            return
        if "moreless_content" in classes:
            self.old_moreless(node, inline, link)
            return
        if "colorscripter-code" in classes:
            self.colorscripter(node, inline)
            return
        if ke_type == "file" or "fileblock" in classes:
            self.file_block(node, attrs, inline)
            return
        if inline:
            self.children(node, inline, link)
            return
        wrapper = "p" if tag in ("legend", "figcaption") else "div"  # stray captions read as text
        self.out.append(f"<{wrapper}>")
        self.children(node, wrapper == "p", link)
        self.out.append(f"</{wrapper}>")

    def special_figure(self, node: LexborNode, attrs: _Attrs, classes: set[str],
                       ke_type: str, inline: bool, link: str | None) -> bool:
        if ke_type == "opengraph":
            self.link_card(node, attrs, inline)
            return True
        if ke_type == "video" or "data-video-host" in attrs or "data-video-url" in attrs:
            self.video(node, attrs, inline)
            return True
        if ke_type == "file" or "fileblock" in classes:
            self.file_block(node, attrs, inline)
            return True
        if node.css_first("img") is not None and node.css_first("table,pre,ul,ol,blockquote,p") is None:
            self.image_group(node, inline, link)
            return True
        return False

    # -- paragraphs, headings, inline markup -----------------------------------------------
    def paragraph(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        if not _has_text(node):
            if node.css_first(_MEDIA_SELECTOR) is None:
                return  # an &nbsp; / <br> spacer paragraph
            if node.css_first("img") is not None and node.css_first("table,iframe,video") is None:
                # A paragraph holding only images (old editor: <p><span class=imageblock><img>) is a figure.
                self.image_group(node, inline, link)
                return
        if inline:
            self.children(node, True, link)
            self.out.append(" ")
            return
        self.out.append("<p>")
        if self.keep_lines:
            self.children(node, True, link)
        else:
            self.paragraph_content(node, link)
        self.out.append("</p>")

    def paragraph_content(self, node: LexborNode, link: str | None) -> None:
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
                self.out.append("</p><p>" if breaks > 1 else "<br>")
            breaks = 0
            started = True
            if tag == "-text":
                self.text(value, link)
            else:
                self.node(child, True, link, tag)

    def heading(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        if _is_blank(node):
            return
        if inline or _has_block_inside(node):
            self.children(node, inline, link)
            return
        self.out.append(f"<{node.tag}>")
        self.children(node, True, link)
        self.out.append(f"</{node.tag}>")

    def inline_markup(self, node: LexborNode, simple_tag: str, inline: bool, link: str | None) -> None:
        if _has_block_inside(node):
            self.children(node, inline, link)  # formatting around blocks cannot survive: drop it
            return
        inner = self.capture(self.children, node, True, link)
        # Markdown emphasis cannot start/end with a line break or space: move them outside.
        match = _EDGE_BREAKS.match(inner)
        lead, middle, trail = match.groups() if match else ("", inner, "")
        # A blank line cannot sit inside emphasis: a run of breaks in bold text stays one break.
        middle = _BREAK_RUN.sub("<br>", middle)
        if middle:
            self.out.append(f"{lead}<{simple_tag}>{middle}</{simple_tag}>{trail}")
        else:
            self.out.append(lead + trail)

    def br(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        self.out.append("<br>")

    def hr(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        if not inline:
            self.out.append("<hr>")

    def blockquote(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        if _is_blank(node):
            return
        if inline:
            self.children(node, inline, link)
            return
        self.out.append("<blockquote>")
        self.children(node, False, link)
        self.out.append("</blockquote>")

    # -- lists --------------------------------------------------------------------------------
    def list_(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        tag = node.tag
        start = attrs.get("start") or ""
        numbered_from = int(start) if tag == "ol" and start.isdigit() else 1
        self.out.append(f'<ol start="{numbered_from}">' if numbered_from != 1 else f"<{tag}>")
        item_open = False
        for child in node.iter(include_text=True):
            ctag = child.tag
            if ctag == "li":
                if item_open:
                    self.out.append("</li>")
                self.out.append("<li>")
                self.children(child, False, link)
                item_open = True
            elif ctag == "-text" and not (child.text_content or "").strip():
                continue
            elif ctag in _DROP_TAGS or ctag is None or (ctag.startswith("-") and ctag != "-text"):
                continue
            else:
                # The old editor nests <ul> directly in <ul>: it belongs to the previous item.
                if not item_open:
                    self.out.append("<li>")
                    item_open = True
                self.node(child, False, link)
        if item_open:
            self.out.append("</li>")
        self.out.append(f"</{tag}>")

    def orphan_li(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        self.paragraph(node, attrs, inline, link)

    def definition(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        """<dt> becomes a bold paragraph, <dd> a plain one (Markdown has no definition lists)."""
        if _is_blank(node):
            return
        if inline:
            self.children(node, True, link)
            self.out.append(" ")
            return
        bold = node.tag == "dt"
        self.out.append("<p><b>" if bold else "<p>")
        self.children(node, True, link)
        self.out.append("</b></p>" if bold else "</p>")

    # -- links -------------------------------------------------------------------------------
    def anchor(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        raw = (attrs.get("href") or "").strip()
        if raw.startswith("#") and len(raw) > 1:
            href: str | None = raw  # in-page anchor: stays relative
        else:
            href = _resolve(raw, self.base, _LINK_SCHEMES)
        if href is None or link is not None:
            self.children(node, inline, link)
            return
        images = node.css("img")
        if images:
            for img in images:
                candidate = self.same_image_href(img, href)
                if candidate != href:
                    href = candidate
                    break
        elif self.is_attachment_url(href):
            name = _text_of(node) or _filename_from_url(href)
            self.attachment(href, name, inline=True)
            return
        if _has_block_inside(node):
            self.children(node, inline, href)  # push the link down into the block content
            return
        self.out.append(f'<a href="{_attr(href)}">')
        self.children(node, True, None)
        self.out.append("</a>")

    def is_attachment_url(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        query = parts.query.lower()
        if "attach=1" in query.split("&") or query == "download" or "download.blog" in parts.path:
            return True
        blog_host = host in self.blog_hosts or host.endswith(".tistory.com")
        return parts.path.startswith("/attachment/") and blog_host

    def attachment(self, href: str, filename: str, *, inline: bool) -> None:
        if href not in self.attachments:
            self.attachments[href] = AttachmentRef(href=href, url=href, filename=filename or None)
        anchor = f'<a href="{_attr(href)}">{_esc(filename or href)}</a>'
        if inline:
            self.snippet(anchor, block=False)
        else:
            self.snippet(f"<p>{anchor}</p>", block=True)

    def file_block(self, node: LexborNode, attrs: _Attrs, inline: bool) -> None:
        link_node = node.css_first("a[href]")
        href = _resolve(link_node.attributes.get("href") if link_node is not None else None, self.base,
                        _LINK_SCHEMES)
        name_node = node.css_first(".filename .name") or node.css_first(".name, .filename")
        filename = (_text_of(name_node) if name_node is not None else "") or attrs.get("data-filename") or ""
        if href is None:
            if filename:
                self.out.append(f"<p>{_esc(filename)}</p>" if not inline else _esc(filename))
            return
        self.attachment(href, filename or _filename_from_url(href), inline=inline)

    # -- images ------------------------------------------------------------------------------
    def best_image_source(self, img: LexborNode) -> str | None:
        attrs = img.attributes
        parent = img.parent
        parent_attrs = parent.attributes if parent is not None and parent.tag == "span" else {}
        candidates = [parent_attrs.get("data-url"), attrs.get("data-url"), attrs.get("src"),
                      attrs.get("data-src"), attrs.get("data-lazy-src"), attrs.get("data-original")]
        for candidate in candidates:
            url = _resolve(candidate, self.base, _IMAGE_SCHEMES)
            if url and not is_placeholder_image(url):
                return original_image_url(url)
        srcset = attrs.get("srcset") or attrs.get("data-srcset")
        if srcset:  # only when no plain source is usable: the thumb wrapper resolves to the same file
            url = _resolve(best_srcset_url(srcset), self.base, _IMAGE_SCHEMES)
            if url and not is_placeholder_image(url):
                return original_image_url(url)
        return None

    def register_image(self, img: LexborNode, original: str, caption: str) -> str:
        """Record an image once per post; returns the src string every occurrence must use."""
        key = image_source_key(original)
        known = self.images.get(key)
        if known is not None:
            return known.src
        attrs = img.attributes
        parent = img.parent
        parent_attrs = parent.attributes if parent is not None else {}
        figure = _ancestor(img, "figure")
        figure_attrs = figure.attributes if figure is not None else {}
        filename = (attrs.get("data-filename") or parent_attrs.get("data-filename") or attrs.get("filename")
                    or figure_attrs.get("data-filename") or None)
        alt = (parent_attrs.get("data-alt") or attrs.get("alt") or attrs.get("data-alt") or "").strip()
        self.images[key] = ImageRef(src=original, original_url=original, filename=filename, alt=alt,
                                    caption=caption)
        return original

    def inner_link(self, img: LexborNode, stop: LexborNode) -> str | None:
        """href of an `<a>` between an image and its group node (an image linked somewhere)."""
        anchor = _ancestor(img, "a", stop=stop)
        if anchor is None:
            return None
        href = _resolve(anchor.attributes.get("href"), self.base, _LINK_SCHEMES)
        if href is None:
            return None
        return self.same_image_href(img, href)

    def same_image_href(self, img: LexborNode, href: str) -> str:
        """A link to the image file itself (old posts' lightbox) uses the image's src string, so
        the engine's replacement rewrites both."""
        found = self.best_image_source(img)
        if found is None or image_source_key(found) != image_source_key(href):
            return href
        known = self.images.get(image_source_key(found))
        return known.src if known is not None else found

    def image_tag(self, img: LexborNode, caption: str, link: str | None) -> str | None:
        attrs = img.attributes
        if _is_tracking_pixel(attrs):
            return None
        original = self.best_image_source(img)
        if original is None:
            return None
        src = self.register_image(img, original, caption)
        parent = img.parent
        parent_attrs = parent.attributes if parent is not None else {}
        alt = (parent_attrs.get("data-alt") or attrs.get("alt") or attrs.get("data-alt") or "").strip()
        tag = f'<img src="{_attr(src)}" alt="{_attr(alt)}">'
        return f'<a href="{_attr(link)}">{tag}</a>' if link else tag

    def image_group(self, node: LexborNode, inline: bool, link: str | None) -> None:
        caption_node = node.css_first("figcaption") or node.css_first(".cap1")
        caption = _text_of(caption_node) if caption_node is not None else ""
        tags = []
        for img in node.css("img"):
            if _ancestor(img, "button", stop=node) is not None:
                continue
            tag = self.image_tag(img, caption, link or self.inner_link(img, node))
            if tag:
                tags.append(tag)
        if not tags:
            return
        if inline:
            extra = f"<br><em>{_esc(caption)}</em>" if caption else ""
            self.snippet("".join(tags) + extra, block=False)
            return
        caption_html = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
        self.snippet(f"<figure>{''.join(tags)}{caption_html}</figure>", block=True)

    def img(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        tag = self.image_tag(node, "", link)
        if tag is None:
            return
        if inline:
            self.snippet(tag, block=False)
        else:
            self.snippet(f"<figure>{tag}</figure>", block=True)

    # -- editor blocks -----------------------------------------------------------------------
    def link_card(self, node: LexborNode, attrs: _Attrs, inline: bool) -> None:
        anchor = node.css_first("a[href]")
        href = anchor.attributes.get("href") if anchor is not None else None
        url = _resolve(attrs.get("data-og-url") or attrs.get("data-og-source-url") or href, self.base,
                       _LINK_SCHEMES)
        title = (attrs.get("data-og-title") or _text_of(node.css_first(".og-title"))).strip()
        desc = (attrs.get("data-og-description") or _text_of(node.css_first(".og-desc"))).strip()
        if not url and not title:
            return
        label = f"<b>{_esc(title or url or '')}</b>"
        body = f'<a href="{_attr(url)}">{label}</a>' if url else label
        if desc:
            body += f"<br>{_esc(desc)}"
        self.out.append(f"<blockquote><p>{body}</p></blockquote>" if not inline else body)

    def video(self, node: LexborNode, attrs: _Attrs, inline: bool) -> None:
        iframe = node.css_first("iframe")
        iframe_src = iframe.attributes.get("src") if iframe is not None else None
        host = (attrs.get("data-video-host") or "").lower()
        watch = _youtube_watch_url(attrs.get("data-video-url")) or _youtube_watch_url(iframe_src)
        if watch and host in ("", "youtube"):
            self.youtube(watch, inline)
            return
        url = _resolve(attrs.get("data-video-url") or _kakao_tv_url(iframe_src) or iframe_src, self.base,
                       _IMAGE_SCHEMES)
        if url is None:
            return
        title = (attrs.get("data-video-title") or "").strip() or url
        self.out.append(f'<p><a href="{_attr(url)}">{_esc(title)}</a></p>' if not inline
                        else f'<a href="{_attr(url)}">{_esc(title)}</a>')

    def youtube(self, watch_url: str, inline: bool) -> None:
        # WordPress turns a bare YouTube URL alone in its paragraph into an oEmbed player; an
        # iframe would be stripped for authors without unfiltered_html.
        if inline:
            self.out.append(f'<a href="{_attr(watch_url)}">{_esc(watch_url)}</a>')
        else:
            self.snippet(f"<p>{_esc(watch_url)}</p>", block=True)

    def iframe(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        if (attrs.get("data-ke-type") or "").lower() == "map":
            self.map(attrs, inline)
            return
        src = attrs.get("src")
        watch = _youtube_watch_url(src)
        if watch:
            self.youtube(watch, inline)
            return
        url = _resolve(_vimeo_url(src) or _kakao_tv_url(src) or src, self.base, _IMAGE_SCHEMES)
        if url is None:
            return
        anchor = f'<a href="{_attr(url)}">{_esc(attrs.get("title") or url)}</a>'
        self.out.append(anchor if inline else f"<p>{anchor}</p>")

    def map(self, attrs: _Attrs, inline: bool) -> None:
        data = attrs.get("data-maps-data") or attrs.get("mapdata") or ""
        fields = {}
        for part in data.split("&"):
            key, _, value = part.partition("=")
            fields[key] = unquote(value).strip()
        address, title = fields.get("addr", ""), fields.get("title", "")
        if address or title:
            url = "https://map.kakao.com/?q=" + quote(address or title)
        elif fields.get("mapX") and fields.get("mapY"):
            url = (f"https://map.kakao.com/?urlX={quote(fields['mapX'])}&urlY={quote(fields['mapY'])}"
                   f"&urlLevel={quote(fields.get('map_level') or '3')}")
        else:
            resolved = _resolve(attrs.get("src"), self.base, _IMAGE_SCHEMES)
            if resolved is None:
                return
            url = resolved
        label = " ".join(x for x in (title, f"({address})" if title and address else address) if x) or "지도"
        anchor = f'<a href="{_attr(url)}">{_esc(label)}</a>'
        self.out.append(anchor if inline else f"<p>{anchor}</p>")

    def media(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        """<video>/<audio>: no player survives; keep a link to the file."""
        source = node.css_first("source[src]")
        url = _resolve(attrs.get("src") or (source.attributes.get("src") if source is not None else None),
                       self.base, _IMAGE_SCHEMES)
        if url:
            anchor = f'<a href="{_attr(url)}">{_esc(_filename_from_url(url) or url)}</a>'
            self.out.append(anchor if inline else f"<p>{anchor}</p>")

    def moreless(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        toggle = node.css_first(".btn-toggle-moreless")
        summary = attrs.get("data-text-more") or _text_of(toggle) or "더보기"
        content = node.css_first(".moreless-content")
        self.details(summary, content if content is not None else node, inline, link)

    def old_moreless(self, node: LexborNode, inline: bool, link: str | None) -> None:
        fold = node.prev
        while fold is not None and fold.tag == "-text" and not (fold.text_content or "").strip():
            fold = fold.prev
        summary = ""
        if fold is not None and fold.tag != "-text" and "moreless_fold" in _classes(fold.attributes):
            summary = _text_of(fold)
        self.details(summary or "더보기", node, inline, link)

    def native_details(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        summary_node = node.css_first("summary")
        summary = _text_of(summary_node) if summary_node is not None else ""
        self.details(summary or "Details", node, inline, link)

    def details(self, summary: str, content: LexborNode, inline: bool, link: str | None) -> None:
        if inline:
            self.children(content, inline, link)
            return
        open_html = f"<details><summary>{_esc(summary)}</summary>"
        self.snippet(f"<details>\n<summary>{_esc(summary)}</summary>", open_html, block=True)
        for child in content.iter(include_text=True):
            if child.tag != "summary":  # the toggle link is chrome and dropped by node()
                self.node(child, False, link)
        self.snippet("</details>", block=True)

    # -- code --------------------------------------------------------------------------------
    def pre(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        self.code_block(_code_text(node), _code_language(node, attrs), inline)

    def colorscripter(self, node: LexborNode, inline: bool) -> None:
        cells = node.css("td")
        target = cells[1] if len(cells) > 1 else (cells[0] if cells else node)
        lines = [line for line in target.iter(include_text=False) if line.tag in ("div", "p")]
        text = "\n".join(_code_text(line) for line in lines) if lines else _code_text(target)
        self.code_block(text.replace("\u00a0", " "), "", inline)  # it indents with &nbsp;

    def code_block(self, text: str, language: str, inline: bool) -> None:
        if inline:
            self.out.append(f"<code>{_esc(text)}</code>")
            return
        # A raw one-line <pre> block: Markdown passes it untouched, so the code text (tabs,
        # trailing spaces, blank lines, a missing final newline) comes back exactly; newlines
        # are `&#10;` so the block has no blank line and can sit in list items and tables.
        class_attr = f' class="language-{_attr(language)}"' if language else ""
        one_line = _esc(text).replace("\r", "&#13;").replace("\n", "&#10;")
        html = f"<pre><code{class_attr}>{one_line}</code></pre>"
        self.snippet(html, block=True, tight=True)

    # -- tables ------------------------------------------------------------------------------
    def table(self, node: LexborNode, attrs: _Attrs, inline: bool, link: str | None) -> None:
        rows = _table_rows(node)
        if not rows or all(_is_blank(row) for row in rows):
            return
        if not inline and _is_simple_table(rows):
            self.out.append("<table>")
            for row in rows:
                self.out.append("<tr>")
                for cell in _cells(row):
                    cell_tag = "th" if cell.tag == "th" else "td"
                    self.out.append(f"<{cell_tag}>")
                    self.children(cell, True, link)
                    self.out.append(f"</{cell_tag}>")
                self.out.append("</tr>")
            self.out.append("</table>")
            return
        raw = self.capture(self.raw_table, node, rows, link)
        raw = _SPACE_WITH_NEWLINE.sub(" ", self.expand(raw))
        self.snippet(raw, block=not inline)

    def raw_table(self, node: LexborNode, rows: Sequence[LexborNode], link: str | None) -> None:
        self.out.append("<table>")
        caption = node.css_first("caption")
        if caption is not None and _text_of(caption):
            self.out.append(f"<caption>{_esc(_text_of(caption))}</caption>")
        section = None
        for row in rows:
            parent = row.parent.tag if row.parent is not None else "tbody"
            wanted = parent if parent in ("thead", "tfoot") else "tbody"
            if wanted != section:
                if section:
                    self.out.append(f"</{section}>")
                self.out.append(f"<{wanted}>")
                section = wanted
            self.out.append("<tr>")
            for cell in _cells(row):
                cell_attrs = cell.attributes
                spans = "".join(
                    f' {name}="{int(value)}"' for name in ("colspan", "rowspan")
                    if (value := (cell_attrs.get(name) or "").strip()).isdigit() and 1 < int(value) <= 1000
                )
                cell_tag = "th" if cell.tag == "th" else "td"
                self.out.append(f"<{cell_tag}{spans}>")
                self.children(cell, False, link)
                self.out.append(f"</{cell_tag}>")
            self.out.append("</tr>")
        if section:
            self.out.append(f"</{section}>")
        self.out.append("</table>")


_SPACE_WITH_NEWLINE = re.compile(r"[ \t\r]*\n\s*")
_BREAK_RUN = re.compile(r"<br>(?:\s*<br>)+")
_EDGE_BREAKS = re.compile(r"^((?:\s|<br>)*)(.*?)((?:\s|<br>)*)$", re.DOTALL)


def _pre_line_classes(tree: LexborHTMLParser) -> frozenset[str]:
    """Classes that a `<style>` in the body (HTML-mode posts) renders with `white-space: pre*`."""
    classes: set[str] = set()
    for style in tree.css("style"):
        for rule in (style.text(deep=True) or "").split("}"):
            if "white-space" not in rule:
                continue
            selectors, _, declarations = rule.rpartition("{")
            if not _PRE_LINE_STYLE.search(declarations):
                continue
            for selector in selectors.split(","):
                match = _CLASS_IN_SELECTOR.search(selector.strip() + ",")
                if match:
                    classes.add(match.group(1))
    return frozenset(classes)


def _ancestor(node: LexborNode, tag: str, stop: LexborNode | None = None) -> LexborNode | None:
    parent = node.parent
    while parent is not None:
        if stop is not None and parent.mem_id == stop.mem_id:
            return None
        if parent.tag == tag:
            return parent
        parent = parent.parent
    return None


def _is_tracking_pixel(attrs: _Attrs) -> bool:
    width, height = (attrs.get("width") or "").strip(), (attrs.get("height") or "").strip()
    return width in ("0", "1", "1px") and height in ("0", "1", "1px")


def _filename_from_url(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]) if path else ""


def _youtube_watch_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id, start = "", ""
    query = dict(p.partition("=")[::2] for p in parts.query.split("&") if p)
    if host in ("youtube.com", "youtube-nocookie.com"):
        if parts.path.startswith(("/embed/", "/shorts/", "/live/", "/v/")):
            video_id = parts.path.split("/")[2]
        elif parts.path == "/watch":
            video_id = query.get("v", "")
        start = query.get("start", "") or query.get("t", "")
    elif host == "youtu.be":
        video_id = parts.path.strip("/").split("/")[0]
        start = query.get("t", "")
    if not _YOUTUBE_ID.match(video_id):
        return None
    start = start.rstrip("s")
    return f"https://www.youtube.com/watch?v={video_id}" + (f"&t={start}s" if start.isdigit() else "")


def _kakao_tv_url(url: str | None) -> str | None:
    match = re.search(r"play-tv\.kakao\.com/embed/player/cliplink/(\d+)", url or "")
    return f"https://tv.kakao.com/v/{match.group(1)}" if match else None


def _vimeo_url(url: str | None) -> str | None:
    match = re.search(r"player\.vimeo\.com/video/(\d+)", url or "")
    return f"https://vimeo.com/{match.group(1)}" if match else None


def _prefixed_last(css_class: str) -> bool:
    return not css_class.startswith("language-")


def _code_language(pre: LexborNode, attrs: _Attrs) -> str:
    code = pre.css_first("code")
    code_attrs = code.attributes if code is not None else {}
    # The pre class is markdown mode's guess: only when the editor did not record a language.
    guesses = sorted(_classes(attrs), key=_prefixed_last) + sorted(_classes(code_attrs), key=_prefixed_last)
    candidates = [attrs.get("data-ke-language"), code_attrs.get("data-ke-language"), *guesses]
    for candidate in candidates:
        if not candidate:
            continue
        lang = candidate.strip().lower()
        for prefix in ("language-", "lang-"):
            lang = lang.removeprefix(prefix)
        if lang in _LANG_IGNORED or lang.startswith("hljs") or not _LANG_OK.match(lang):
            continue
        return lang
    return ""


def _code_text(node: LexborNode) -> str:
    """Exact code text: hljs spans flattened, `<br>` and per-line `<div>`s as newlines."""
    if node.css_first("br,div,p,li") is None:
        return node.text(deep=True) or ""
    parts: list[str] = []

    def walk(current: LexborNode, depth: int) -> None:
        for child in current.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                parts.append(child.text_content or "")
            elif tag == "br":
                parts.append("\n")
            elif tag in ("script", "style") or tag is None or tag.startswith("-"):
                continue
            elif depth >= _MAX_DEPTH:
                parts.append(child.text(deep=True) or "")
            else:
                if tag in ("div", "p", "li") and parts and not parts[-1].endswith("\n"):
                    parts.append("\n")  # one element per line (ColorScripter, some highlighters)
                walk(child, depth + 1)

    walk(node, 0)
    return "".join(parts)


def _table_rows(table: LexborNode) -> list[LexborNode]:
    rows: list[LexborNode] = []
    for child in table.iter(include_text=False):
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child.iter(include_text=False) if r.tag == "tr")
    return rows


def _cells(row: LexborNode) -> list[LexborNode]:
    return [c for c in row.iter(include_text=False) if c.tag in ("td", "th")]


def _is_simple_table(rows: Sequence[LexborNode]) -> bool:
    """GFM pipe table only when every cell is one line of inline text and nothing spans."""
    for row in rows:
        cells = _cells(row)
        if not cells:
            return False
        for cell in cells:
            attrs = cell.attributes
            if any((attrs.get(name) or "1").strip() not in ("", "1") for name in ("colspan", "rowspan")):
                return False
            if cell.css_first(_COMPLEX_CELL_SELECTOR) is not None or len(cell.css("p")) > 1:
                return False
    return True


_HANDLERS: dict[str, Any] = {
    "p": _Walker.paragraph, "h1": _Walker.heading, "h2": _Walker.heading, "h3": _Walker.heading,
    "h4": _Walker.heading, "h5": _Walker.heading, "h6": _Walker.heading, "br": _Walker.br,
    "hr": _Walker.hr, "blockquote": _Walker.blockquote, "ul": _Walker.list_, "ol": _Walker.list_,
    "li": _Walker.orphan_li, "dt": _Walker.definition, "dd": _Walker.definition, "a": _Walker.anchor,
    "img": _Walker.img, "iframe": _Walker.iframe, "video": _Walker.media, "audio": _Walker.media,
    "pre": _Walker.pre, "table": _Walker.table, "details": _Walker.native_details,
    "xmp": _Walker.pre, "listing": _Walker.pre, "plaintext": _Walker.pre,
}


# --- a parser-free tree for markdownify ----------------------------------------------------------
# markdownify reads a BeautifulSoup tree. Parsing our own simplified HTML again with
# html.parser + bs4's tree builder cost more than the rest of the pipeline together (about 30 µs
# per tag), so the (well-formed, attribute-poor) walker output is tokenised with one regex and
# linked into minimal Tag objects. markdownify 1.x reads only name/attrs/contents, the
# parent/sibling links and find_parent/find_all/find_previous_sibling(s), overridden below.
_TOKEN = re.compile(r'<(/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+="[^"]*")*)\s*>|([^<]+)')
_TOKEN_ATTR = re.compile(r'([a-z-]+)="([^"]*)"')
_VOID = frozenset({"br", "hr", "img"})


def _names(name: Any) -> frozenset[str] | None:
    if name is None:
        return None
    return frozenset([name]) if isinstance(name, str) else frozenset(name)


class _Element(Tag):
    """A bs4 Tag linked by hand (no parser, no builder)."""

    def __init__(self, name: str, attrs: dict[str, Any], parent: _Element | None) -> None:
        # Tag.__init__ is skipped on purpose: it expects a parser/builder context.
        self.name = name
        self.attrs = attrs
        self.contents: list[Any] = []
        self.parent = parent
        self.previous_sibling = None
        self.next_sibling = None
        self.previous_element = None
        self.next_element = None
        self.hidden = False

    def __getattr__(self, name: str) -> Any:
        # bs4 turns unknown attributes into find(name); here they are plain errors.
        raise AttributeError(name)

    def find_parent(self, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        names, node = _names(name), self.parent
        while node is not None:
            if names is None or node.name in names:
                return node
            node = node.parent
        return None

    def find_all(self, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        names, found = _names(name), []
        pending = list(reversed(self.contents))
        while pending:
            node = pending.pop()
            if isinstance(node, _Element):
                if names is None or node.name in names:
                    found.append(node)
                pending.extend(reversed(node.contents))
        return found

    def find_previous_siblings(self, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        names, found, node = _names(name), [], self.previous_sibling
        while node is not None:
            if isinstance(node, _Element) and (names is None or node.name in names):
                found.append(node)
            node = node.previous_sibling
        return found

    def find_previous_sibling(self, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        found = self.find_previous_siblings(name)
        return found[0] if found else None


def _link(parent: _Element, child: Any) -> None:
    child.parent = parent
    if parent.contents:
        previous = parent.contents[-1]
        previous.next_sibling = child
        child.previous_sibling = previous
    parent.contents.append(child)


def _build_tree(markup: str) -> _Element:
    root = _Element("[document]", {}, None)
    stack = [root]
    for closing, name, attr_text, text in _TOKEN.findall(markup):
        if text:
            _link(stack[-1], NavigableString(htmllib.unescape(text) if "&" in text else text))
        elif closing:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].name == name:
                    del stack[depth:]
                    break
        else:
            attrs = ({key: htmllib.unescape(value) for key, value in _TOKEN_ATTR.findall(attr_text)}
                     if attr_text else {})
            element = _Element(name, attrs, stack[-1])
            _link(stack[-1], element)
            if name not in _VOID:
                stack.append(element)
    return root


# --- Markdown ------------------------------------------------------------------------------
def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("L")


_FORMATTING_NAMES = frozenset({"b", "i", "del", "code", "u", "sup", "sub", "mark", _PLACEHOLDER_TAG})


def _delimited(markdown: str, html_tag: str) -> Any:
    """Markdown emphasis when CommonMark's flanking rules will close it, else raw HTML tags.

    `**“스택”**을` does not parse as bold (a closing run after punctuation needs whitespace or
    punctuation after it), so text that starts/ends with punctuation, or touches another
    formatting element, keeps `<strong>`-style tags.
    """
    def convert(self: MarkdownConverter, el: Any, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        neighbours = (el.previous_sibling, el.next_sibling)
        touching = any(getattr(n, "name", None) in _FORMATTING_NAMES for n in neighbours)
        if _is_word_char(text[0]) and _is_word_char(text[-1]) and not touching:
            return f"{prefix}{markdown}{text}{markdown}{suffix}"
        return f"{prefix}<{html_tag}>{text}</{html_tag}>{suffix}"
    return convert


# Every character markdownify's escape() (escape_misc, asterisks, underscores) may act on.
_MAY_NEED_ESCAPE = re.compile(r"[][\\&<`>~=+|*_#.)-]")


def _destination(href: str) -> str:
    if re.search(r"[\s()<>\\]", href):
        return "<" + href.replace("\\", "\\\\").replace("<", "%3C").replace(">", "%3E") + ">"
    return href


class _Converter(MarkdownConverter):
    """markdownify with our snippets, safe emphasis and link destinations."""

    def __init__(self, snippets: Sequence[_Snippet]) -> None:
        super().__init__(
            heading_style="atx", escape_misc=True, escape_asterisks=True, escape_underscores=True,
            bullets="-", table_infer_header=True, sub_symbol="<sub>", sup_symbol="<sup>",
            newline_style="spaces", strip_document="strip",
            wrap=True, wrap_width=None,  # collapse source newlines: WordPress' wpautop would make them <br>
        )
        self._snippets = snippets

    def escape(self, text: str, parent_tags: set[str]) -> str:
        # Most text needs no escaping at all; markdownify would still run six passes over it.
        if not text or not _MAY_NEED_ESCAPE.search(text):
            return text
        return super().escape(text, parent_tags)  # type: ignore[misc]  # missing from the stubs

    def convert_x_r(self, el: Any, text: str, parent_tags: set[str]) -> str:
        snippet = self._snippets[int(el.get("i"))]
        if not snippet.block:
            return snippet.md
        # CommonMark: an HTML block may interrupt a paragraph; a <pre> block ends at its own
        # closing tag, other raw blocks only at a blank line.
        return f"\n{snippet.md}\n" if snippet.tight else f"\n\n{snippet.md}\n\n"

    convert_b = _delimited("**", "strong")
    convert_i = _delimited("*", "em")
    convert_del = _delimited("~~", "del")
    convert_u = abstract_inline_conversion(lambda self: "<u>")
    convert_mark = abstract_inline_conversion(lambda self: "<mark>")

    def convert_a(self, el: Any, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(text)
        href = el.get("href")
        if not text or not href:
            return f"{prefix}{text}{suffix}"
        return f"{prefix}[{text}]({_destination(href)}){suffix}"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """CommonMark + GFM tables/strikethrough; raw HTML passes. Never mutated after creation."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    # Indentation never means code here (fences only), and we never emit reference definitions
    # or setext headings: switching them off removes whole classes of round-trip surprises.
    md.disable(["code", "lheading", "reference"])
    # Our Markdown never holds fences (code is a raw <pre> block), images (raw <img>), autolinks or
    # entities (markdownify escapes `[`, `<`, `&`): fewer rules, less work, and "wow![a](b)" can
    # never turn into an image.
    md.disable(["fence", "image", "autolink", "entity"])
    return md


# --- final safety pass --------------------------------------------------------------------
_UNSAFE_TAGS = ("script", "style", "iframe", "object", "embed", "applet", "meta", "link", "base",
                "form", "input", "button", "textarea", "select", "frame", "frameset", "svg", "math",
                "template", "noscript", "title", "head")
_URL_ATTRS = ("href", "src", "action", "formaction", "poster", "background", "cite", "srcset", "xlink:href")


def _finalize(rendered: str, images: dict[str, ImageRef], attachments: dict[str, AttachmentRef]) -> CleanPost:
    """Parse the rendered HTML once more: strip anything active, collect links and used refs."""
    tree = LexborHTMLParser(f"<body>{rendered}</body>")
    body = tree.body
    if body is None:
        return CleanPost(html="")
    for node in body.css(",".join(_UNSAFE_TAGS)):
        node.decompose()
    links: list[str] = []
    srcs: set[str] = set()
    hrefs: set[str] = set()
    for node in body.css("*"):
        attrs = node.attributes
        for name in attrs:
            lowered = name.lower()
            value = attrs[name] or ""
            if lowered.startswith("on") or lowered == "style":
                del node.attrs[name]
            elif lowered in _URL_ATTRS:
                if lowered in ("href", "src") and (value.startswith("#") or _resolve(
                        value, "https://example.invalid/", _LINK_SCHEMES) is not None):
                    continue
                del node.attrs[name]
        if node.tag == "a":
            href = node.attributes.get("href")
            if href:
                hrefs.add(href)
                if urlsplit(href).scheme in ("http", "https") and href not in links:
                    links.append(href)
        elif node.tag == "img":
            src = node.attributes.get("src")
            if src:
                srcs.add(src)
    html = (body.inner_html or "").strip()
    kept_images = tuple(ref for ref in images.values() if ref.src in srcs)
    kept_attachments = tuple(ref for ref in attachments.values() if ref.href in hrefs)
    return CleanPost(html=html, images=kept_images, attachments=kept_attachments, links=tuple(links))


def clean_body(body_html: str, *, page_url: str, blog_hosts: Collection[str] = ()) -> CleanPost:
    """Clean one post body (the inner HTML of `div.contents_style`, or any HTML fragment).

    Returns the WordPress-ready HTML with every distinct image once in `images` (its `src` is the
    exact string used in the HTML), file blocks in `attachments`, and every absolute http(s) href
    in `links` (document order, de-duplicated). Never raises on malformed HTML.
    """
    tree = LexborHTMLParser(body_html or "")
    walker = _Walker(page_url, blog_hosts)
    walker.pre_line_classes = _pre_line_classes(tree)
    if tree.body is not None:
        walker.children(tree.body, False, None)
    simplified = "".join(walker.out)
    markdown = _Converter(walker.snippets).convert_soup(_build_tree(simplified))
    rendered = _markdown().render(markdown)
    return _finalize(rendered, walker.images, walker.attachments)


# --- URL replacement for the engine ------------------------------------------------------------
_URL_ATTR_RE = re.compile(r"""(\s(?:src|href)\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)


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
        return f'{match.group(1)}"{_attr(new)}"'

    return _URL_ATTR_RE.sub(swap, html)
