"""Text from the blog, made harmless for where it is printed or saved (pure functions).

Titles, reasons and URLs come from pages anyone can write. On a terminal, an ESC sequence can
recolour, move the cursor, rewrite the window title or hide text; a bidi override (U+202E) makes
text read backwards. In a spreadsheet, a CSV cell starting with `=`, `+`, `-`, `@`, tab or CR is run
as a formula.
"""

from __future__ import annotations

import re

__all__ = ["csv_cell", "terminal_safe"]

# ESC sequences first (so their parameters go with them): CSI, OSC/DCS/SOS/PM/APC strings ended by
# BEL or ST, and two-character escapes; then the C1 forms of CSI/OSC; then any control left. A
# string without its terminator ends at the line's end: the rest of a summary is never swallowed.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
)
# C0 controls but \n, DEL, C1 controls, bidi embeddings/overrides/isolates and marks.
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\u2028\u2029\x0b\x0c\x85]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """`text` without terminal controls: escape sequences and control characters removed, tabs and
    other line breaks made spaces (newlines kept unless `keep_newlines` is False)."""
    text = _ESCAPES.sub("", text)
    text = _LINE_BREAKS.sub(" ", text.replace("\t", " "))
    if not keep_newlines:
        text = text.replace("\n", " ")
    return _CONTROLS.sub("", text)


def csv_cell(value: object) -> object:
    """A CSV value a spreadsheet shows as text: a string that would start a formula gets a `'`."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
