"""Block content (migrator/wordpress/blocks): what each cleaned element becomes, checked by the block
editor's own parser and validator (`block_validator`, tests/blockcheck.py) — zero invalid blocks,
zero freeform content — on every saved sample page, each editor block of the catalogue on its own,
and a catalogue of every block type we write."""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from migrator.core.links import replace_hrefs
from migrator.core.markers import marker_comment
from migrator.models import CleanPost
from migrator.tistory.clean import clean_body
from migrator.tistory.parse import parse_post
from migrator.wordpress.blocks import MediaInfo, Options, marker_block, render_blocks
from tests.blockcheck import problems_of
from tests.unit.test_clean import BN_BLOCKS, DATA, PAGES, cleaned

DETAILS_MODES = {"html": Options(), "details": Options(details_block=True)}
BLOCK_DELIMITER = re.compile(r"<!-- /?wp:[a-z][a-z0-9-]*(?: \{.*?\})? /?-->")


def catalogue() -> CleanPost:
    return clean_body((DATA / BN_BLOCKS).read_text(encoding="utf-8"),
                      page_url="https://bluenyang-dev.tistory.com/entry/test")


def all_samples() -> dict[str, CleanPost]:
    return {**{key: cleaned(key) for key in PAGES}, "BN": catalogue()}


def uploaded(post: CleanPost) -> dict[str, MediaInfo]:
    """Every file of the post as if uploaded (its WordPress address here is its source address)."""
    media = {ref.src: MediaInfo(100 + i, 1600, 1200, "image/png") for i, ref in enumerate(post.images)}
    media.update({ref.href: MediaInfo(900 + i, None, None, "application/pdf")
                  for i, ref in enumerate(post.attachments)})
    return media


def visible_text(html: str) -> str:
    """What a reader sees, whitespace removed (comments and delimiters are not shown), but the file
    block's download button (a label the block adds)."""
    tree = LexborHTMLParser(f"<body>{html}</body>")
    for button in tree.css("a.wp-block-file__button"):
        button.decompose()
    return re.sub(r"\s+", "", tree.body.text(deep=True) if tree.body else "")


def code_texts(html: str) -> list[str]:
    tree = LexborHTMLParser(f"<body>{html}</body>")
    return [node.text(deep=True) or "" for node in tree.css("pre > code")]


def block_names(markup: str) -> Counter[str]:
    return Counter(m.group(1) for m in re.finditer(r"<!-- wp:([a-z][a-z0-9-/]*)", markup))


def only_blocks(markup: str) -> str:
    """What stands outside every block: must be whitespace (nothing outside blocks)."""
    outside, depth, last = [], 0, 0
    for match in BLOCK_DELIMITER.finditer(markup):
        if depth == 0:
            outside.append(markup[last:match.start()])
        delimiter = match.group(0)
        if not delimiter.endswith("/-->"):
            depth += -1 if delimiter.startswith("<!-- /") else 1
        last = match.end()
    assert depth == 0, "unbalanced block delimiters"
    outside.append(markup[last:])
    return "".join(outside)


# --------------------------------------------------------------------------- the saved pages
def test_every_sample_page_is_valid_block_content(block_validator: Any) -> None:
    batch = {}
    for key, post in all_samples().items():
        for mode, options in DETAILS_MODES.items():
            marker = marker_block(marker_comment("tistory-post-0123456789abcdef", "https://x.tistory.com/1"))
            batch[f"{key}/{mode}/uploaded"] = render_blocks(post.html, uploaded(post), options) + "\n\n" + marker
            batch[f"{key}/{mode}/not-uploaded"] = render_blocks(post.html, {}, options) + "\n\n" + marker
    results = block_validator(batch)
    assert problems_of(results) == {}
    for key, markup in batch.items():
        assert only_blocks(markup).strip() == "", key
    counts: Counter[str] = Counter()
    for key, result in results.items():
        if key.endswith("/html/uploaded"):
            counts.update(result.counts)
    # What the samples hold (A634: a grid and two YouTube videos; A637: a file block; BN: a fold).
    for name in ("core/paragraph", "core/heading", "core/list", "core/list-item", "core/quote", "core/code",
                 "core/table", "core/image", "core/gallery", "core/embed", "core/file", "core/separator"):
        assert counts[name] > 0, name
    assert results["BN/details/uploaded"].counts.get("core/details") == 1


@pytest.mark.parametrize("key", [*PAGES, "BN"])
def test_blocks_keep_the_text_and_the_exact_code_of_each_sample(key: str) -> None:
    post = all_samples()[key]
    for options in DETAILS_MODES.values():
        markup = render_blocks(post.html, uploaded(post), options)
        assert visible_text(markup) == visible_text(post.html)
        assert code_texts(markup) == code_texts(post.html)


def test_catalogue_blocks_each_alone_are_valid(block_validator: Any) -> None:
    """Each top-level element of the editor's block catalogue, cleaned and written on its own."""
    body = LexborHTMLParser((DATA / BN_BLOCKS).read_text(encoding="utf-8")).css_first("div.contents_style")
    assert body is not None
    pieces = [node.html or "" for node in body.iter(include_text=False)]
    batch = {}
    for i, piece in enumerate(pieces):
        post = clean_body(piece, page_url="https://bluenyang-dev.tistory.com/entry/test")
        if post.html.strip():
            batch[f"piece-{i}"] = render_blocks(post.html, uploaded(post), Options(details_block=True))
    assert len(batch) >= 20
    assert problems_of(block_validator(batch)) == {}


# --------------------------------------------------------------------------- each block type
WP = "https://wp.example/wp-content/uploads/2024/01"
MEDIA = {
    f"{WP}/a.png": MediaInfo(11, 2400, 1600, "image/png"),
    f"{WP}/b.png": MediaInfo(12, 800, 600, "image/png"),
    f"{WP}/doc.pdf": MediaInfo(13, None, None, "application/pdf"),
}
CATALOGUE: dict[str, tuple[str, str]] = {
    # name: (cleaned HTML, the block it must become)
    "paragraph": ('<p>plain <strong>bold</strong> <em>it</em> <u>u</u> <s>s</s> <del>d</del> <code>c</code> '
                  '<a href="https://x.tistory.com/2">link</a> <sup>1</sup><br>\nnext line</p>', "paragraph"),
    "heading-2": ("<h2>Title</h2>", "heading"),
    "heading-5": ("<h5>Small <em>title</em></h5>", "heading"),
    "list": ("<ul>\n<li>one</li>\n<li>two <strong>b</strong></li>\n</ul>", "list"),
    "ordered-list-start": ('<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>', "list"),
    "nested-list": ("<ul>\n<li>a\n<ol>\n<li>a1\n<ul>\n<li>deep</li>\n</ul>\n</li>\n</ol>\n</li>\n<li>b</li>\n</ul>",
                    "list"),
    "loose-list": ("<ul>\n<li>\n<p>loose <em>one</em></p>\n<ul>\n<li>sub</li>\n</ul>\n</li>\n<li>\n<p>two</p>\n</li>\n</ul>",
                   "list"),
    "quote": ("<blockquote>\n<p>said</p>\n<p>twice</p>\n</blockquote>", "quote"),
    "link-card": ('<blockquote>\n<p><a href="https://github.com/x"><strong>X</strong></a><br>\ndesc</p>\n</blockquote>',
                  "quote"),
    "code": ('<pre><code class="language-python">if a &lt; b and c[0]:\n\tprint("&amp;")  \n\n</code></pre>', "code"),
    "code-url-line": ("<pre><code>https://example.com/a\n[shortcode]</code></pre>", "code"),
    "code-no-language": ("<pre><code>x = 1</code></pre>", "code"),
    "preformatted": ("<pre>pre <b>text</b>\n  indented</pre>", "preformatted"),
    "table": ("<table>\n<thead>\n<tr>\n<th>h1</th>\n<th>h2</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>a</td>\n"
              "<td><strong>b</strong></td>\n</tr>\n</tbody>\n</table>", "table"),
    "table-caption-spans": ('<table><caption>Cap</caption><tbody><tr><td colspan="2">wide</td></tr>'
                            '<tr><td rowspan="1">x</td><td>y</td></tr></tbody><tfoot><tr><td>f</td><td>g</td></tr>'
                            "</tfoot></table>", "table"),
    "image": (f'<figure><img src="{WP}/a.png" alt="Alt &amp; &quot;q&quot;"><figcaption>Cap <em>x</em>'
              "</figcaption></figure>", "image"),
    "image-linked": (f'<figure><a href="https://example.com/"><img src="{WP}/b.png" alt=""></a></figure>', "image"),
    "image-linked-to-file": (f'<figure><a href="{WP}/a.png"><img src="{WP}/a.png" alt=""></a></figure>', "image"),
    "image-not-uploaded": ('<figure><img src="https://blog.kakaocdn.net/dna/x/img.png?a=1&amp;b=2" alt="kept">'
                           "</figure>", "image"),
    "image-in-paragraph": (f'<p><img src="{WP}/b.png" alt="inline"></p>', "image"),
    "gallery": (f'<figure><img src="{WP}/a.png" alt="1"><img src="{WP}/b.png" alt="2">'
                '<img src="https://blog.kakaocdn.net/dna/y/img.png" alt="3"><figcaption>Grid</figcaption></figure>',
                "gallery"),
    "separator": ("<hr>", "separator"),
    "youtube": ("<p>https://www.youtube.com/watch?v=ddZ-f_nuQ8k</p>", "embed"),
    "vimeo-link": ('<p><a href="https://vimeo.com/76979871">https://vimeo.com/76979871</a></p>', "embed"),
    "file": (f'<p><a href="{WP}/doc.pdf">보고서 &amp; 부록.pdf</a></p>', "file"),
    "details": ("<details>\n<summary>더보기</summary>\n<p>folded <strong>text</strong></p>\n<ul>\n<li>x</li>\n</ul>\n"
                "</details>", "html"),
    "definition-list": ("<dl><dt>term</dt><dd>meaning</dd></dl>", "html"),
    "table-with-image": (f'<table><tbody><tr><td><figure><img src="{WP}/b.png" alt=""></figure></td></tr></tbody>'
                         "</table>", "html"),
    "list-with-code": ("<ul>\n<li>step\n<pre><code>make</code></pre>\n</li>\n</ul>", "html"),
    "loose-inline": ("text standing alone <em>between</em> blocks", "paragraph"),
}


def test_each_block_type_alone_is_valid_and_what_it_should_be(block_validator: Any) -> None:
    batch: dict[str, str] = {}
    for name, (source, expected) in CATALOGUE.items():
        for mode, options in DETAILS_MODES.items():
            markup = render_blocks(source, MEDIA, options)
            batch[f"{name}/{mode}"] = markup
            top = re.match(r"<!-- wp:([a-z-]+)", markup)
            wanted = "details" if (mode == "details" and name == "details") else expected
            assert top is not None and top.group(1) == wanted, (name, mode, markup)
            assert only_blocks(markup).strip() == "", name
            if name == "table-caption-spans":  # the table block shows its caption below the table
                assert sorted(visible_text(markup)) == sorted(visible_text(source)), name
            else:
                assert visible_text(markup) == visible_text(source), name
            assert code_texts(markup) == code_texts(source), name
    assert problems_of(block_validator(batch)) == {}


def test_the_validator_itself_rejects_wrong_and_freeform_markup(block_validator: Any) -> None:
    """Guards against a vacuous check: each of these must be reported."""
    results = block_validator({
        "freeform": "<p>classic content</p>",
        "wrong-save": '<!-- wp:separator -->\n<hr class="wp-block-separator"/>\n<!-- /wp:separator -->',
        "old-list-migrated-by-parse": "<!-- wp:list -->\n<ul><li>a</li></ul>\n<!-- /wp:list -->",
        "extra-attribute": '<!-- wp:image -->\n<figure class="wp-block-image"><img src="a.png" alt="" width="5"/>'
                           "</figure>\n<!-- /wp:image -->",
        "unknown-block": "<!-- wp:nope/thing -->\n<p>x</p>\n<!-- /wp:nope/thing -->",
    })
    assert {key for key, result in results.items() if result.problems} == set(results)


def test_image_blocks_tie_each_image_to_its_attachment() -> None:
    markup = render_blocks(CATALOGUE["gallery"][0] + CATALOGUE["image"][0], MEDIA)
    figures = LexborHTMLParser(markup).css("figure.wp-block-image img")
    ties = [(img.attributes.get("src"), img.attributes.get("class")) for img in figures]
    assert ties == [(f"{WP}/a.png", "wp-image-11"), (f"{WP}/b.png", "wp-image-12"),
                    ("https://blog.kakaocdn.net/dna/y/img.png", None), (f"{WP}/a.png", "wp-image-11")]
    assert '<!-- wp:image {"id":11,"sizeSlug":"full","linkDestination":"none"} -->' in markup
    assert '<figcaption class="blocks-gallery-caption wp-element-caption">Grid</figcaption>' in markup


def test_images_kept_in_custom_html_still_point_at_their_attachment() -> None:
    markup = render_blocks(CATALOGUE["table-with-image"][0], MEDIA)
    assert f'<img src="{WP}/b.png" alt="" class="wp-image-12">' in markup


def test_code_block_keeps_the_language_and_escapes_what_wordpress_would_run() -> None:
    markup = render_blocks(CATALOGUE["code"][0] + CATALOGUE["code-url-line"][0], {})
    assert '<!-- wp:code {"className":"language-python"} -->' in markup
    assert '<pre class="wp-block-code language-python"><code>if a &lt; b and c&#91;0]:' in markup
    # No shortcode runs and no URL is auto-embedded inside code (block-library's own escape()).
    assert "https:&#47;&#47;example.com/a\n&#91;shortcode]" in markup


def test_nothing_in_the_text_can_forge_a_block_delimiter() -> None:
    source = ('<p>&lt;!-- wp:html --&gt; x</p><figure><img src="https://e.x/a.png" alt="--> <!-- wp:html -->">'
              "</figure><p><!-- wp:paragraph -->comment</p>")
    markup = render_blocks(source, {})
    delimiters = BLOCK_DELIMITER.findall(markup)
    assert delimiters == ["<!-- wp:paragraph -->", "<!-- /wp:paragraph -->", '<!-- wp:image {"linkDestination":"none"} -->',
                          "<!-- /wp:image -->", "<!-- wp:paragraph -->", "<!-- /wp:paragraph -->"]
    assert "<!--" not in re.sub(BLOCK_DELIMITER, "", markup)


def test_the_marker_is_a_block_invisible_to_readers_and_found_in_the_raw_content(block_validator: Any) -> None:
    comment = marker_comment("tistory-post-0123456789abcdef", "https://x.tistory.com/1")
    content = render_blocks("<p>hello</p>", {}) + "\n\n" + marker_block(comment) + "\n"
    assert "tistory-post-0123456789abcdef" in content  # what find_posts_by_marker matches
    assert visible_text(content) == "hello"
    assert only_blocks(content).strip() == ""
    assert problems_of(block_validator({"marker": content})) == {}


def test_rewritten_links_stay_inside_valid_blocks(block_validator: Any) -> None:
    """rewrite-links (core/links.replace_hrefs) on block content: the link changes, the block stays valid."""
    old = "https://x.tistory.com/2"
    source = (f'<p>see <a href="{old}">this</a></p><ul>\n<li><a href="{old}">item</a></li>\n</ul>'
              f'<figure><a href="{old}"><img src="{WP}/a.png" alt=""></a></figure>'
              f'<table><thead><tr><th><a href="{old}">h</a></th></tr></thead></table>'
              f'<details><summary>s</summary><p><a href="{old}">in fold</a></p></details>')
    markup = render_blocks(source, MEDIA, Options(details_block=True))
    new = "https://wp.example/2024/01/post-two/?a=1&b=2"
    rewritten, count = replace_hrefs(markup, {old: new})
    assert count == 5
    assert old not in rewritten and htmllib.escape(new) in rewritten
    assert block_names(rewritten) == block_names(markup)
    assert problems_of(block_validator({"rewritten": rewritten, "html-fold": replace_hrefs(
        render_blocks(source, MEDIA), {old: new})[0]})) == {}


def test_sample_page_b215_single_image() -> None:
    name, url = PAGES["B215"]
    post = parse_post((DATA / name).read_text(encoding="utf-8"), url)
    body = clean_body(post.body_html, page_url=post.canonical_url, blog_hosts=post.blog_hosts)
    markup = render_blocks(body.html, uploaded(body))
    assert block_names(markup)["image"] == 1
    assert 'class="wp-image-100"' in markup
