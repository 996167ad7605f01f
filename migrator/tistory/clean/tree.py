"""Stage 2 input: the walker's simplified HTML linked into a minimal bs4 tree for markdownify.

markdownify reads a BeautifulSoup tree. Parsing our own simplified HTML again with
html.parser + bs4's tree builder cost more than the rest of the pipeline together (about 30 µs
per tag), so the (well-formed, attribute-poor) walker output is tokenised with one regex and
linked into minimal Tag objects. markdownify 1.x reads only name/attrs/contents, the
parent/sibling links and find_parent/find_all/find_previous_sibling(s), overridden below.
"""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

from bs4 import NavigableString, Tag

_TOKEN = re.compile(r'<(/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+="[^"]*")*)\s*>|([^<]+)')
_TOKEN_ATTR = re.compile(r'([a-z-]+)="([^"]*)"')
_VOID = frozenset({"br", "hr", "img"})


def _names(name: Any) -> frozenset[str] | None:
    if name is None:
        return None
    return frozenset([name]) if isinstance(name, str) else frozenset(name)


class Element(Tag):
    """A bs4 Tag linked by hand (no parser, no builder)."""

    def __init__(self, name: str, attrs: dict[str, Any], parent: Element | None) -> None:
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
            if isinstance(node, Element):
                if names is None or node.name in names:
                    found.append(node)
                pending.extend(reversed(node.contents))
        return found

    def find_previous_siblings(self, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        names, found, node = _names(name), [], self.previous_sibling
        while node is not None:
            if isinstance(node, Element) and (names is None or node.name in names):
                found.append(node)
            node = node.previous_sibling
        return found

    def find_previous_sibling(self, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        found = self.find_previous_siblings(name)
        return found[0] if found else None


def _link(parent: Element, child: Any) -> None:
    child.parent = parent
    if parent.contents:
        previous = parent.contents[-1]
        previous.next_sibling = child
        child.previous_sibling = previous
    parent.contents.append(child)


def build_tree(markup: str) -> Element:
    """The tree of the walker's output (unknown end tags are ignored, open ones closed at the end)."""
    root = Element("[document]", {}, None)
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
            element = Element(name, attrs, stack[-1])
            _link(stack[-1], element)
            if name not in _VOID:
                stack.append(element)
    return root
