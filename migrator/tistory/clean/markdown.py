"""Stages 2 and 3: markdownify turns the tree into Markdown, markdown-it renders it back to HTML."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdownify import (  # type: ignore[attr-defined]  # helpers missing from the type stubs
    MarkdownConverter,
    abstract_inline_conversion,
    chomp,
)

from migrator.tistory.clean.nodes import MAX_DEPTH
from migrator.tistory.clean.snippets import PLACEHOLDER_TAG, Snippet

_FORMATTING_NAMES = frozenset({"b", "i", "del", "code", "u", "sup", "sub", "mark", PLACEHOLDER_TAG})
# Every character markdownify's escape() (escape_misc, asterisks, underscores) may act on.
_MAY_NEED_ESCAPE = re.compile(r"[][\\&<`>~=+|*_#.)-]")
_NEEDS_ANGLE_BRACKETS = re.compile(r"[\s()<>\\]")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("L")


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


def _destination(href: str) -> str:
    if _NEEDS_ANGLE_BRACKETS.search(href):
        return "<" + href.replace("\\", "\\\\").replace("<", "%3C").replace(">", "%3E") + ">"
    return href


class Converter(MarkdownConverter):
    """markdownify with our snippets, safe emphasis and link destinations."""

    def __init__(self, snippets: Sequence[Snippet]) -> None:
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
def markdown_renderer() -> MarkdownIt:
    """CommonMark + GFM tables/strikethrough; raw HTML passes. Never mutated after creation."""
    # maxNesting: the walker keeps structure up to nodes.MAX_DEPTH (48) elements, and a list level costs
    # markdown-it two (list + item); at the preset's 20 it silently dropped deeper text.
    md = MarkdownIt(
        "commonmark", {"html": True, "linkify": False, "typographer": False, "maxNesting": 4 * MAX_DEPTH}
    )
    md.enable(["table", "strikethrough"])
    # Indentation never means code here (fences only), and we never emit reference definitions
    # or setext headings: switching them off removes whole classes of round-trip surprises.
    md.disable(["code", "lheading", "reference"])
    # Our Markdown never holds fences (code is a raw <pre> block), images (raw <img>), autolinks or
    # entities (markdownify escapes `[`, `<`, `&`): fewer rules, less work, and "wow![a](b)" can
    # never turn into an image.
    md.disable(["fence", "image", "autolink", "entity"])
    return md
