"""Stage 1 handler for tables: simple ones as GFM-ready tables, the rest as raw HTML snippets."""

from __future__ import annotations

import re
from collections.abc import Sequence

from selectolax.lexbor import LexborNode

from migrator.tistory.clean.nodes import Attrs, is_blank, text_of
from migrator.tistory.clean.snippets import esc
from migrator.tistory.clean.walker import Walker

_COMPLEX_CELL_SELECTOR = (
    "img,figure,ul,ol,pre,br,table,blockquote,hr,iframe,video,audio,h1,h2,h3,h4,h5,h6,dl,details,"
    "div[data-ke-type],div.colorscripter-code,.moreless_content"
)
_SPACE_RUN = re.compile(r"\s+")


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


def table(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    rows = _table_rows(node)
    if not rows or all(is_blank(row) for row in rows):
        return
    if not inline and _is_simple_table(rows):
        w.out.append("<table>")
        for row in rows:
            w.out.append("<tr>")
            for cell in _cells(row):
                cell_tag = "th" if cell.tag == "th" else "td"
                w.out.append(f"<{cell_tag}>")
                w.children(cell, True, link)
                w.out.append(f"</{cell_tag}>")
            w.out.append("</tr>")
        w.out.append("</table>")
        return
    raw = w.capture(_raw_table, w, node, rows, link)
    raw = _SPACE_RUN.sub(_newline_run_to_space, w.expand(raw))
    w.snippet(raw, block=not inline)


def _raw_table(w: Walker, node: LexborNode, rows: Sequence[LexborNode], link: str | None) -> None:
    w.out.append("<table>")
    caption = node.css_first("caption")
    if caption is not None and text_of(caption):
        w.out.append(f"<caption>{esc(text_of(caption))}</caption>")
    section = None
    for row in rows:
        parent = row.parent.tag if row.parent is not None else "tbody"
        wanted = parent if parent in ("thead", "tfoot") else "tbody"
        if wanted != section:
            if section:
                w.out.append(f"</{section}>")
            w.out.append(f"<{wanted}>")
            section = wanted
        w.out.append("<tr>")
        for cell in _cells(row):
            _raw_cell(w, cell, link)
        w.out.append("</tr>")
    if section:
        w.out.append(f"</{section}>")
    w.out.append("</table>")


def _raw_cell(w: Walker, cell: LexborNode, link: str | None) -> None:
    cell_attrs = cell.attributes
    spans = "".join(
        f' {name}="{int(value)}"' for name in ("colspan", "rowspan")
        if (value := (cell_attrs.get(name) or "").strip()).isdigit() and 1 < int(value) <= 1000
    )
    cell_tag = "th" if cell.tag == "th" else "td"
    w.out.append(f"<{cell_tag}{spans}>")
    w.children(cell, False, link)
    w.out.append(f"</{cell_tag}>")


def _newline_run_to_space(match: re.Match[str]) -> str:
    r"""A whitespace run holding a newline ends in one space from the spaces/tabs before that newline on
    (what `[ \t\r]*\n\s*` → " " did, without its quadratic backtracking on long runs of spaces)."""
    run = match.group(0)
    first = run.find("\n")
    if first < 0:
        return run
    cut = first
    while cut > 0 and run[cut - 1] in " \t\r":
        cut -= 1
    return run[:cut] + " "
