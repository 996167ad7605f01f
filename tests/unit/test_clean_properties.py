"""Property tests: clean_body survives arbitrary tag soup and never emits active content."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from migrator.tistory.clean import clean_body, replace_urls

TAGS = [
    "p",
    "div",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "del",
    "code",
    "pre",
    "a",
    "img",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "blockquote",
    "figure",
    "figcaption",
    "details",
    "summary",
    "iframe",
    "script",
    "style",
    "svg",
    "math",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "video",
    "audio",
    "source",
    "noscript",
    "template",
    "meta",
    "link",
    "title",
    "html",
    "head",
    "body",
    "sup",
    "sub",
    "font",
    "center",
    "section",
    "aside",
    "xmp",
    "listing",
    "dl",
    "dt",
    "dd",
    "caption",
    "colgroup",
    "col",
    "mark",
    "kbd",
    "ins",
    "x-r",
    "math",
]
ATTR_NAMES = [
    "href",
    "src",
    "srcset",
    "data-url",
    "data-src",
    "class",
    "style",
    "id",
    "alt",
    "title",
    "onclick",
    "onerror",
    "onload",
    "OnMouseOver",
    "data-ke-type",
    "data-ke-language",
    "data-video-host",
    "data-video-url",
    "data-og-url",
    "data-og-title",
    "data-maps-data",
    "data-filename",
    "filename",
    "colspan",
    "rowspan",
    "start",
    "width",
    "height",
    "data-tistory-react-app",
    "data-text-more",
    "formaction",
    "action",
    "xlink:href",
    "i",
]
URLS = [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "data:image/png;base64,AAAA",
    "/relative/1",
    "//t1.daumcdn.net/cfile/tistory/ABC",
    "https://blog.kakaocdn.net/dna/a/b/c/img.png?x=1&y=2",
    "#frag",
    "https://www.youtube.com/embed/dQw4w9WgXcQ",
    "https://example.com/a b(c)<d>\"e'",
    "mailto:a@b.c",
    "",
    "https://img1.daumcdn.net/thumb/R800x0/?fname=javascript%3Aalert(1)",
    "file:///etc/passwd",
    "%",
]
CLASS_VALUES = [
    "imageblock",
    "imagegridblock",
    "moreless_content",
    "moreless_fold",
    "colorscripter-code",
    "fileblock",
    "revenue_unit_wrap",
    "og-title",
    "hljs language-undefined",
    "x",
]
KE_TYPES = ["moreLess", "opengraph", "video", "map", "file", "emoticon", "revenue", "codeblock", "x"]

text = st.lists(
    st.sampled_from(
        [
            *list("ab 가나\n\t<>&\"'*_#`|[]()~!-=+.\\:;/\xa0"),
            "&nbsp;",
            "&lt;",
            "&amp;",
            "&#x3C;script&#x3E;",
            "-->",
            "<!--",
            "javascript:",
            " onclick=",
        ]
    ),
    max_size=12,
).map("".join)
attr_value = st.one_of(st.sampled_from(URLS), st.sampled_from(CLASS_VALUES), st.sampled_from(KE_TYPES), text)


@st.composite
def attributes(draw: st.DrawFn) -> str:
    parts = []
    for name in draw(st.lists(st.sampled_from(ATTR_NAMES), max_size=3)):
        value = draw(attr_value).replace('"', "&quot;")
        quote = draw(st.sampled_from(['"', "'", ""]))
        if quote == "" and re.search(r"[\s'\"=<>`]", value):
            quote = '"'
        if quote == "'":
            value = value.replace("'", "&#39;")
        parts.append(f" {name}={quote}{value}{quote}")
    return "".join(parts)


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        tag = draw(st.sampled_from(TAGS))
        inner = "".join(draw(st.lists(children, max_size=4)))
        close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", ""]))  # sometimes unclosed
        return f"<{tag}{draw(attributes())}>{inner}{close}"

    return build()


soup = st.recursive(
    st.one_of(text, st.sampled_from(["<br>", "<hr>", "</p>", "</div>", "<p>", "&nbsp;"])),
    element,
    max_leaves=18,
)
documents = st.lists(soup, max_size=6).map("".join)

ACTIVE_TAG = re.compile(
    r"<\s*(script|style|iframe|object|embed|svg|math|form|input|button|textarea|meta|link|base)\b",
    re.IGNORECASE,
)
TAG = re.compile(r"<[a-zA-Z][^>]*>")  # serialised attribute values have < and > escaped
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
EVENT_ATTR = re.compile(r"\son\w+\s*=", re.IGNORECASE)


def has_event_attribute(html: str) -> bool:
    """An on*= attribute in any tag, ignoring text that merely looks like one inside quoted values."""
    return any(EVENT_ATTR.search(QUOTED.sub('""', tag)) for tag in TAG.findall(html))


BAD_URL = re.compile(r"^\s*(javascript|vbscript|data|file):", re.IGNORECASE)


def check_output(html: str) -> None:
    assert not ACTIVE_TAG.search(html)
    assert not has_event_attribute(html)
    tree = LexborHTMLParser(html)
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on")
            if value is not None and name.lower() in (
                "href",
                "src",
                "srcset",
                "action",
                "formaction",
                "poster",
            ):
                assert not BAD_URL.match(re.sub(r"[\x00-\x20]", "", value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_clean_body_never_raises_and_stays_safe(document: str) -> None:
    post = clean_body(document, page_url="https://blog.tistory.com/1", blog_hosts=("blog.tistory.com",))
    check_output(post.html)
    out = LexborHTMLParser(post.html)
    srcs = {img.attributes.get("src") for img in out.css("img")}
    hrefs = {a.attributes.get("href") for a in out.css("a")}
    for ref in post.images:
        assert ref.src in srcs
        assert ref.src.startswith(("https://", "http://"))
    for ref in post.attachments:
        assert ref.href in hrefs
    for link in post.links:
        assert link.startswith(("https://", "http://")) and link in hrefs


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_clean_body_never_raises_on_arbitrary_text(document: str) -> None:
    check_output(clean_body(document, page_url="https://blog.tistory.com/1").html)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_replace_urls_cannot_inject_active_content(document: str) -> None:
    post = clean_body(document, page_url="https://blog.tistory.com/1")
    mapping = {ref.src: 'https://wp.example/x.png" onerror="alert(1)' for ref in post.images}
    mapping.update({link: 'https://wp.example/"><script>alert(1)</script>' for link in post.links})
    rewritten = replace_urls(post.html, mapping)
    check_output(rewritten)


def test_the_safety_check_itself_rejects_active_content() -> None:
    # Guards against a vacuous property: each of these must trip check_output.
    for bad in (
        '<p onclick="x">a</p>',
        "<script>x</script>",
        '<a href=" javascript:alert(1)">x</a>',
        '<img src="data:image/png;base64,AA">',
        "<STYLE>p{}</STYLE>",
        '<iframe src="https://e/"></iframe>',
    ):
        try:
            check_output(bad)
        except AssertionError:
            continue
        raise AssertionError(f"check_output accepted {bad!r}")
