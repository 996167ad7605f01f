"""Stage 1 core: one selectolax walk over the body that writes simplified HTML, snippets and refs.

The walker holds the state of the walk (output buffer, snippets, refs, nesting) and the traversal;
what each element becomes is decided by the handler functions it is given (see `blocks`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from selectolax.lexbor import LexborNode

from migrator.models import AttachmentRef, ImageRef
from migrator.tistory.clean.nodes import (
    DROP_TAGS,
    MAX_DEPTH,
    PRE_LINE_STYLE,
    Attrs,
    beside_block,
    classes,
    is_chrome,
)
from migrator.tistory.clean.snippets import PLACEHOLDER, PLACEHOLDER_TAG, Snippet, attr, esc

# What one element becomes: called with the walker, the node, its attributes, whether the output
# must stay inline, and the link its text inherits (a link pushed down into block content).
Handler = Callable[["Walker", LexborNode, Attrs, bool, str | None], None]


class Walker:
    """One pass over the parsed body that emits simplified HTML plus snippets and refs."""

    def __init__(self, page_url: str, blog_hosts: Collection[str], handlers: Mapping[str, Handler],
                 pre_line_classes: frozenset[str] = frozenset()) -> None:
        self.base = page_url
        self.blog_hosts = {h.lower() for h in blog_hosts}
        self.handlers = handlers     # tag -> what the element becomes; other tags keep their content
        self.out: list[str] = []
        self.snippets: list[Snippet] = []
        self.images: dict[str, ImageRef] = {}         # source key -> ref (first occurrence wins)
        self.attachments: dict[str, AttachmentRef] = {}
        self.keep_lines = 0          # > 0 inside `white-space: pre*` elements: newlines are breaks
        self.depth = 0               # element nesting, bounded by MAX_DEPTH
        self.pre_line_classes = pre_line_classes

    # -- output helpers ------------------------------------------------------------------
    def snippet(self, md: str, html: str | None = None, *, block: bool, tight: bool = False) -> None:
        self.snippets.append(Snippet(md, md if html is None else html, block, tight))
        self.out.append(f'<{PLACEHOLDER_TAG} i="{len(self.snippets) - 1}"></{PLACEHOLDER_TAG}>')

    def capture(self, fn: Callable[..., None], *args: object) -> str:
        """Render into a separate buffer and return it (used for raw HTML tables)."""
        saved, self.out = self.out, []
        try:
            fn(*args)
            return "".join(self.out)
        finally:
            self.out = saved

    def expand(self, fragment: str) -> str:
        """Replace placeholders by their HTML form (for content inside raw HTML blocks)."""
        return PLACEHOLDER.sub(lambda m: self.snippets[int(m.group(1))].html, fragment)

    def text(self, value: str, link: str | None) -> None:
        if not value:
            return
        escaped = esc(value)
        if self.keep_lines and "\n" in value:
            escaped = "<br>".join(line.strip() for line in escaped.strip("\n").split("\n"))
        if link and value.strip():
            self.out.append(f'<a href="{attr(link)}">{escaped}</a>')
        else:
            self.out.append(escaped)

    # -- traversal -----------------------------------------------------------------------
    def children(self, node: LexborNode, inline: bool, link: str | None) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                value = child.text_content or ""
                if not inline and not self.keep_lines and not value.strip() and "\n" in value \
                        and beside_block(child):
                    continue  # source indentation between blocks: meaningless, and costly later
                self.text(value, link)
            else:
                self.node(child, inline, link, tag)

    def node(self, node: LexborNode, inline: bool, link: str | None, tag: str | None = None) -> None:
        if tag is None:
            tag = node.tag
        if tag == "-text":
            self.text(node.text_content or "", link)
            return
        if tag in DROP_TAGS or tag is None or tag.startswith("-"):
            return
        attrs = node.attributes
        if is_chrome(attrs):
            return
        if self.depth >= MAX_DEPTH:
            # Pathological nesting (thousands of wrappers): keep the words, not the structure, so
            # neither this walk nor markdownify's recursion can overflow the stack.
            self.text(" " + (node.text(deep=True) or "") + " ", link)
            return
        keeps_lines = self._keeps_lines(attrs)
        self.depth += 1
        self.keep_lines += keeps_lines
        try:
            handler = self.handlers.get(tag)
            if handler is None:  # span, font, small, label, unknown elements: keep their content only
                self.children(node, inline, link)
            else:
                handler(self, node, attrs, inline, link)
        finally:
            self.depth -= 1
            self.keep_lines -= keeps_lines

    def _keeps_lines(self, attrs: Attrs) -> bool:
        """`white-space: pre-line/pre-wrap/pre` from an inline style or a class styled so in the body
        (HTML-mode posts style poems this way); the CSS itself does not survive, the breaks do."""
        style = attrs.get("style")
        if style and PRE_LINE_STYLE.search(style):
            return True
        return bool(self.pre_line_classes) and bool(self.pre_line_classes & classes(attrs))
