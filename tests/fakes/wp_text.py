"""Pure text rules of WordPress 6.1 that the fake WordPress reproduces.

Slugs (`sanitize_title`), upload file names (`sanitize_file_name`), search strings
(`sanitize_text_field` + `WP_Query::parse_search`), `Content-Disposition` parsing, site-local
dates, and a rough `wpautop` for the `rendered` fields. Each function names the PHP function it
follows; the behaviour was checked against a real WordPress 6.1.9 (see
tests/contract/test_wordpress_contract.py). No I/O here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

__all__ = [
    "WP_DATE_FMT",
    "excerpt_from_content",
    "filename_from_disposition",
    "fmt_date",
    "matches_search",
    "parse_rest_date",
    "parse_search",
    "parse_slug_list",
    "remove_accents",
    "render_autop",
    "render_content",
    "sanitize_file_name",
    "sanitize_term_name",
    "sanitize_text_field",
    "sanitize_title",
    "strip_tags",
    "texturize",
    "texturize_html",
]

WP_DATE_FMT = "%Y-%m-%dT%H:%M:%S"

# remove_accents(): only Latin letters lose their marks; Hangul and other scripts are left alone
# (NFKD would split Hangul syllables into jamo).
_LATIN_SPECIAL = {
    "ß": "ss",
    "Æ": "AE",
    "æ": "ae",
    "Ø": "O",
    "ø": "o",
    "Đ": "D",
    "đ": "d",
    "Ł": "L",
    "ł": "l",
    "Œ": "OE",
    "œ": "oe",
    "Þ": "TH",
    "þ": "th",
    "Ð": "D",
    "ð": "d",
}


def remove_accents(text: str) -> str:
    """`remove_accents()`: é → e, ß → ss; non-Latin scripts untouched."""
    out = []
    for ch in text:
        if ch in _LATIN_SPECIAL:
            out.append(_LATIN_SPECIAL[ch])
        elif "\u00c0" <= ch <= "\u024f":
            out.append("".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)))
        else:
            out.append(ch)
    return "".join(out)


_TAG_RE = re.compile(r"<!--.*?-->|<[^>]*>", re.S)


def strip_tags(text: str) -> str:
    """PHP `strip_tags()` closely enough: drops tags and HTML comments."""
    return _TAG_RE.sub("", text)


# Characters sanitize_title_with_dashes() strips entirely in the 'save' context (percent-encoded).
_SAVE_STRIP = [
    "%c2%ad",
    "%c2%a1",
    "%c2%bf",
    "%c2%ab",
    "%c2%bb",
    "%e2%80%b9",
    "%e2%80%ba",
    "%e2%80%98",
    "%e2%80%99",
    "%e2%80%9c",
    "%e2%80%9d",
    "%e2%80%9a",
    "%e2%80%9b",
    "%e2%80%9e",
    "%e2%80%9f",
    "%e2%80%a2",
    "%c2%a9",
    "%c2%ae",
    "%c2%b0",
    "%e2%80%a6",
    "%e2%84%a2",
    "%c2%b4",
    "%cb%8a",
    "%cc%81",
    "%cd%81",
    "%cc%80",
    "%cc%84",
    "%cc%8c",
    "%e2%80%8b",
    "%e2%80%8c",
    "%e2%80%8d",
    "%e2%80%8e",
    "%e2%80%8f",
    "%e2%80%aa",
    "%e2%80%ab",
    "%e2%80%ac",
    "%e2%80%ad",
    "%e2%80%ae",
    "%ef%bb%bf",
    "%ef%bf%bc",
]


def sanitize_title(title: str) -> str:
    """`sanitize_title()` in the 'save' context: lower-case, percent-encoded UTF-8, dashes.

    '한글 제목' → '%ed%95%9c%ea%b8%80-%ec%a0%9c%eb%aa%a9'; 'My Post!' → 'my-post'.
    """
    t = remove_accents(strip_tags(title))
    t = re.sub(r"%([a-fA-F0-9]{2})", r"---\1---", t)  # keep existing octets
    t = t.replace("%", "")
    t = re.sub(r"---([a-fA-F0-9]{2})---", r"%\1", t)
    t = t.lower()
    # utf8_uri_encode(): every non-ASCII character becomes lower-case percent-encoded UTF-8.
    t = "".join(ch if ord(ch) < 128 else quote(ch, safe="").lower() for ch in t)
    t = t.replace("%c2%a0", "-").replace("%e2%80%93", "-").replace("%e2%80%94", "-")
    for ent in ("&nbsp;", "&#160;", "&ndash;", "&#8211;", "&mdash;", "&#8212;"):
        t = t.replace(ent, "-")
    t = t.replace("/", "-")
    for seq in _SAVE_STRIP:
        t = t.replace(seq, "")
    t = t.replace("%c3%97", "x")
    t = re.sub(r"&.+?;", "", t)
    t = t.replace(".", "-")
    t = re.sub(r"[^%a-z0-9 _-]", "", t)
    t = re.sub(r"\s+", "-", t)
    t = re.sub(r"-+", "-", t)
    return t.strip("-")


def parse_slug_list(value: str | list[str]) -> list[str]:
    """`wp_parse_slug_list()`: split on commas AND whitespace, then `sanitize_title` each."""
    items = value if isinstance(value, list) else re.split(r"[\s,]+", value)
    out = []
    for item in items:
        for part in re.split(r"[\s,]+", item):
            if part:
                out.append(sanitize_title(part))
    return list(dict.fromkeys(out))


# The $special_chars of sanitize_file_name(), curly quotes and guillemets included.
_FILE_SPECIAL = set("?[]/\\=<>:;,'\"&$#*()|~`!{}%+\u2019\u00ab\u00bb\u201d\u201c\x00")


def sanitize_file_name(name: str, allowed_exts: set[str] | None = None) -> str:
    """`sanitize_file_name()`: drop special characters (including '%'), spaces → '-'.

    Korean is kept: '한글 사진.png' → '한글-사진.png'; '%ED%95%9C.png' → 'ED959C.png'.
    Middle "extensions" that are not allowed types get a trailing '_' (a.php.png → a.php_.png).
    """
    name = name.replace("\u00a0", " ")
    name = "".join(ch for ch in name if ch not in _FILE_SPECIAL)
    name = name.replace("%20", "-").replace("+", "-")
    name = re.sub(r"[\r\n\t -]+", "-", name)
    name = name.strip(".-_")
    parts = name.split(".")
    if len(parts) <= 2 or allowed_exts is None:
        return name
    head, middle, ext = parts[0], parts[1:-1], parts[-1]
    for part in middle:
        head += "." + part
        if re.fullmatch(r"[a-zA-Z]{2,5}\d?", part) and part.lower() not in allowed_exts:
            head += "_"
    return head + "." + ext


def filename_from_disposition(header: str) -> str | None:
    """`WP_REST_Attachments_Controller::get_filename_from_disposition()`.

    Only `filename=` counts (an RFC 5987 `filename*=` alone gives None); quotes are removed only
    when they enclose the whole value; the string is split naively on ';'.
    """
    value = header.strip()
    if ";" not in value:
        return None
    _type, attr_parts = value.split(";", 1)
    attributes: dict[str, str] = {}
    for part in attr_parts.split(";"):
        if "=" not in part:
            continue
        key, val = part.split("=", 1)
        attributes[key.strip()] = val.strip()
    filename = attributes.get("filename", "").strip()
    if len(filename) >= 2 and filename.startswith('"') and filename.endswith('"'):
        filename = filename[1:-1]
    return filename or None


_LESS_THAN = re.compile(r"<[^>]*?((?=<)|>|$)")


def _pre_kses_less_than(text: str) -> str:
    """`wp_pre_kses_less_than()`: a `<…` run that reaches no `>` (before the next `<`) is text."""
    return _LESS_THAN.sub(
        lambda m: m.group(0) if ">" in m.group(0) else html.escape(m.group(0), quote=True), text
    )


def _php_strip_tags(text: str) -> str:
    """PHP `strip_tags()` closely enough: a `<` followed by whitespace is text; a tag runs to the
    next `>` (or the end)."""
    return re.sub(r"<(?!\s)[^>]*(>|$)", "", text)


def sanitize_text_field(text: str) -> str:
    """`sanitize_text_field()`: strips tags and HTML comments, percent-octets, extra whitespace.

    This is applied to `search`, to a media `alt_text` and to term names, so `<!-- marker -->`
    becomes '' (= no search at all!), `Vector<int>` becomes `Vector`, a lone `<` becomes `&lt;`
    and a percent-encoded slug loses its octets.
    """
    if "<" in text:
        text = _pre_kses_less_than(text)
        text = re.sub(r"<(script|style)[^>]*?>.*?</\1>", "", text, flags=re.S | re.I)
        text = _php_strip_tags(text).strip()
        text = text.replace("<\n", "&lt;\n")
    text = re.sub(r"[\r\n\t ]+", " ", text)
    text = text.strip()
    found = False
    while m := re.search(r"%[a-fA-F0-9]{2}", text):
        text = text.replace(m.group(0), "")
        found = True
    if found:
        text = re.sub(r" +", " ", text).strip()
    return text


_STOPWORDS = {
    "about",
    "an",
    "are",
    "as",
    "at",
    "be",
    "by",
    "com",
    "for",
    "from",
    "how",
    "in",
    "is",
    "it",
    "of",
    "on",
    "or",
    "that",
    "the",
    "this",
    "to",
    "was",
    "what",
    "when",
    "where",
    "who",
    "will",
    "with",
    "www",
}


def parse_search(search: str) -> list[tuple[str, bool]]:
    """`WP_Query::parse_search()` terms as (term, excluded) pairs, after `sanitize_text_field`.

    Terms are split on spaces, tabs, commas, '+' and double quotes ("a phrase" stays one term);
    a leading '-' excludes (so a search containing '-->' EXCLUDES posts containing '->');
    single letters and English stopwords are dropped; if nothing is left, or more than 9 terms,
    the whole string is one term. Returns [] for an empty search (no filtering).
    """
    s = sanitize_text_field(search)
    if not s:
        return []
    matches = re.findall(r'".*?(?:"|$)|(?:(?<=[\t ",+])|^)[^\t ",+]+', s)
    terms: list[str] = []
    for term in matches:
        if re.fullmatch(r'".+"', term):
            term = term.strip("\"'")
        else:
            term = term.strip("\"' ")
        if not term or (len(term) == 1 and re.fullmatch(r"[a-zA-Z-]", term)):
            continue
        if term.lower() in _STOPWORDS:
            continue
        terms.append(term)
    if not terms or len(terms) > 9:
        terms = [s]
    out = []
    for term in terms:
        if term.startswith("-"):
            out.append((term[1:], True))
        else:
            out.append((term, False))
    return out


def matches_search(terms: list[tuple[str, bool]], fields: list[str]) -> bool:
    """SQL `LIKE '%term%'` over the given columns, case-insensitive (MySQL *_ci collations)."""
    folded = [f.casefold() for f in fields]
    for term, excluded in terms:
        t = term.casefold()
        hit = any(t in f for f in folded)
        if excluded and any(t in f for f in folded):
            return False
        if not excluded and not hit:
            return False
    return True


def sanitize_term_name(name: str) -> str:
    """Term names as stored (the `pre_term_name` filters): `sanitize_text_field`, `wp_filter_kses`
    and `_wp_specialchars` without double encoding: a bare '&', '<' or '>' is escaped, an entity
    that is already there is kept ('A & B' and 'A &amp; B' are both stored 'A &amp; B')."""
    name = sanitize_text_field(name)
    name = re.sub(r"&(?!(?:[a-zA-Z][a-zA-Z0-9]*|#\d+|#x[0-9a-fA-F]+);)", "&amp;", name)
    # wp_kses_normalize_entities(): decimal entities get at least three digits (&#37; -> &#037;)
    name = re.sub(r"&#0*(\d+);", lambda m: f"&#{int(m.group(1)):03d};", name)
    return name.replace("<", "&lt;").replace(">", "&gt;")


def fmt_date(dt: datetime) -> str:
    return dt.strftime(WP_DATE_FMT)


_REST_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_rest_date(value: str, tz: ZoneInfo, *, is_utc: bool) -> tuple[datetime, datetime] | None:
    """`rest_get_date_with_gmt()`: (site-local, UTC) naive datetimes, or None when invalid.

    A value with an offset is converted; a value without one is site-local (`date`) or UTC
    (`date_gmt`, is_utc=True).
    """
    m = _REST_DATE_RE.match(value.strip())
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    offset = m.group(7)
    if offset:
        if offset in ("Z", "z"):
            delta = timedelta(0)
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            delta = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        utc = naive - delta
    elif is_utc:
        utc = naive
    else:
        utc = naive.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    local = utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    return local, utc


_BLOCK_START = re.compile(r"^\s*<(?:p|div|h[1-6]|ul|ol|li|table|blockquote|pre|figure|hr|section|!--)", re.I)


def render_autop(text: str) -> str:
    """A rough `wpautop()`: blank-line separated chunks become <p> paragraphs, single newlines
    inside a paragraph become `<br />`, block-level chunks are left alone.

    Only the shape matters to callers (they must read `raw` in the edit context for exact text).
    """
    if not text.strip():
        return ""
    chunks = [c.strip() for c in re.split(r"\n\s*\n", text) if c.strip()]
    out = []
    for chunk in chunks:
        if _BLOCK_START.match(chunk) and not chunk.startswith("<!--"):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.replace("\n", "<br />\n") + "</p>")
    return texturize_html("\n".join(out) + "\n")


_BLOCK_DELIMITER = re.compile(r"<!-- /?wp:[^>]*?-->\n?")  # block attributes never hold ">" (escaped)


def render_content(text: str) -> str:
    """`the_content`: block content (it has `<!-- wp:` delimiters) loses its delimiters and is not
    wpautop'd (do_blocks turns wpautop off for it); other content is wpautop'd."""
    if "<!-- wp:" in text:
        return texturize_html(_BLOCK_DELIMITER.sub("", text))
    return render_autop(text)


def texturize_html(markup: str) -> str:
    """`texturize` the text between tags and comments, leaving the markup itself alone."""
    parts = re.split(r"(<!--.*?-->|<[^>]*>)", markup, flags=re.S)
    return "".join(p if i % 2 else texturize(p) for i, p in enumerate(parts))


def texturize(text: str) -> str:
    """A small `wptexturize()` for titles: curly quotes, dashes and ellipses as entities.

    'It's a "quoted" title -- ok...' → 'It&#8217;s a &#8220;quoted&#8221; title &#8212; ok&#8230;'
    """
    text = re.sub(r"&(?!#(?:\d+|x[a-fA-F0-9]+);|[a-zA-Z1-4]{1,8};)", "&#038;", text)
    text = text.replace("...", "&#8230;")
    text = re.sub(r"(?<=\s)--(?=\s)", "&#8212;", text)
    text = re.sub(r"(?<=\s)-(?=\s)", "&#8211;", text)
    text = text.replace("--", "&#8211;")
    text = re.sub(r'(^|(?<=[\s(\[{]))"', "&#8220;", text)
    text = text.replace('"', "&#8221;")
    text = re.sub(r"(^|(?<=[\s(\[{]))'", "&#8216;", text)
    return text.replace("'", "&#8217;")


def excerpt_from_content(content: str, words: int = 55) -> str:
    """`wp_trim_excerpt()`: the first 55 words of the text, ' [&hellip;]' when cut."""
    text = html.unescape(strip_tags(content))
    parts = text.split()
    if not parts:
        return ""
    if len(parts) > words:
        return " ".join(parts[:words]) + " [&hellip;]"
    return " ".join(parts)
