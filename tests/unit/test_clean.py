"""migrator.tistory.clean: golden checks on every saved page, the editor-block catalogue, pitfalls, replace_urls."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from migrator.models import CleanPost
from migrator.tistory.clean import clean_body, replace_urls
from migrator.tistory.parse import parse_post

DATA = Path(__file__).resolve().parent.parent / "data"
PAGES = {
    "A637": (
        "skin-A_post637_owner-view_imageblock-opengraph-code-fileblock_ramen4598.html",
        "https://ramen4598.tistory.com/637",
    ),
    "A634": (
        "skin-A_post634_owner-view_imagegrid-youtube-video-tables_ramen4598.html",
        "https://ramen4598.tistory.com/634",
    ),
    "A384": (
        "skin-A_post384_owner-view_tables-code-opengraph_ramen4598.html",
        "https://ramen4598.tistory.com/384",
    ),
    "B215": (
        "skin-B_post215_guest-view_single-imageblock-dna-signed-url_dtslib1k.html",
        "https://dtslib1k.tistory.com/215",
    ),
    "B220": (
        "skin-B_post220_guest-view_html-mode-body-contains-full-document_dtslib1k.html",
        "https://dtslib1k.tistory.com/220",
    ),
    "C30": (
        "skin-C_post30_guest-view_legacy-editor_custom-domain_cfile-images_no-useless-margin_morenice.html",
        "https://www.morenice.kr/30",
    ),
}
BN_BLOCKS = (
    "editor-blocks-catalog_body-fragment_headings-quote-table-hr-moreless-map-opengraph-list-image_bluenyang.html"
)
PAGE_URL = "https://blog.tistory.com/12"


def cleaned(key: str) -> CleanPost:
    name, url = PAGES[key]
    post = parse_post((DATA / name).read_text(encoding="utf-8"), url)
    return clean_body(post.body_html, page_url=post.canonical_url, blog_hosts=post.blog_hosts)


def source_body(key: str) -> LexborHTMLParser:
    name, url = PAGES[key]
    return LexborHTMLParser(parse_post((DATA / name).read_text(encoding="utf-8"), url).body_html)


def tree(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def code_blocks(html: str) -> list[tuple[str | None, str]]:
    """(language class, exact text) of every code block in output HTML."""
    return [(code.attributes.get("class"), code.text(deep=True)) for code in tree(html).css("pre > code")]


def clean(fragment: str, **kwargs: object) -> CleanPost:
    return clean_body(fragment, page_url=PAGE_URL, **kwargs)  # type: ignore[arg-type]


def assert_safe(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered and "<style" not in lowered and "<iframe" not in lowered
    assert "javascript:" not in lowered and "vbscript:" not in lowered
    assert not re.search(r"\son\w+\s*=", lowered)


# --- golden pages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "images", "code", "tables", "links", "attachments"),
    [
        ("A637", 10, 3, 0, 3, 1),
        ("A634", 21, 0, 4, 5, 0),
        ("A384", 2, 10, 1, 3, 0),
        ("B215", 1, 0, 0, 0, 0),
        ("B220", 0, 0, 0, 0, 0),
        ("C30", 5, 0, 0, 0, 0),
    ],
)
def test_golden_counts(key: str, images: int, code: int, tables: int, links: int, attachments: int) -> None:
    post = cleaned(key)
    out = tree(post.html)
    assert len(post.images) == images
    assert len(out.css("img")) == images  # every distinct image appears (none twice in these posts)
    assert {img.attributes["src"] for img in out.css("img")} == {ref.src for ref in post.images}
    assert len(out.css("pre")) == code
    assert len(out.css("table")) == tables
    assert len(post.links) == links
    assert len(post.attachments) == attachments
    assert_safe(post.html)
    assert "no-image-v1.png" not in post.html
    assert "&nbsp;</p>" not in post.html and "<p></p>" not in post.html


# What the cleaning drops on purpose (see clean/__init__.py): scripts, styles, form controls, and
# chrome (ads, post buttons, related posts, comment and other React mounts); inside editor blocks,
# the link card's host line and the file block's size line (the card keeps its title and
# description, the file block its name).
DROPPED_ON_PURPOSE = (
    "script,style,noscript,template,button,select,textarea,"
    "[data-tistory-react-app],.revenue_unit_wrap,.adsbygoogle,.container_postbtn,.postbtn_ccl,"
    ".another_category,.area_related,[data-ke-type=revenue],"
    ".og-host,.fileblock .size,[data-ke-type=file] .size"
)
INVISIBLE = re.compile(r"[\s\u00a0\u200b\ufeff]+")


def visible_text_missing(source_html: str, output_html: str) -> list[str]:
    """Source text runs (whitespace removed) not found in the output's text, in document order.

    Whitespace is ignored because the cleaning re-flows it (collapsed newlines, `&nbsp;`
    spacers, Markdown's line breaks); everything else of each text run must come back, in order.
    """
    source = LexborHTMLParser(source_html)
    body = source.body
    assert body is not None
    for node in body.css(DROPPED_ON_PURPOSE):
        node.decompose()
    runs = [INVISIBLE.sub("", node.text_content or "") for node in body.traverse(include_text=True)
            if node.tag == "-text"]
    output = INVISIBLE.sub("", tree(output_html).text(deep=True) or "")
    missing, position = [], 0
    for run in filter(None, runs):
        found = output.find(run, position)
        if found < 0:
            missing.append(run)
        else:
            position = found + len(run)
    return missing


def sample(key: str) -> tuple[str, str]:
    """(source body, cleaned HTML) of a saved post page, or of the editor-block catalogue."""
    if key == "BN-blocks":
        catalogue = (DATA / BN_BLOCKS).read_text(encoding="utf-8")
        return catalogue, clean(catalogue).html
    return source_body(key).html or "", cleaned(key).html


@pytest.mark.parametrize("key", [*PAGES, "BN-blocks"])
def test_cleaning_keeps_the_visible_text_of_every_sample(key: str) -> None:
    source, output = sample(key)
    assert output
    assert visible_text_missing(source, output) == []


def test_the_text_check_itself_notices_a_dropped_paragraph() -> None:
    source, output = sample("A637")
    damaged = tree(output)
    paragraph = next(p for p in damaged.css("p") if p.text().startswith("GitHub Spec Kit은"))
    lost = INVISIBLE.sub("", paragraph.text())
    paragraph.decompose()
    assert visible_text_missing(source, damaged.html or "") == [lost]


def test_a637_code_languages_and_exact_text() -> None:
    post = cleaned("A637")
    blocks = code_blocks(post.html)
    assert [lang for lang, _ in blocks] == ["language-sql", "language-apache", "language-livescript"]
    source = [pre.text(deep=True) for pre in source_body("A637").css("pre")]
    assert [text for _, text in blocks] == source
    assert blocks[2][1].startswith("초기화\n-> constitution\n-> specify")
    assert "&lt;" not in blocks[2][1] and "-&gt;" in post.html  # escaped once in HTML, exact as text


def test_a637_images_figures_captions_file_block_and_link_cards() -> None:
    post = cleaned("A637")
    first = post.images[0]
    assert first.filename == "1.png"
    assert first.src == first.original_url
    assert first.original_url.startswith("https://blog.kakaocdn.net/dna/5oSv2/dJMcahCLuga/")
    assert "&expires=1767193199&" in first.src
    captioned = [ref for ref in post.images if ref.caption]
    assert [(ref.alt, ref.caption, ref.filename) for ref in captioned] == [
        ("난가?", "난가?", "8.png"),
        ("박명수 무한도전 대역죄인 짤", "박명수 무한도전 대역죄인 짤", "9.png"),
    ]
    figures = tree(post.html).css("figure")
    assert len(figures) == 10
    caption_nodes = tree(post.html).css("figure > figcaption")
    assert [node.text() for node in caption_nodes] == ["난가?", "박명수 무한도전 대역죄인 짤"]
    # the file block: a link whose href is exactly the AttachmentRef href
    (attachment,) = post.attachments
    assert attachment.filename == "20210201112150.jpg"
    assert attachment.href == attachment.url
    assert "attach=1&knm=img.jpg" in attachment.url
    anchors = [a for a in tree(post.html).css("a") if a.attributes.get("href") == attachment.href]
    assert len(anchors) == 1 and anchors[0].text() == "20210201112150.jpg"
    # link cards: title linked, description kept, no og image fetched or kept
    cards = tree(post.html).css("blockquote")
    assert len(cards) == 2
    assert cards[0].css_first("a").attributes["href"] == "https://github.com/github/spec-kit"
    assert "Toolkit to help you get started" in cards[0].text()
    assert "hyZNBZsWCQ" not in post.html  # og image of the card
    assert post.links == (
        "https://github.com/github/spec-kit",
        "https://github.com/ramen4598/Notion2Wordpress",
        attachment.href,
    )


def test_a637_structure_headings_hr_lists() -> None:
    out = tree(cleaned("A637").html)
    assert [h.text() for h in out.css("h2")][:3] == ["1. Speck-kit이란?", "2. install", "3. 개발 프로세스"]
    assert len(out.css("hr")) == 9
    assert len(out.css("ul ul")) == 2  # 장점 / 단점 nested lists
    assert out.css_first("ul ul li").text().startswith("작성하는 개발 문서의 수준이 높다")


def test_a634_grid_keeps_every_image_and_youtube_becomes_oembed_urls() -> None:
    post = cleaned("A634")
    out = tree(post.html)
    grids = [fig for fig in out.css("figure") if len(fig.css("img")) > 1]
    assert len(grids) == 4
    assert all(len(fig.css("img")) == 2 for fig in grids)
    grid_caption = [fig for fig in grids if fig.css_first("figcaption") is not None]
    assert (
        grid_caption[0].css_first("figcaption").text() == "Keep only the last version of the file 옵션 활성화"
    )
    assert [ref.filename for ref in post.images if ref.filename] == ["a1.png", "a2.png"]
    # YouTube: the bare watch URL alone in its paragraph (WordPress oEmbed), no iframe
    assert re.findall(r"<p>(https://www\.youtube\.com/watch\?v=[\w-]+)</p>", post.html) == [
        "https://www.youtube.com/watch?v=ddZ-f_nuQ8k",
        "https://www.youtube.com/watch?v=iNiLr5mu864",
    ]
    assert "<iframe" not in post.html
    # simple styled tables become GFM tables: header row + body rows, text intact
    first_table = out.css("table")[0]
    assert [th.text() for th in first_table.css("thead th")] == [
        "서비스",
        "저장 요금 (월/1TB 기준)",
        "다운로드 요금 (1GB 기준)",
        "최소 보관/삭제 정책",
        "특징",
    ]
    assert len(first_table.css("tbody tr")) == 4


def test_a384_table_with_images_stays_html_and_code_is_exact() -> None:
    post = cleaned("A384")
    table = tree(post.html).css_first("table")
    cells = table.css("td")
    assert len(cells) == 2
    assert all(len(cell.css("img")) == 1 for cell in cells)
    assert {cell.css_first("img").attributes["src"] for cell in cells} == {ref.src for ref in post.images}
    blocks = code_blocks(post.html)
    source_pres = source_body("A384").css("pre")
    assert [text for _, text in blocks] == [pre.text(deep=True) for pre in source_pres]
    # markdown-mode class guesses are kept as the language only because there is no data-ke-language
    assert [lang for lang, _ in blocks] == ["language-" + pre.attributes["class"] for pre in source_pres]
    big = blocks[4][1]
    assert "#include <iostream>" in big and "return (str.length() & 1);" in big and "cin >> n;" in big
    assert blocks[0][1] == "3\nABAB\nAABB\nABBA\n\n"  # trailing blank lines survive


def test_a384_bold_ending_in_punctuation_before_korean_stays_bold() -> None:
    html = cleaned("A384").html
    assert "“<strong>스택”</strong>을" in html
    assert "**" not in html


def test_b215_single_signed_image_without_filename() -> None:
    post = cleaned("B215")
    (ref,) = post.images
    assert ref.filename is None
    assert "/tfile.jpg?credential=" in ref.src and "expires=1764514799" in ref.src
    assert post.html.startswith("<figure><img ")


def test_b220_html_mode_body_has_no_style_script_or_document_wrappers() -> None:
    post = cleaned("B220")
    assert_safe(post.html)
    for leftover in (
        "<html",
        "<head",
        "<body",
        "<meta",
        "<title",
        "<link",
        "<svg",
        "<button",
        "spring-card",
        "another_category",
        "window.T",
    ):
        assert leftover not in post.html
    out = tree(post.html)
    assert out.css_first("h1").text() == "봄길"
    # the poem's lines were shown by `white-space: pre-line`: the breaks survive as <br>
    poem = next(p for p in out.css("p") if p.text().startswith("길이 끝난 곳에서도"))
    assert len(poem.css("br")) >= 10
    assert "Camino de Primavera — Jeong Ho-seung" in post.html


def test_c30_legacy_editor_cfile_images_and_filenames() -> None:
    post = cleaned("C30")
    assert [ref.filename for ref in post.images] == [
        "실행화면.png",
        "실행화면-설명.png",
        "help.png",
        "쉬프트 F.png",
        "delay설정.png",
    ]
    assert all(
        re.fullmatch(r"https://t1\.daumcdn\.net/cfile/tistory/[0-9A-F]+\?original", ref.src)
        for ref in post.images
    )
    out = tree(post.html)
    # old editor: <ul> nested directly inside <ul> is attached to the previous item
    nested = out.css("ul > li > ul")
    assert len(nested) == 3
    assert nested[0].css_first("li").text().startswith("user space : i/o wait")
    assert "<br><br>" not in post.html.replace("\n", "")  # runs of <br> became paragraph breaks
    assert out.css_first("p").text().startswith("linux에서 top 명령어는, linx kernel")


# --- the editor block catalogue (BN-blocks) --------------------------------------------------
@pytest.fixture(scope="module")
def blocks() -> CleanPost:
    html = (DATA / BN_BLOCKS).read_text(encoding="utf-8")
    return clean_body(html, page_url="https://bluenyang-dev.tistory.com/entry/test")


def test_catalogue_headings(blocks: CleanPost) -> None:
    out = tree(blocks.html)
    assert [(h.tag, h.text()) for h in out.css("h1,h2,h3,h4,h5,h6")] == [
        ("h1", "기본모드에 없음(h1, #x1)"),
        ("h2", "제목1(h2, #x2)"),
        ("h3", "제목2(h3, #x3)"),
        ("h4", "제목3(h4, #x4)"),
        ("h5", "기본모드에 없음(h5, #x5)"),
        ("h6", "기본모드에 없음(h6, #x6)"),
    ]


def test_catalogue_inline_formatting(blocks: CleanPost) -> None:
    html = blocks.html
    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<u>밑줄</u>" in html
    assert "<s>취소선</s>" in html
    assert "인라인에 들어가는 <code>코드</code>입니다." in html


def test_catalogue_highlight_js_code_block(blocks: CleanPost) -> None:
    # browser-DOM capture: code.hljs.language-undefined -> no language, plain text
    assert code_blocks(blocks.html) == [(None, "코드")]
    assert "hljs" not in blocks.html


def test_catalogue_quotes(blocks: CleanPost) -> None:
    quotes = [q.text().strip() for q in tree(blocks.html).css("blockquote")]
    assert quotes[:3] == ["인용문구1", "인용문구2", "인용문구3"]


def test_catalogue_table(blocks: CleanPost) -> None:
    table = tree(blocks.html).css_first("table")
    assert [th.text() for th in table.css("thead th")] == ["표를", "테스트", "하는", "공간", "입니다."]
    assert len(table.css("tbody tr")) == 4


def test_catalogue_horizontal_rules(blocks: CleanPost) -> None:
    assert len(tree(blocks.html).css("hr")) == 8


def test_catalogue_moreless_becomes_details(blocks: CleanPost) -> None:
    details = tree(blocks.html).css("details")
    assert len(details) == 1
    assert details[0].css_first("summary").text() == "더보기"
    assert details[0].css_first("p").text() == "접은글에 있는 글입니다."
    assert "btn-toggle-moreless" not in blocks.html and "닫기" not in blocks.html


def test_catalogue_map_becomes_a_link_with_the_address(blocks: CleanPost) -> None:
    link = [a for a in tree(blocks.html).css("a") if "map.kakao.com" in a.attributes.get("href", "")]
    assert len(link) == 1
    assert link[0].text() == "서울특별시 중구 명동"
    assert "plusmapViewer" not in blocks.html


def test_catalogue_link_card_and_previous_post_link(blocks: CleanPost) -> None:
    card = tree(blocks.html).css("blockquote")[3]
    anchor = card.css_first("a")
    assert anchor.attributes["href"] == "https://bluenyang-dev.tistory.com/entry/Test1"
    assert anchor.text() == "Test1"
    assert "test1" in card.text()
    assert "https://bluenyang-dev.tistory.com/posts" in blocks.links  # relative href made absolute
    assert "/images/testImg.png" not in blocks.html


def test_catalogue_nested_lists(blocks: CleanPost) -> None:
    out = tree(blocks.html)
    top = [ul for ul in out.css("ul") if ul.parent is not None and ul.parent.tag != "li"]
    assert len(top) == 1
    assert len(out.css("ul > li > ul > li > ul > li")) == 3  # depth 3


def test_catalogue_image_with_caption(blocks: CleanPost) -> None:
    (ref,) = blocks.images
    assert ref.filename == "1174949_js_react js_logo_react_react native_icon.png"
    assert ref.alt == "설명하는 글입니다."
    assert ref.caption == "설명하는 글입니다."
    figure = tree(blocks.html).css_first("figure")
    assert figure.css_first("img").attributes["alt"] == "설명하는 글입니다."
    assert figure.css_first("figcaption").text() == "설명하는 글입니다."


def test_catalogue_chrome_after_the_body_is_dropped(blocks: CleanPost) -> None:
    for chrome in ("공감", "URL 복사", "게시글 관리", "저작자표시", "creativecommons", "SupportButton"):
        assert chrome not in blocks.html
    assert blocks.html.rstrip().endswith("<p>이미지 아래에 있는 글입니다.</p>")


# --- pitfalls and specific blocks ---------------------------------------------------------
def test_pre_after_ul_round_trip() -> None:
    # tistory.md pitfall 10: a code block right after a list must stay a code block after the list
    html = (
        '<ul><li>first</li><li>second</li></ul><pre class="bash"><code>npm install\n  --save x</code></pre>'
        "<ol><li>a</li></ol><pre><code>&lt;div&gt;</code></pre><p>after</p>"
    )
    out = clean(html).html
    parsed = tree(out)
    assert [li.text() for li in parsed.css("ul > li")] == ["first", "second"]
    assert code_blocks(out) == [("language-bash", "npm install\n  --save x"), (None, "<div>")]
    assert not parsed.css("li pre")
    assert parsed.css_first("pre").prev is not None
    assert out.index("</ul>") < out.index("<pre>") < out.index("<ol>")


def test_code_in_list_item_keeps_list_tight_and_text_exact() -> None:
    out = clean("<ul><li>step<pre><code>a\n\n\tb  </code></pre></li><li>next</li></ul>").html
    assert code_blocks(out) == [(None, "a\n\n\tb  ")]
    assert tree(out).css_first("ul > li > pre") is not None
    assert "<li>next</li>" in out


@pytest.mark.parametrize(
    ("fragment", "language"),
    [
        (
            '<pre id="code_1" class="bash" data-ke-language="python" data-ke-type="codeblock">'
            "<code>x</code></pre>",
            "language-python",
        ),  # data-ke-language wins over the class guess
        ('<pre class="sql"><code>x</code></pre>', "language-sql"),
        ('<pre><code class="language-rust">x</code></pre>', "language-rust"),
        ('<pre class=""><code class="hljs language-undefined">x</code></pre>', None),
        ('<pre class="prettyprint linenums"><code>x</code></pre>', None),
        ('<pre class="C++"><code>x</code></pre>', "language-c++"),
        ('<pre class="x&quot;onmouseover=&quot;alert(1)"><code>x</code></pre>', None),
    ],
)
def test_code_language_rules(fragment: str, language: str | None) -> None:
    out = clean(fragment).html
    assert code_blocks(out) == [(language, "x")]
    assert_safe(out)


def test_code_text_is_exact() -> None:
    text = "if a < b && c > \"d\":\n\tprint('x')   \n\n\n    return  # trailing spaces kept  \n"
    fragment = (
        "<pre><code>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</code></pre>"
    )
    assert code_blocks(clean(fragment).html) == [(None, text)]


def test_code_with_highlight_spans_and_line_breaks() -> None:
    fragment = (
        '<pre><code class="hljs"><span class="hljs-keyword">int</span> <span class="hljs-title">main</span>()'
        '<br>{<br>  <span class="hljs-keyword">return</span> 0;<br>}</code></pre>'
    )
    assert code_blocks(clean(fragment).html) == [(None, "int main()\n{\n  return 0;\n}")]


def test_colorscripter_code_comes_from_the_second_cell() -> None:
    fragment = (
        '<div class="colorscripter-code"><table class="colorscripter-code-table"><tr>'
        "<td><div>1</div><div>2</div></td>"
        "<td><div>int a = 1;</div><div>&nbsp;&nbsp;return a &lt; 2;</div></td></tr></table></div>"
    )
    out = clean(fragment).html
    assert code_blocks(out) == [(None, "int a = 1;\n  return a < 2;")]
    assert "<table" not in out


def test_nbsp_spacer_paragraphs_dropped() -> None:
    out = clean(
        '<p data-ke-size="size16">&nbsp;</p><p>text</p><p><br></p><p> &nbsp; <span>&nbsp;</span></p>'
        '<h3 data-ke-size="size23">&nbsp;</h3><p>more</p>'
    ).html
    assert out == "<p>text</p>\n<p>more</p>"


def test_image_inside_a_link() -> None:
    post = clean(
        '<p><a href="https://example.com/x">'
        '<img src="https://blog.kakaocdn.net/dn/a/b/img.png" alt="pic"></a></p>'
        '<p>see <a href="/5"><img src="//blog.kakaocdn.net/dn/c/d/img.png"> here</a></p>'
    )
    anchors = tree(post.html).css("a")
    assert [a.attributes["href"] for a in anchors] == ["https://example.com/x", "https://blog.tistory.com/5"]
    assert [a.css_first("img").attributes["src"] for a in anchors] == [
        "https://blog.kakaocdn.net/dn/a/b/img.png",
        "https://blog.kakaocdn.net/dn/c/d/img.png",
    ]
    assert [ref.alt for ref in post.images] == ["pic", ""]
    assert post.links == ("https://example.com/x", "https://blog.tistory.com/5")


def test_link_to_the_image_itself_uses_the_image_src() -> None:
    post = clean(
        '<p><a href="http://t1.daumcdn.net/cfile/tistory/99A3?original">'
        '<img src="https://img1.daumcdn.net/thumb/R800x0/?fname=https%3A%2F%2Ft1.daumcdn.net%2Fcfile%2Ftistory%2F99A3">'
        "</a></p>"
    )
    (ref,) = post.images
    assert ref.src == "https://t1.daumcdn.net/cfile/tistory/99A3?original"
    anchor = tree(post.html).css_first("a")
    assert anchor.attributes["href"] == ref.src  # one replace rewrites both


def test_table_with_list_in_cell_stays_html() -> None:
    post = clean(
        "<table><tbody><tr><td><ul><li>a</li><li>b</li></ul></td><td>x<br>y</td></tr>"
        '<tr><td colspan="2">wide</td></tr></tbody></table>'
    )
    table = tree(post.html).css_first("table")
    assert [li.text() for li in table.css("td ul li")] == ["a", "b"]
    assert table.css_first("td br") is not None
    assert table.css_first("td[colspan='2']").text() == "wide"
    assert "|" not in post.html


def test_simple_table_becomes_gfm_and_escapes_pipes() -> None:
    out = clean(
        "<table><tr><td>a | b</td><td><b>bold</b></td></tr><tr><td>1</td><td>2</td></tr></table>"
    ).html
    table = tree(out).css_first("table")
    assert [th.text() for th in table.css("thead th")] == ["a | b", "bold"]
    assert table.css_first("thead strong") is not None
    assert [td.text() for td in table.css("tbody td")] == ["1", "2"]


def test_old_editor_fold_becomes_details() -> None:
    out = clean(
        '<p id="more1_0" class="moreless_fold"><span onclick="toggleMoreLess(this)">펼치기</span></p>'
        '<div id="content1_0" class="moreless_content" style="display: none;"><p>숨은 글</p>'
        "<pre><code>code\n\nhere</code></pre></div><p>after</p>"
    ).html
    details = tree(out).css_first("details")
    assert details.css_first("summary").text() == "펼치기"
    assert details.css_first("p").text() == "숨은 글"
    assert code_blocks(out) == [(None, "code\n\nhere")]
    assert out.endswith("<p>after</p>")
    assert_safe(out)


def test_kakao_tv_and_other_iframes_become_links() -> None:
    post = clean(
        '<figure data-ke-type="video" data-video-host="kakaotv" data-video-url="https://tv.kakao.com/channel/3568028/'
        'cliplink/408988123" data-video-title="영상"><iframe src="https://play-tv.kakao.com/embed/player/cliplink/'
        '408988123"></iframe></figure>'
        '<iframe src="https://play-tv.kakao.com/embed/player/cliplink/55"></iframe>'
        '<iframe src="https://player.vimeo.com/video/76979871"></iframe>'
        '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=42"></iframe>'
    )
    assert post.links == (
        "https://tv.kakao.com/channel/3568028/cliplink/408988123",
        "https://tv.kakao.com/v/55",
        "https://vimeo.com/76979871",
    )
    assert "<p>https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=42s</p>" in post.html
    assert "<iframe" not in post.html


def test_chrome_is_dropped() -> None:
    out = clean(
        '<div class="revenue_unit_wrap"><ins class="adsbygoogle"></ins></div>'
        '<div data-tistory-react-app="NaverAd">'
        'ad</div><div class="container_postbtn">공감</div><div class="another_category"><h4>other</h4></div>'
        '<div id="entry21Comment"><div data-tistory-react-app="Comment"></div></div>'
        '<div class="area_related">r'
        '</div><figure data-ke-type="revenue">rev</figure><div data-tistory-react-app="Namecard">nc</div>'
        '<p>keep</p><div class="postbtn_ccl"><a href="https://creativecommons.org/">CC</a></div>'
    ).html
    assert out == "<p>keep</p>"


def test_dangerous_markup_never_survives() -> None:
    post = clean(
        '<p onclick="alert(1)">a<script>alert(1)</script><a href="javascript:alert(1)">x</a>'
        '<a href=" jav&#x09;ascript:alert(2)">y</a><a href="vbscript:msgbox">z</a>'
        '<img src="data:image/png;base64,AAAA"><img src="https://x.com/a.png" onerror="alert(1)"></p>'
        '<style>p{}</style><iframe src="https://evil.example/"></iframe><object data="x.swf"></object>'
        '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><svg onload="alert(1)"><script>x</script></svg>'
    )
    assert_safe(post.html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in post.html  # text stays text
    assert [ref.src for ref in post.images] == ["https://x.com/a.png"]
    assert "data:" not in post.html
    assert post.links == ("https://evil.example/",)


def test_markdown_lookalike_text_stays_literal() -> None:
    text = "* not a list _ # 1. [x](y) `tick` &amp;lt; | ~~no~~ <u>"
    fragment = "<p>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</p><p>1. not a list either</p>"
    out = tree(clean(fragment).html)
    assert [p.text() for p in out.css("p")] == [text, "1. not a list either"]
    assert not out.css("ul,ol,em,code,s,a,u")


def test_relative_urls_become_absolute() -> None:
    post = clean(
        '<p><a href="/123">a</a> <a href="/entry/%EC%8A%A4">b</a> <a href="#top">c</a> '
        '<a href="?page=2">d</a></p><img src="/attachment/cfile1.uf@abc.png">'
    )
    assert post.links == (
        "https://blog.tistory.com/123",
        "https://blog.tistory.com/entry/%EC%8A%A4",
        "https://blog.tistory.com/12?page=2",
    )
    assert 'href="#top"' in post.html  # in-page anchors stay relative
    assert post.images[0].src == "https://blog.tistory.com/attachment/cfile1.uf@abc.png"


def test_each_image_once_and_placeholders_excluded() -> None:
    post = clean(
        '<p><img src="https://t1.daumcdn.net/cfile/tistory/AAA"></p>'
        '<p><img src="https://img1.daumcdn.net/thumb/R800x0/?fname=https%3A%2F%2Ft1.daumcdn.net%2Fcfile%2Ftistory%2FAAA"></p>'
        '<img src="//t1.daumcdn.net/tistory_admin/static/images/no-image-v1.png">'
        '<img src="https://tistory1.daumcdn.net/tistory/1/skin/images/bg.png">'
        '<img src="https://x.example/pixel.gif" width="1" height="1">'
        '<img src="//t1.daumcdn.net/tistory_admin/static/images/no-image-v1.png" '
        'data-src="https://blog.kakaocdn.net/dn/lazy/img.jpg">'
    )
    assert [ref.src for ref in post.images] == [
        "https://t1.daumcdn.net/cfile/tistory/AAA?original",
        "https://blog.kakaocdn.net/dn/lazy/img.jpg",
    ]
    srcs = [img.attributes["src"] for img in tree(post.html).css("img")]
    assert srcs == ["https://t1.daumcdn.net/cfile/tistory/AAA?original"] * 2 + [
        "https://blog.kakaocdn.net/dn/lazy/img.jpg"
    ]


def test_attachment_links_in_text() -> None:
    post = clean(
        '<p>자료: <a href="https://t1.daumcdn.net/cfile/tistory/1234?download">발표자료.pptx</a></p>'
        '<figure class="fileblock"><a href="/attachment/cfile7.uf@1234.zip"><div class="desc">'
        '<div class="filename"><span class="name">소스.zip</span></div></div></a></figure>',
        blog_hosts=("blog.tistory.com",),
    )
    assert [(a.filename, a.href) for a in post.attachments] == [
        ("발표자료.pptx", "https://t1.daumcdn.net/cfile/tistory/1234?download"),
        ("소스.zip", "https://blog.tistory.com/attachment/cfile7.uf@1234.zip"),
    ]
    assert [a.text() for a in tree(post.html).css("a")] == ["발표자료.pptx", "소스.zip"]


def test_never_raises_on_empty_or_broken_input() -> None:
    for fragment in (
        "",
        "   ",
        "<",
        "</p></div>",
        "<table><td>x",
        "<ul><li><ul>",
        "<pre>",
        "\x00",
        "<p>" * 500,
    ):
        assert isinstance(clean(fragment), CleanPost)


# --- replace_urls ---------------------------------------------------------------------------
def test_replace_urls_handles_escaped_ampersands() -> None:
    post = cleaned("A637")
    image = post.images[0]
    attachment = post.attachments[0]
    assert "&amp;" in post.html and image.src not in post.html  # why plain str.replace would miss
    mapping = {
        image.src: "https://wp.example/wp-content/uploads/2026/01/1.png",
        attachment.href: "https://wp.example/wp-content/uploads/2026/01/f.jpg?a=1&b=2",
        "https://github.com/github/spec-kit": "https://github.com/github/spec-kit#moved",
    }
    rewritten = replace_urls(post.html, mapping)
    out = tree(rewritten)
    assert out.css("img")[0].attributes["src"] == mapping[image.src]
    assert image.src not in [img.attributes["src"] for img in out.css("img")]
    hrefs = [a.attributes.get("href") for a in out.css("a")]
    assert mapping[attachment.href] in hrefs and attachment.href not in hrefs
    assert "https://github.com/github/spec-kit#moved" in hrefs
    assert "f.jpg?a=1&amp;b=2" in rewritten  # written back escaped
    assert len(rewritten.splitlines()) == len(post.html.splitlines())  # nothing else moved


def test_replace_urls_leaves_text_and_unknown_urls_alone() -> None:
    html = '<p>https://a.example/x <a href="https://a.example/x">https://a.example/x</a> <a href="https://b.example/">b</a></p>'
    assert replace_urls(html, {"https://a.example/x": "https://new/"}) == (
        '<p>https://a.example/x <a href="https://new/">https://a.example/x</a> <a href="https://b.example/">b</a></p>'
    )
    assert replace_urls(html, {}) == html


@pytest.mark.parametrize(
    "fragment",
    [
        "<div>" * 3000 + "deep",
        "<b>" * 3000 + "x",
        # markdown-it's preset maxNesting (20 tokens) dropped lists nested ~10 deep and quotes 20 deep
        # whole; the renderer now allows what the walker keeps (nodes.MAX_DEPTH).
        "<ul><li>" * 600 + "x",
        "<blockquote>" * 400 + "q",
        "<table><tr><td>" * 200 + "t",
        '<a href="/x">' * 300 + "y",
        "<pre>" + "<div>" * 3000 + "x",
    ],
)
def test_pathological_nesting_keeps_the_text_without_overflowing_the_stack(fragment: str) -> None:
    post = clean(fragment)
    words = re.sub(r"<[^>]*>", "", fragment)
    assert tree(post.html).text(deep=True).strip() == words
    assert_safe(post.html)


def test_double_break_inside_bold_stays_inside_the_bold() -> None:
    out = clean("<p><b>one<br><br>two</b> after</p>").html
    assert out == "<p><strong>one<br>\ntwo</strong> after</p>"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a long run of spaces and breaks inside bold text: the edge-break split backtracked quadratically
        ("<p><b>x" + " <br>" * 40000 + "y</b></p>", "<p><strong>x<br>\ny</strong></p>"),
        ("<p><b>x" + " " * 200000 + "y</b></p>", "<p><strong>x y</strong></p>"),
        # a raw HTML table cell with a long run of spaces before a newline
        (
            "<table><tr><td><ul><li>a</li></ul>" + " " * 200000 + "\n b</td></tr></table>",
            "<table><tbody><tr><td><ul><li>a</li></ul> b</td></tr></tbody></table>",
        ),
    ],
    ids=["breaks-in-bold", "spaces-in-bold", "spaces-in-raw-table"],
)
def test_hostile_runs_of_spaces_are_cleaned_in_linear_time(body: str, expected: str) -> None:
    # On the quadratic code each of these took minutes (pytest-timeout fails it); the time itself is
    # measured by scripts/bench_hostile.py.
    assert clean_body(body, page_url="https://b.tistory.com/1").html.strip() == expected
