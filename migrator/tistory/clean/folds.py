"""Stage 1 handlers for folds: the editor's "more/less" blocks and <details> become <details>."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from migrator.tistory.clean.nodes import Attrs, classes, text_of
from migrator.tistory.clean.snippets import esc
from migrator.tistory.clean.walker import Walker


def moreless(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    """The new editor's fold (`data-ke-type="moreLess"`)."""
    toggle = node.css_first(".btn-toggle-moreless")
    summary = attrs.get("data-text-more") or text_of(toggle) or "더보기"
    content = node.css_first(".moreless-content")
    _details(w, summary, content if content is not None else node, inline, link)


def old_moreless(w: Walker, node: LexborNode, inline: bool, link: str | None) -> None:
    """The old editor's fold: the summary is the `moreless_fold` sibling before the content."""
    fold = node.prev
    while fold is not None and fold.tag == "-text" and not (fold.text_content or "").strip():
        fold = fold.prev
    summary = ""
    if fold is not None and fold.tag != "-text" and "moreless_fold" in classes(fold.attributes):
        summary = text_of(fold)
    _details(w, summary or "더보기", node, inline, link)


def native_details(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    summary_node = node.css_first("summary")
    summary = text_of(summary_node) if summary_node is not None else ""
    _details(w, summary or "Details", node, inline, link)


def _details(w: Walker, summary: str, content: LexborNode, inline: bool, link: str | None) -> None:
    if inline:
        w.children(content, inline, link)
        return
    open_html = f"<details><summary>{esc(summary)}</summary>"
    w.snippet(f"<details>\n<summary>{esc(summary)}</summary>", open_html, block=True)
    for child in content.iter(include_text=True):
        if child.tag != "summary":  # the toggle link is chrome and dropped by node()
            w.node(child, False, link)
    w.snippet("</details>", block=True)
