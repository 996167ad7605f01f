"""safe_output: terminal controls removed, spreadsheet formulas neutralised."""

from __future__ import annotations

import pytest

from migrator.safe_output import csv_cell, terminal_safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[31mred\x1b[0m b", "ared b"),  # CSI colour
        ("x\x1b]0;window title\x07y", "xy"),  # OSC, BEL-terminated
        ("x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),  # OSC 8 hyperlink, ST-terminated
        ("\x1bcreset", "reset"),  # two-character escape
        ("c\x9b2Jd", "cd"),  # C1 CSI
        ("abc\u202edef\u202c", "abcdef"),  # bidi override
        ("l\u2066i\u2069", "li"),  # isolates
        ("bell\x07 del\x7f nul\x00", "bell del nul"),
        ("over\rwrite", "over write"),
        ("tab\there", "tab here"),
        ("two\nlines", "two\nlines"),
        ("한글 제목 <b>&amp;", "한글 제목 <b>&amp;"),
    ],
)
def test_terminal_safe(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


def test_an_unterminated_string_sequence_never_swallows_the_next_lines() -> None:
    assert terminal_safe("a\x1b]0;title\nnext line\n\x9dx\nlast") == "a\nnext line\n\nlast"


def test_terminal_safe_one_line() -> None:
    assert terminal_safe("a\nb\x1b[1m", keep_newlines=False) == "a b"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_neutralises_formulas(start: str) -> None:
    assert csv_cell(start + "1+1") == "'" + start + "1+1"


def test_csv_cell_leaves_text_and_numbers() -> None:
    assert csv_cell("https://b.tistory.com/1") == "https://b.tistory.com/1"
    assert csv_cell(12) == 12
    assert csv_cell("") == ""
