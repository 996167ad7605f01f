"""Reading the source tree: which elements are chrome, blocks or inline markup, and node predicates."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

Attrs = dict[str, str | None]  # LexborNode.attributes

MAX_DEPTH = 48  # real posts nest far less; deeper content is kept as text

# --- what to drop ----------------------------------------------------------------------------
DROP_TAGS = frozenset({
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
_COMMENT_MOUNT = re.compile(r"^entry\d+comment$", re.IGNORECASE)
PRE_LINE_STYLE = re.compile(r"white-space\s*:\s*pre(?:-line|-wrap)?\b", re.IGNORECASE)
_CLASS_IN_SELECTOR = re.compile(r"\.([A-Za-z_][\w-]*)\s*(?:,|$)")

# --- element classes ------------------------------------------------------------------------
BLOCK_CONTAINERS = frozenset({
    "div", "section", "article", "main", "header", "footer", "aside", "nav", "center", "address",
    "fieldset", "hgroup", "body", "html", "figure", "dl", "form", "legend", "figcaption", "search",
})
INLINE_MARKUP = {  # source tag -> simplified tag (None = keep children only)
    "b": "b", "strong": "b", "i": "i", "em": "i", "cite": "i", "dfn": "i", "var": "i",
    "u": "u", "ins": "u", "s": "del", "del": "del", "strike": "del", "code": "code", "kbd": "code",
    "samp": "code", "tt": "code", "sup": "sup", "sub": "sub", "mark": "mark",
}
_BLOCK_TAGS = frozenset({
    "p", "div", "ul", "ol", "li", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "pre",
    "blockquote", "figure", "figcaption", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "aside", "header", "footer", "nav", "main", "details", "summary", "dl", "dt", "dd",
    "iframe", "script", "style", "center", "form", "address", "fieldset", "br", "-comment",
})
_BLOCK_SELECTOR = (
    "address,article,aside,blockquote,details,dd,div,dl,dt,fieldset,figcaption,figure,footer,form,"
    "h1,h2,h3,h4,h5,h6,header,hr,li,main,nav,ol,p,pre,section,table,ul,iframe,video,audio,center"
)
MEDIA_SELECTOR = "img,iframe,video,audio,figure,table,hr,pre"
_SPACE = re.compile(r"[\s\u00a0\u200b\ufeff]+")
_INVISIBLE = " \t\n\r\f\v\u00a0\u200b\ufeff"


def classes(attrs: Attrs) -> set[str]:
    return set((attrs.get("class") or "").split())


def text_of(node: LexborNode | None) -> str:
    """The node's text with whitespace runs collapsed, or "" for no node."""
    if node is None:
        return ""
    return _SPACE.sub(" ", node.text(deep=True) or "").strip()


def has_text(node: LexborNode) -> bool:
    return bool((node.text(deep=True) or "").strip(_INVISIBLE))


def is_blank(node: LexborNode) -> bool:
    """An `&nbsp;`/`<br>` spacer: no visible text and no media."""
    return not has_text(node) and node.css_first(MEDIA_SELECTOR) is None


def beside_block(text_node: LexborNode) -> bool:
    """Whitespace next to a block boundary (or at a container's edge) renders as nothing."""
    for sibling in (text_node.prev, text_node.next):
        if sibling is None or sibling.tag in _BLOCK_TAGS:
            return True
    return False


def has_block_inside(node: LexborNode) -> bool:
    """A block element strictly inside `node` (Lexbor's css() also matches the node itself)."""
    return any(child.css_first(_BLOCK_SELECTOR) is not None for child in node.iter(include_text=False))


def is_chrome(attrs: Attrs) -> bool:
    if not attrs:
        return False
    if "data-tistory-react-app" in attrs:  # Namecard, NaverAd, Comment, Reaction, SupportButton
        return True
    if (attrs.get("data-ke-type") or "").lower() in _CHROME_KE_TYPES:
        return True
    if _CHROME_CLASSES & classes(attrs):
        return True
    element_id = attrs.get("id") or ""
    return bool(element_id) and bool(_COMMENT_MOUNT.match(element_id))


def ancestor(node: LexborNode, tag: str, stop: LexborNode | None = None) -> LexborNode | None:
    """The nearest enclosing `tag` element below `stop`, or None."""
    parent = node.parent
    while parent is not None:
        if stop is not None and parent.mem_id == stop.mem_id:
            return None
        if parent.tag == tag:
            return parent
        parent = parent.parent
    return None


def pre_line_classes(tree: LexborHTMLParser) -> frozenset[str]:
    """Classes that a `<style>` in the body (HTML-mode posts) renders with `white-space: pre*`."""
    found: set[str] = set()
    for style in tree.css("style"):
        for rule in (style.text(deep=True) or "").split("}"):
            if "white-space" not in rule:
                continue
            selectors, _, declarations = rule.rpartition("{")
            if not PRE_LINE_STYLE.search(declarations):
                continue
            for selector in selectors.split(","):
                match = _CLASS_IN_SELECTOR.search(selector.strip() + ",")
                if match:
                    found.add(match.group(1))
    return frozenset(found)
