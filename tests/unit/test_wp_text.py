"""wordpress/text: the form plain text is sent in, and the text it reads back as."""

from __future__ import annotations

import pytest

from migrator.wordpress.text import as_html_text, as_plain_field, from_wp_text

TEXTS = [
    "Vector<int> & <b>bold</b>",
    "<img src=x onerror=alert(1)>",
    "A &amp; B",  # text that looks like an entity stays that text
    "100%ab 50%",
    "부산 & 바다",
]


@pytest.mark.parametrize("text", TEXTS)
def test_html_text_reads_back_and_holds_no_markup(text: str) -> None:
    sent = as_html_text(text)
    assert "<" not in sent and ">" not in sent
    assert from_wp_text(sent) == text


@pytest.mark.parametrize("text", TEXTS)
def test_plain_field_survives_sanitize_text_field(text: str) -> None:
    sent = as_plain_field(text)
    # sanitize_text_field strips tags and %xx octets: neither is left for it to strip
    assert "<" not in sent and ">" not in sent and "%ab" not in sent
    assert from_wp_text(sent) == text


def test_plain_field_is_one_line() -> None:
    assert as_plain_field(" a\n\tb  c ") == "a b c"
