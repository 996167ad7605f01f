"""Images and attachments as WordPress ends up holding them: names, types, captions, reuse, expiry."""

from __future__ import annotations

import html

import pytest
from aiohttp import web

from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.fakes.cdn import make_jpeg, make_png
from tests.harness import make_world


def figure(url: str, filename: str = "", caption: str = "", alt: str = "") -> str:
    u = html.escape(url)
    name = f' data-filename="{html.escape(filename)}"' if filename else ""
    alt_attr = f' data-alt="{html.escape(alt)}" alt="{html.escape(alt)}"' if alt else ""
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<p><figure class="imageblock alignCenter"{name}><span data-url="{u}" data-phocus="{u}">'
            f'<img src="{u}"{name}{alt_attr} loading="lazy" width="200" height="200"/></span>{cap}</figure></p>')


def file_block(url: str, name: str) -> str:
    return (f'<p><figure class="fileblock" data-ke-align="alignCenter"><a href="{html.escape(url)}" class="">'
            f'<div class="image"></div><div class="desc"><div class="filename"><span class="name">{html.escape(name)}'
            f'</span></div><div class="size">0.03MB</div></div></a></figure></p>')


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    return await make_world(aiohttp_server, tmp_path)


def media_by_name(world, fragment: str) -> dict:
    found = [m for m in world.wp.media.values() if fragment in m["file"]]
    assert len(found) == 1, [m["file"] for m in world.wp.media.values()]
    return found[0]


async def test_names_types_alt_and_caption_reach_wordpress(world):
    jpeg_as_png = world.image("lie", 0, content_type="image/png", data=make_jpeg(7))
    korean = world.image("ko", 1)
    world.blog.add(FakePost(1, "사진 모음", slug="사진-모음", body_html=(
        figure(korean, "바다 사진.png", caption="부산의 바다", alt="파도") + figure(jpeg_as_png, "img.png"))))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    sea = media_by_name(world, "바다")
    assert sea["file"].endswith(".png") and "바다" in sea["file"]
    assert sea["alt_text"] == "파도" and "부산의 바다" in sea["caption"]
    lie = [m for m in world.wp.media.values() if m is not sea][0]
    assert lie["file"].endswith(".jpg")              # the bytes are a JPEG, whatever the name says
    assert lie["mime_type"] == "image/jpeg"
    post = world.post_by_title("사진 모음")
    assert post["featured_media"] == sea["id"]
    assert "부산의 바다" in post["content"]
    world.assert_consistent({"사진 모음"})


async def test_attachments_are_uploaded_and_linked(world):
    doc = world.image("doc", 0, content_type="application/pdf", data=b"%PDF-1.4\n" + b"x" * 200)
    world.blog.add(FakePost(1, "첨부", body_html="<p>자료</p>" + file_block(doc, "발표 자료.pdf")))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    pdf = media_by_name(world, ".pdf")
    assert "발표" in pdf["file"]
    content = world.post_by_title("첨부")["content"]
    assert pdf["file"] in content and world.cdn_url not in content
    assert report.counters.attachments_uploaded == 1


async def test_same_bytes_under_two_urls_are_uploaded_once(world):
    data = make_png(42)
    one = world.image("copy1", 0, data=data)
    two = world.image("copy2", 0, data=data)
    world.blog.add(FakePost(1, "first", images=(one,)))
    world.blog.add(FakePost(2, "second", images=(two,)))
    report = await world.run()
    assert len(world.wp.media) == 1
    assert report.counters.images_uploaded == 1 and report.counters.images_reused == 1
    world.assert_consistent({"first", "second"})


async def test_an_image_from_an_earlier_run_is_reused(world):
    shared = world.image("shared", 5)
    world.blog.add(FakePost(1, "old", images=(shared,)))
    await world.run()
    world.blog.add(FakePost(2, "new", images=(world.image("shared", 5).replace("signature=s5", "signature=fresh"),)))
    world.cdn.requests.clear()
    report = await world.run()
    assert report.counters.images_uploaded == 0 and report.counters.images_reused == 1
    assert world.cdn.requests == []                   # known by its source: not even downloaded
    world.assert_consistent({"old", "new"})


async def test_expired_signed_links_are_refreshed_from_the_page(aiohttp_server, tmp_path):
    world = await make_world(aiohttp_server, tmp_path)
    path = "/dna/sig/img.png"
    world.cdn.add(path, make_png(3))
    world.cdn.signed.add(path)
    world.cdn.now = 2000
    stale = f"{world.cdn_url}{path}?credential=c&expires=1000&signature=old"
    world.blog.add(FakePost(1, "서명", images=(stale,)))
    renders = {"n": 0}

    @web.middleware
    async def resign(request, handler):   # every later render carries a fresh signature, like Tistory
        response = await handler(request)
        if request.path == "/1":
            renders["n"] += 1
            if renders["n"] > 1:
                response.text = response.text.replace("expires=1000&amp;signature=old", "expires=3000&amp;signature=new")
        return response

    app = world.blog.app()
    app.middlewares.append(resign)
    server = await aiohttp_server(app)
    world.blog_url = str(server.make_url("")).rstrip("/")
    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    assert renders["n"] == 2
    world.assert_consistent({"서명"})


async def test_not_an_image_is_a_missing_file_not_a_failed_post(world):
    page = world.image("html", 0, content_type="image/png", data=b"<!DOCTYPE html><html><body>error</body></html>")
    world.blog.add(FakePost(1, "bad", images=(page,)))
    world.blog.add(FakePost(2, "good"))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and report.counters.failed == 0
    assert [(f, r) for _, f, r in report.counters.missing_files] == [(page, "not a picture (got image/png)")]
    assert html.escape(page) in world.post_by_title("bad")["content"] or page in world.post_by_title("bad")["content"]
    assert world.wp.media == {}
