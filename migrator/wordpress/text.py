"""The form in which plain text travels to WordPress (pure functions, no I/O).

WordPress treats `title`, `excerpt` and a media `caption` as HTML and, for a user with
`unfiltered_html` (administrators), stores them exactly as sent: raw `Vector<int>` would lose `<int>`
in a browser, and `<img onerror=…>` would become a live element. So plain text is sent HTML-escaped
exactly once (`&`, `<`, `>`), and reads back through `title.raw` / `title.rendered` as the same text.

Media `alt_text` and term `name` pass through `sanitize_text_field()` (tags stripped, `%xx` octets
removed, whitespace collapsed); term names then through `_wp_specialchars()` without double
encoding. Escaping `&`, `<`, `>` and the `%` of an octet gives a string those filters leave as it
is, stored in the escaped form WordPress itself uses for such names ("A & B" is stored "A &amp; B").
"""

from __future__ import annotations

import html
import re

__all__ = ["as_html_text", "as_plain_field", "from_wp_text"]

_OCTET = re.compile(r"%(?=[0-9a-fA-F]{2})")
_WHITESPACE = re.compile(r"[\r\n\t ]+")


def as_html_text(text: str) -> str:
    """Text for a field WordPress stores and shows as HTML (post title, excerpt, media caption)."""
    return html.escape(text, quote=False)


def as_plain_field(text: str) -> str:
    """Text for a field WordPress runs through `sanitize_text_field()` (media alt text, term name):
    escaped once, `%xx` kept as `&#37;xx` (the filter would delete the octet), one line."""
    one_line = _WHITESPACE.sub(" ", text).strip()
    return _OCTET.sub("&#37;", html.escape(one_line, quote=False))


def from_wp_text(stored: str) -> str:
    """The text a stored title/name/alt shows as: its HTML entities decoded once."""
    return html.unescape(stored)
