"""Snippets (blocks pre-rendered by the walker, carried through Markdown as placeholders) and the
escaping of the HTML the walker writes."""

from __future__ import annotations

import html as htmllib
import re

PLACEHOLDER_TAG = "x-r"
PLACEHOLDER = re.compile(r'<x-r i="(\d+)"></x-r>')


class Snippet:
    """A pre-rendered block: `md` goes into the Markdown, `html` is used inside raw HTML tables."""

    __slots__ = ("block", "html", "md", "tight")

    def __init__(self, md: str, html: str, block: bool, tight: bool = False) -> None:
        self.md = md
        self.html = html
        self.block = block
        self.tight = tight  # a raw <pre> line ends itself: no blank lines needed (keeps lists tight)


def esc(text: str) -> str:
    """Text escaped for HTML content."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def attr(value: str) -> str:
    """Text escaped for a double-quoted HTML attribute value."""
    return htmllib.escape(value, quote=True)
