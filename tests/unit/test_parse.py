"""parse.py: golden metadata of every saved post page, skip/fail cases, ids, slugs, hosts."""

from __future__ import annotations

import re

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.errors import ParseError, SkipPost
from migrator.tistory.parse import looks_like_tistory, page_post_id, parse_post, stated_blog_urls

DATA = Path(__file__).resolve().parent.parent / "data"
KST = timezone(timedelta(hours=9))

A637 = "skin-A_post637_owner-view_imageblock-opengraph-code-fileblock_ramen4598.html"
A634 = "skin-A_post634_owner-view_imagegrid-youtube-video-tables_ramen4598.html"
A384 = "skin-A_post384_owner-view_tables-code-opengraph_ramen4598.html"
B215 = "skin-B_post215_guest-view_single-imageblock-dna-signed-url_dtslib1k.html"
B220 = "skin-B_post220_guest-view_html-mode-body-contains-full-document_dtslib1k.html"
C30 = "skin-C_post30_guest-view_legacy-editor_custom-domain_cfile-images_no-useless-margin_morenice.html"
INDEX = "skin-A_index-page1_owner-view_list-and-paging_ramen4598.html"


def page(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


GOLDEN = [
    pytest.param(
        A637,
        "https://ramen4598.tistory.com/637",
        dict(
            post_id=637,
            canonical_url="https://ramen4598.tistory.com/637",
            title="[AI] Spec-kit 사용 후기",
            published=datetime(2025, 11, 13, 17, 9, 1, tzinfo=KST),
            modified=datetime(2025, 12, 30, 21, 27, 58, tzinfo=KST),
            category_path=("Tools", "개발 환경"),
            tags=("spec-kit", "vibe coding"),
            author="tired_i",
            blog_hosts=("ramen4598.tistory.com",),
            slug=None,
        ),
        id="A637",
    ),
    pytest.param(
        A634,
        "https://ramen4598.tistory.com/634",
        dict(
            post_id=634,
            canonical_url="https://ramen4598.tistory.com/634",
            title="[홈서버] Offsite Backup",
            published=datetime(2025, 10, 17, 17, 38, 48, tzinfo=KST),
            modified=datetime(2025, 12, 25, 22, 2, 28, tzinfo=KST),
            category_path=("Tools", "Home Server"),
            tags=("backblaze b2", "PBS", "PVE Backup", "S3 Offisite backup"),
            author="tired_i",
            blog_hosts=("ramen4598.tistory.com",),
            slug=None,
        ),
        id="A634",
    ),
    pytest.param(
        A384,
        "https://ramen4598.tistory.com/384",
        dict(
            post_id=384,
            canonical_url="https://ramen4598.tistory.com/384",
            title="[알고리즘] 3986번: 좋은 단어",
            published=datetime(2023, 9, 3, 15, 6, 3, tzinfo=KST),
            modified=datetime(2025, 9, 5, 11, 34, 32, tzinfo=KST),
            category_path=("소프트웨어 이론", "Algorithm with C++"),
            tags=("c++", "분할 정복", "스택", "알고리즘"),
            author="tired_i",
            blog_hosts=("ramen4598.tistory.com",),
            slug=None,
        ),
        id="A384",
    ),
    pytest.param(
        B215,
        "https://dtslib1k.tistory.com/215",
        dict(
            post_id=215,
            canonical_url="https://dtslib1k.tistory.com/215",
            title="롱스",
            published=datetime(2025, 11, 15, 10, 3, 53, tzinfo=KST),
            modified=datetime(2025, 11, 15, 10, 3, 53, tzinfo=KST),
            category_path=(),
            tags=(),
            author="중년작가지망생",
            blog_hosts=("dtslib1k.tistory.com",),
            slug=None,
            excerpt="",
        ),
        id="B215",
    ),
    pytest.param(
        B220,
        "https://dtslib1k.tistory.com/220",
        dict(
            post_id=220,
            canonical_url="https://dtslib1k.tistory.com/220",
            title="봄길",
            published=datetime(2025, 12, 12, 14, 13, 34, tzinfo=KST),
            modified=datetime(2025, 12, 12, 14, 13, 34, tzinfo=KST),
            category_path=("설정 (System Lab)", "작가로드맵"),
            tags=(),
            author="중년작가지망생",
            blog_hosts=("dtslib1k.tistory.com",),
            slug=None,
            featured_image_url=None,
        ),
        id="B220",
    ),
    pytest.param(
        C30,
        "https://www.morenice.kr/30",
        dict(
            post_id=30,
            canonical_url="https://www.morenice.kr/30",
            title="top 명령어를 통한 시스템 분석",
            published=datetime(2011, 6, 27, 13, 4, 10, tzinfo=KST),
            modified=datetime(2018, 6, 14, 1, 4, 28, tzinfo=KST),
            category_path=("IT", "DevOps"),
            tags=("linux", "program", "Top", "시스템분석"),
            author="morenice",
            blog_hosts=("www.morenice.kr", "morenice.tistory.com"),
            slug=None,
            featured_image_url="https://t1.daumcdn.net/cfile/tistory/1731AC524E07FB5220?original",
        ),
        id="C30",
    ),
]


@pytest.mark.parametrize(("name", "url", "expected"), GOLDEN)
def test_golden_metadata(name: str, url: str, expected: dict[str, object]) -> None:
    post = parse_post(page(name), url)
    for field, value in expected.items():
        assert getattr(post, field) == value, field
    assert post.published.utcoffset() == timedelta(hours=9)  # +09:00 kept, not converted
    assert post.body_html.strip()
    assert page_post_id(page(name)) == post.post_id


def test_title_never_from_title_tag_or_skin_meta() -> None:
    for name, url, _ in (p.values for p in GOLDEN):
        title = parse_post(page(name), url).title
        assert " :: " not in title


def test_dates_come_from_article_meta_not_og_regdate() -> None:
    # og:regDate of A637 is 20251113050901 (12-hour clock): the post was published at 17:09.
    post = parse_post(page(A637), "https://ramen4598.tistory.com/637")
    assert post.published.hour == 17


def test_excerpt_and_featured_image() -> None:
    post = parse_post(page(A637), "https://ramen4598.tistory.com/637")
    assert post.excerpt.startswith("1. Speck-kit이란? GitHub - github/spec-kit")
    assert post.featured_image_url is not None
    # og:image is a thumb wrapper; the original is the signed dna URL, single-encoded.
    assert post.featured_image_url.startswith("https://blog.kakaocdn.net/dna/bNfSva/dJMcabCxZAM/")
    assert "signature=%2FwrpA8XREjcqx2BPcrh0C5ABEw4%3D" in post.featured_image_url
    # B220 has only Tistory's default opengraph.png
    assert parse_post(page(B220), "https://dtslib1k.tistory.com/220").featured_image_url is None


def test_html_mode_post_reads_the_first_head_and_first_body() -> None:
    post = parse_post(page(B220), "https://dtslib1k.tistory.com/220")
    # The inner document's <title> (봄길 — 다국어 버전) must not win over og:title.
    assert post.title == "봄길"
    assert "spring-poem" in post.body_html  # the post body is the first contents_style
    assert post.excerpt.startswith("봄길 정호승 · Multi-language")


def test_body_is_first_contents_style_inner_html() -> None:
    post = parse_post(page(C30), "https://www.morenice.kr/30")
    assert post.body_html.lstrip().startswith("<p><strong>linux에서 top 명령어는")
    assert "revenue_unit_wrap" not in post.body_html  # the ad is a sibling outside the body


def test_canonical_url_keeps_the_fetched_host_and_drops_mobile_paths() -> None:
    post = parse_post(page(A637), "https://ramen4598.tistory.com/m/637?category=1038140#comment1")
    assert post.canonical_url == "https://ramen4598.tistory.com/637"
    post = parse_post(page(C30), "https://morenice.tistory.com/30")
    assert post.canonical_url == "https://morenice.tistory.com/30"
    assert post.blog_hosts[0] == "morenice.tistory.com"
    assert set(post.blog_hosts) == {"morenice.tistory.com", "www.morenice.kr"}


def test_slug_from_entry_urls() -> None:
    html = page(A637)
    url = "https://ramen4598.tistory.com/entry/%EC%8A%A4%ED%8E%99-kit-%ED%9B%84%EA%B8%B0"
    post = parse_post(html, url)
    assert post.slug == "스펙-kit-후기"
    assert post.post_id == 637
    assert post.canonical_url == "https://ramen4598.tistory.com/637"
    assert parse_post(html, "https://ramen4598.tistory.com/m/entry/Test1").slug == "Test1"
    # og:url / canonical in /entry/ form give the slug too
    moved = html.replace(
        '<meta property="og:url" content="https://ramen4598.tistory.com/637"/>',
        '<meta property="og:url" content="https://ramen4598.tistory.com/entry/spec-kit"/>',
    )
    assert moved != html
    assert parse_post(moved, "https://ramen4598.tistory.com/637").slug == "spec-kit"


def test_categories_split_and_stripped() -> None:
    html = page(A637).replace('"categoryLabel":"Tools/개발 환경"', '"categoryLabel":" Tools / 개발 환경 /"')
    assert parse_post(html, "https://ramen4598.tistory.com/637").category_path == ("Tools", "개발 환경")
    html = page(A637).replace('"categoryLabel":"Tools/개발 환경"', '"categoryLabel":""')
    assert parse_post(html, "https://ramen4598.tistory.com/637").category_path == ()


def test_tags_deduplicated_in_order() -> None:
    html = page(A637).replace(
        'rel="tag">vibe coding</a>',
        'rel="tag">vibe coding</a>, <a href="/tag/spec-kit" rel="tag"> spec-kit </a>',
    )
    assert parse_post(html, "https://ramen4598.tistory.com/637").tags == ("spec-kit", "vibe coding")


def test_json_ld_fallbacks_when_meta_missing() -> None:
    html = page(A637)
    for meta in (
        '<meta property="og:title" content="[AI] Spec-kit 사용 후기"/>',
        '<meta property="article:published_time" content="2025-11-13T17:09:01+09:00"/>',
        '<meta name="by" content="tired_i"/>',
    ):
        assert meta in html
        html = html.replace(meta, "")
    post = parse_post(html, "https://ramen4598.tistory.com/637")
    assert post.title == "[AI] Spec-kit 사용 후기"
    assert post.published == datetime(2025, 11, 13, 17, 9, 1, tzinfo=KST)
    assert post.author == "tired_i"


def test_protected_post_is_skipped() -> None:
    with pytest.raises(SkipPost, match="protected"):
        parse_post(page("synthetic_protected_post.html"), "https://ramen4598.tistory.com/640")


def test_protected_post_without_entry_info_is_skipped() -> None:
    html = page("synthetic_protected_post.html").replace("window.T.entryInfo", "window.T.somethingElse")
    with pytest.raises(SkipPost, match="protected"):
        parse_post(html, "https://ramen4598.tistory.com/640")


def test_error_page_is_skipped() -> None:
    with pytest.raises(SkipPost, match="error page"):
        parse_post(page("synthetic_error_page.html"), "https://ramen4598.tistory.com/9999")


def test_entry_info_null_is_skipped() -> None:
    # The blog's home list page is a real Tistory page with window.T.entryInfo = null.
    with pytest.raises(SkipPost, match="null"):
        parse_post(page(INDEX), "https://ramen4598.tistory.com/")


def test_tistory_page_without_entry_info_is_skipped() -> None:
    html = page(A637).replace("window.T.entryInfo", "window.T.notEntryInfo")
    with pytest.raises(SkipPost):
        parse_post(html, "https://ramen4598.tistory.com/637")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "not html at all",
        "<html><body><p>Hello</p></body></html>",
        '{"data": []}',
        "\x00\x01\x02",
        "<div class='contents_style'>a body without any page around it</div>",
    ],
)
def test_garbage_is_a_parse_error(garbage: str) -> None:
    with pytest.raises(ParseError):
        parse_post(garbage, "https://ramen4598.tistory.com/1")


def test_body_fragment_is_not_a_post_page() -> None:
    fragment = page(
        "editor-blocks-catalog_body-fragment_headings-quote-table-hr-moreless-map-opengraph-list-image_bluenyang.html"
    )
    with pytest.raises(ParseError):
        parse_post(fragment, "https://bluenyang-dev.tistory.com/21")


def test_post_without_body_container_is_a_parse_error() -> None:
    html = page(B215).replace("contents_style", "something_else")
    with pytest.raises(ParseError, match="contents_style"):
        parse_post(html, "https://dtslib1k.tistory.com/215")


def test_post_without_date_is_a_parse_error() -> None:
    html = page(B215).replace("article:published_time", "x").replace('"datePublished"', '"x"')
    with pytest.raises(ParseError, match="date"):
        parse_post(html, "https://dtslib1k.tistory.com/215")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script>window.T.entryInfo = {"entryId":42,"isAuthor":false}</script>', 42),
        (
            '<meta content="https://x.tistory.com/77" property="dg:plink" content="https://x.tistory.com/77"/>',
            77,
        ),
        ('<meta property="article:txid" content="5257724_88"/>', 88),
        ("<script>window.T.entryInfo = null</script>", None),
        ("<p>nothing</p>", None),
    ],
)
def test_page_post_id(html: str, expected: int | None) -> None:
    assert page_post_id(html) == expected


def test_page_post_id_prefers_the_first_entry_info() -> None:
    # B220 has two entryInfo assignments (outer head, then the HTML-mode body); both say 220.
    assert page_post_id(page(B220)) == 220
    two = (
        '<script>window.T.entryInfo = {"entryId":1}</script>'
        '<script>window.T.entryInfo = {"entryId":2}</script>'
    )
    assert page_post_id(two) == 1


def test_metadata_after_the_body_container_is_ignored() -> None:
    # An HTML-mode body is a whole second document: its head must never supply metadata.
    html = page(B220)
    outer_og = '<meta property="og:title" content="봄길"/>'
    assert html.count(outer_og) == 1
    html = html.replace(outer_og, "")
    inner_head_at = html.index("<head>", html.index("contents_style"))
    html = (
        html[:inner_head_at] + '<head><meta property="og:title" content="INNER"/>'
        '<meta property="article:modified_time" content="2030-01-01T00:00:00+09:00"/>'
        + html[inner_head_at + len("<head>") :]
    )
    post = parse_post(html, "https://dtslib1k.tistory.com/220")
    assert post.title == "봄길"  # JSON-LD headline of the first head, not the inner og:title
    assert post.modified == datetime(2025, 12, 12, 14, 13, 34, tzinfo=KST)


def test_entry_info_that_is_not_json_is_a_parse_error_not_a_skip() -> None:
    html = page(A637).replace('window.T.entryInfo = {"entryId":637', "window.T.entryInfo = {entryId:637")
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_post(html, "https://ramen4598.tistory.com/637")


_MARKERS = [
    'window.T.entryInfo = {"entryId":5,"categoryLabel":"A/B"};',
    "window.T.entryInfo = null;",
    "window.T.entryInfo = {;",
    'window.T.config = {"DEFAULT_URL":"http://[::1"};',
    '<meta property="og:title" content="t">',
    '<meta property="article:published_time" content="2025-13-45T99:00:00+09:00">',
    '<meta property="article:published_time" content="2025-01-02T03:04:05">',
    '<div class="contents_style"><p>x</p></div>',
    '<script type="application/ld+json">' + "[" * 5000 + "</script>",
    '<input type="password">',
    "보호되어 있는 글입니다",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_MARKERS), st.text(max_size=30)), max_size=8).map("".join))
def test_parse_post_raises_only_its_own_errors(html: str) -> None:
    try:
        post = parse_post(html, "https://blog.tistory.com/5")
    except (ParseError, SkipPost):
        return
    assert post.post_id == 5 and post.title and post.published.tzinfo is not None


# --------------------------------------------------------------------------- text stays text (issue 8)
def _with_meta(title_attr: str, description_attr: str) -> str:
    """A637 with its og:title and both descriptions replaced by the given attribute values (as
    they appear in the HTML source, entities and all)."""
    html = page(A637)
    html = html.replace(
        '<meta property="og:title" content="[AI] Spec-kit 사용 후기"/>',
        f'<meta property="og:title" content="{title_attr}"/>',
    )
    out = []
    for line in html.split("\n"):
        if line.startswith(('<meta name="description"', '<meta property="og:description"')):
            key = line.split(" content=", 1)[0]
            line = f'{key} content="{description_attr}"/>'
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize(
    ("attribute", "text"),
    [
        ("&lt;img src=x onerror=alert(1)&gt;", "<img src=x onerror=alert(1)>"),
        ("Vector&lt;int&gt;", "Vector<int>"),
        ("A &amp; B", "A & B"),
        # what the blog shows as the literal text "&lt;img onerror=x&gt;" (escaped twice in the source)
        ("&amp;lt;img src=x onerror=alert(1)&amp;gt;", "&lt;img src=x onerror=alert(1)&gt;"),
        ("A &amp;amp; B", "A &amp; B"),
    ],
)
def test_title_and_excerpt_are_the_text_the_blog_shows(attribute: str, text: str) -> None:
    post = parse_post(_with_meta(attribute, attribute), "https://ramen4598.tistory.com/637")
    assert post.title == text
    assert post.excerpt == text  # decoded once, like the title (was decoded twice)


def test_json_ld_strings_are_decoded_once() -> None:
    # JSON-LD carries HTML entities inside a JSON string (B220: "&middot;"); one decode gives the text.
    html = _with_meta("", "").replace('"headline":"[AI] Spec-kit 사용 후기"', '"headline":"Vector&amp;lt;int&amp;gt; &amp;amp;"')
    assert '"headline":"Vector&amp;lt;int&amp;gt; &amp;amp;"' in html
    post = parse_post(html, "https://ramen4598.tistory.com/637")
    assert post.title == "Vector&lt;int&gt; &amp;"


def test_a_malformed_plink_falls_back_to_the_txid() -> None:
    html = page(B215).replace('"entryId":215', '"entryIdX":215')
    html = re.sub(r'(property="dg:plink" content=")[^"]*', r"\1http://[x/215", html)
    html = re.sub(r'(content=")[^"]*(" property="dg:plink")', r"\1http://[x/215\2", html)
    assert page_post_id(html) == 215
    assert parse_post(html, "https://dtslib1k.tistory.com/215").post_id == 215


def test_tistory_blog_object_and_default_url_are_read_without_closing_braces() -> None:
    hostile = "window.TistoryBlog = {" * 2000 + ' url: "https://late.example"'
    assert stated_blog_urls(hostile) == []
    good = 'window.T.config = {"DEFAULT_URL":"https://a.example"};window.TistoryBlog = { url: "https://a.example", tistoryUrl: "https://a.tistory.com" };'
    assert stated_blog_urls(good) == ["https://a.example", "https://a.example", "https://a.tistory.com"]


def test_saved_tistory_pages_are_recognised_and_other_sites_are_not() -> None:
    for name in (INDEX, C30, B215, A637):          # C30 is served on a custom domain
        assert looks_like_tistory(page(name)), name
    other = '<html><head><title>News</title></head><body><a href="/2023">2023</a></body></html>'
    assert not looks_like_tistory(other)
