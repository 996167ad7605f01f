"""A whole fake blog migrated with block content (the default): every post WordPress holds is valid for
the block editor's own validator (zero invalid, zero freeform), every content image points at the
attachment whose file it shows, and `--content-format html` still writes today's HTML."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from migrator.models import JobStatus
from tests.blockcheck import problems_of
from tests.fakes.blog import FakePost
from tests.harness import _raw, make_world
from tests.integration.test_media import figure, file_block


@pytest.fixture
async def world(aiohttp_server: Any, tmp_path: Any) -> Any:
    return await make_world(aiohttp_server, tmp_path)


def grid(*urls: str, caption: str = "") -> str:
    spans = "".join(f'<span data-url="{html.escape(u)}"><img src="{html.escape(u)}" width="100" height="100"></span>'
                    for u in urls)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="imagegridblock"><div class="image-container">{spans}</div>{cap}</figure>'


def blog(world: Any) -> list[FakePost]:
    attachment_path = "/attach/report.pdf"
    world.cdn.add(attachment_path, b"%PDF-1.4 fake report", "application/pdf")
    report = f"{world.cdn_url}{attachment_path}?attach=1"
    return [
        FakePost(1, "사진과 표", category="여행", tags=("바다",), body_html=(
            "<h2>부산</h2><p>첫 문단 <b>굵게</b> <a href='/2'>두 번째 글</a></p>"
            + figure(world.image("sea", 1), "바다.png", caption="부산의 바다", alt="파도")
            + grid(world.image("g1", 2), world.image("g2", 3), world.image("g3", 4), caption="격자")
            + "<table><tr><th>이름</th><th>값</th></tr><tr><td>a</td><td><i>b</i></td></tr></table>"
            + "<table><tr><td><img src='" + html.escape(world.image("cell", 5)) + "'></td><td>셀</td></tr></table>"
        )),
        FakePost(2, "코드와 목록", category="Dev", body_html=(
            '<pre data-ke-language="python"><code>if a &lt; b and c[0]:\n    print("&amp;")\n</code></pre>'
            "<ol start='2'><li>하나<ul><li>안쪽</li></ul></li><li>둘</li></ol>"
            "<blockquote><p>인용</p></blockquote><hr>"
            '<div data-ke-type="moreLess" data-text-more="더보기"><a class="btn-toggle-moreless">더보기</a>'
            '<div class="moreless-content"><p>접힌 글</p></div></div>'
            '<figure data-ke-type="video" data-video-host="youtube" data-video-url="https://www.youtube.com/watch?v=ddZ-f_nuQ8k">'
            '<iframe src="https://www.youtube.com/embed/ddZ-f_nuQ8k"></iframe></figure>'
            + file_block(report, "보고서.pdf")
            + '<p>back to <a href="/1">the first post</a></p>'
        ), images=(world.image("tail", 6),)),
        FakePost(3, "빈 글", body_html="<p>plain</p>"),
    ]


def media_url(world: Any, media: dict[str, Any]) -> str:
    return f"{world.wp_url}/wp-content/uploads/{media['file']}"


async def test_a_whole_blog_becomes_valid_blocks_tied_to_their_attachments(world: Any, block_validator: Any) -> None:
    for post in blog(world):
        world.blog.add(post)
    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    world.assert_consistent({"사진과 표", "코드와 목록", "빈 글"})
    contents = {_raw(p["title"]): _raw(p["content"]) for p in world.wp_posts()}
    results = block_validator(contents)
    assert problems_of(results) == {}
    counts = {title: result.counts for title, result in results.items()}
    assert counts["사진과 표"]["core/gallery"] == 1 and counts["사진과 표"]["core/table"] == 1
    assert counts["코드와 목록"]["core/file"] == 1 and counts["코드와 목록"]["core/embed"] == 1
    assert counts["코드와 목록"]["core/code"] == 1 and counts["코드와 목록"]["core/list-item"] == 3
    # Every content image shows the file of the attachment its class names (and every one has one).
    ties = 0
    for content in contents.values():
        for tag in re.findall(r"<img [^>]*>", content):
            src = html.unescape(re.search(r'src="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
            found = re.search(r'class="wp-image-(\d+)"', tag)
            assert found is not None, tag
            assert media_url(world, world.wp.media[int(found.group(1))]) == src
            ties += 1
    assert ties == 6  # 1 + 3 in the grid + 1 in the HTML table + the tail image
    # The file block names its attachment; the marker is a block of its own; internal links were
    # rewritten to WordPress addresses inside their blocks (and those stayed valid, above).
    pdf = next(m for m in world.wp.media.values() if m["mime_type"] == "application/pdf")
    assert f'<!-- wp:file {{"id":{pdf["id"]},' in contents["코드와 목록"]
    for content in contents.values():
        assert re.search(r"<!-- wp:html -->\n<!-- tistory-post-[0-9a-f]{16} migrated from [^\n]* -->\n"
                         r"<!-- /wp:html -->\n$", content)
    assert f'href="{world.wp_url}' in contents["코드와 목록"].split("the first post")[0].rsplit("<a ", 1)[1]


async def test_content_format_html_writes_plain_html(world: Any) -> None:
    for post in blog(world):
        world.blog.add(post)
    report = await world.run(content_format="html")
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    for post in world.wp_posts():
        content = _raw(post["content"])
        assert "<!-- wp:" not in content
        assert re.search(r"\n<!-- tistory-post-[0-9a-f]{16} migrated from [^\n]* -->\n$", content)


async def test_an_image_that_could_not_be_had_is_still_a_valid_image_block(world: Any, block_validator: Any) -> None:
    gone = f"{world.cdn_url}/dna/gone/img.png?credential=x"
    world.blog.add(FakePost(1, "사라진 사진", body_html=figure(gone, "gone.png", caption="없음") + "<p>text</p>"))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    content = _raw(world.post_by_title("사라진 사진")["content"])
    assert '<!-- wp:image {"linkDestination":"none"} -->' in content
    assert f'<img src="{html.escape(gone)}" alt=""/>' in content or f'src="{html.escape(gone)}"' in content
    assert "wp-image-" not in content
    assert problems_of(block_validator({"post": content})) == {}
