"""Property tests of block content: whatever tag soup a post holds, its blocks carry no active content
(no script, no event handler, no javascript: URL), keep the text and the exact code of the cleaned
HTML, leave nothing outside a block, and are valid for the block editor's own validator."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.core.links import replace_hrefs
from migrator.tistory.clean import clean_body, replace_urls
from migrator.wordpress.blocks import MediaInfo, Options, render_blocks
from tests.blockcheck import problems_of
from tests.unit.test_blocks import code_texts, only_blocks, visible_text
from tests.unit.test_clean_properties import check_output, documents

PAGE = "https://blog.tistory.com/1"


def _media(post: Any, uploaded_every: int) -> dict[str, MediaInfo]:
    """Some files uploaded (ids), the others left at their Tistory address."""
    media = {}
    for i, ref in enumerate(post.images):
        if i % uploaded_every == 0:
            media[ref.src] = MediaInfo(10 + i, 640 + i, 480, "image/png")
    for i, ref in enumerate(post.attachments):
        media[ref.href] = MediaInfo(500 + i, None, None, "application/zip")
    return media


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from([1, 2]), st.booleans())
def test_blocks_of_any_post_are_safe_faithful_and_valid(
    block_validator: Any, document: str, uploaded_every: int, details_block: bool
) -> None:
    post = clean_body(document, page_url=PAGE, blog_hosts=("blog.tistory.com",))
    markup = render_blocks(post.html, _media(post, uploaded_every), Options(details_block=details_block))
    check_output(markup)
    assert only_blocks(markup).strip() == ""
    assert visible_text(markup) == visible_text(post.html) or _only_caption_moved(markup, post.html)
    assert code_texts(markup) == code_texts(post.html)
    assert problems_of(block_validator({"post": markup})) == {}


def _only_caption_moved(markup: str, html: str) -> bool:
    # The table block shows a table's caption below it; the text is the same, in another order.
    return "<caption>" in html and sorted(visible_text(markup)) == sorted(visible_text(html))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_hostile_addresses_cannot_inject_active_content_into_blocks(block_validator: Any, document: str) -> None:
    """The pipeline puts the uploaded files' addresses in (replace_urls) before writing blocks, and
    rewrite-links edits hrefs inside blocks afterwards: neither can smuggle anything active in."""
    post = clean_body(document, page_url=PAGE)
    evil_src = 'https://wp.example/x.png" onerror="alert(1)'
    mapping = {ref.src: evil_src for ref in post.images}
    mapping.update({link: 'https://wp.example/"><script>alert(1)</script>' for link in post.links})
    html = replace_urls(post.html, mapping)
    markup = render_blocks(html, {evil_src: MediaInfo(7, 10, 10, "image/png")})
    check_output(markup)
    rewritten, _ = replace_hrefs(markup, {link: 'javascript:alert(1)" onclick="x' for link in post.links})
    assert problems_of(block_validator({"post": markup})) == {}
    # replace_hrefs escapes what it writes: still no handler; the javascript: value is refused upstream
    # (core/links only ever maps to WordPress addresses), so only the handler check applies here.
    assert 'onclick="x' not in rewritten
