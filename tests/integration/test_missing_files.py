"""A dead file never costs the post (issue 8): posts are migrated with missing files, which are reported
and tried again; downloads are bounded; attachments go by an allow-list; WordPress refusals are
missing files too."""

from __future__ import annotations

import html
import json
import re

import pytest
from aiohttp import web

from migrator.models import ItemStatus, JobStatus
from tests.fakes.blog import FakePost
from tests.fakes.cdn import gzip_bomb, make_png
from tests.harness import make_world
from tests.integration.test_cli import base_env, migrate
from tests.integration.test_media import figure, file_block


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    return await make_world(aiohttp_server, tmp_path)


def dead_image(world, name: str) -> str:
    """A CDN link whose file is gone (404)."""
    return f"{world.cdn_url}/dna/{name}/img.png?credential=abc&expires=9999999999&signature=x"


async def missing_of(world) -> list[tuple[int, str, str]]:
    store = await world.store()
    try:
        items = {i.id: i.post_id for i in await store.items()}
        return [(items[item_id], f.url, f.reason) for item_id, f in await store.missing_files()]
    finally:
        await store.close()


async def test_dead_image_post_is_migrated_reported_and_exits_0(world, tmp_path):
    alive = world.image("alive", 1)
    dead = dead_image(world, "gone")
    world.blog.add(FakePost(1, "사진 글", body_html=figure(alive) + figure(dead, alt="사라진 사진")))
    world.blog.add(FakePost(2, "멀쩡한 글", images=(world.image("ok", 2),)))
    env = base_env(world, tmp_path)

    code, out, err = await migrate("--all", "--no-progress", env=env, cwd=tmp_path)

    assert code == 0, out + err
    assert "migrated     2" in out and "failed       0" in out, out
    assert "with missing files" in out and dead in out and "HTTP 404" in out, out
    post = world.post_by_title("사진 글")
    content = post["content"]["raw"] if isinstance(post["content"], dict) else post["content"]
    assert html.escape(dead) in content or dead in content          # the original address stays
    assert 'alt="사라진 사진"' in content                              # with its alt text
    assert len(world.wp.media) == 2 and world.wp_titles().keys() == {"사진 글", "멀쩡한 글"}

    code, status_out, _ = await migrate("status", env=env, cwd=tmp_path)
    assert code == 0 and "missing files" in status_out and dead in status_out and "404" in status_out
    code, table, _ = await migrate("report", env=env, cwd=tmp_path)
    assert "completed_missing_files" in table and dead in table, table
    code, as_json, _ = await migrate("report", "--format", "json", env=env, cwd=tmp_path)
    rows = {r["post_id"]: r for r in json.loads(as_json)}
    assert rows[1]["state"] == "completed_missing_files" and rows[2]["state"] == "completed"
    assert [f["url"] for f in rows[1]["missing_files"]] == [dead]
    assert "404" in rows[1]["missing_files"][0]["reason"]
    code, as_csv, _ = await migrate("report", "--format", "csv", "--state", "missing_files", env=env, cwd=tmp_path)
    assert as_csv.count("\n") == 2 and dead in as_csv and "completed_missing_files" in as_csv


async def test_a_missing_file_that_comes_back_updates_the_post(world):
    dead = dead_image(world, "later")
    world.blog.add(FakePost(1, "돌아온 사진", images=(dead,)))
    first = await world.run()
    assert first.status == JobStatus.COMPLETED and first.counters.posts_with_missing_files == 1
    post_id = world.post_by_title("돌아온 사진")["id"]
    assert await missing_of(world) == [(1, dead, "the file could not be downloaded (HTTP 404)")]

    world.cdn.add("/dna/later/img.png", make_png(9))
    second = await world.run()

    assert second.status == JobStatus.COMPLETED and second.counters.files_recovered == 1
    assert world.post_by_title("돌아온 사진")["id"] == post_id         # updated, not created again
    world.assert_consistent({"돌아온 사진"})                           # content points at WordPress now
    assert await missing_of(world) == []
    store = await world.store()
    try:
        assert (await store.item_by_post_id(1)).status == ItemStatus.COMPLETED
    finally:
        await store.close()
    third = await world.run()
    assert third.counters.already_done == 1 and len(world.wp.media) == 1


async def test_expired_link_without_a_fresh_one_is_a_missing_file(world):
    path = "/dna/stale/img.png"
    world.cdn.add(path, make_png(3))
    world.cdn.signed.add(path)
    world.cdn.now = 2000
    stale = f"{world.cdn_url}{path}?credential=c&expires=1000&signature=old"
    world.blog.add(FakePost(1, "만료", images=(stale,)))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and report.counters.failed == 0
    [(post, url, reason)] = await missing_of(world)
    assert url == stale and "HTTP 403" in reason
    assert sum(1 for r in world.blog.requests if r.startswith("/1")) >= 2   # the page was read again


@pytest.mark.parametrize("kind", ["gzip bomb", "huge file"])
async def test_oversized_downloads_stop_early(world, monkeypatch, kind):
    monkeypatch.setattr("migrator.tistory.source.MAX_DOWNLOAD_BYTES", 5 * 1024 * 1024)
    if kind == "gzip bomb":
        world.cdn.add("/dna/bomb/img.png", gzip_bomb(64 * 1024 * 1024), "image/png")
        world.cdn.gzipped.add("/dna/bomb/img.png")
        url = dead_image(world, "bomb")
    else:
        world.cdn.huge["/dna/huge/img.png"] = 64 * 1024 * 1024
        url = dead_image(world, "huge")
    world.blog.add(FakePost(1, "큰 파일", images=(url,)))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and report.counters.failed == 0
    [(_, missing_url, reason)] = await missing_of(world)
    assert missing_url == url and reason.startswith("too large"), reason
    assert world.wp.media == {}
    if kind == "huge file":  # refused on its Content-Length: far less than the file was sent
        assert world.cdn.sent.get("/dna/huge/img.png", 0) < 32 * 1024 * 1024


async def test_markup_and_script_attachments_are_not_uploaded(world):
    names = {"page.html": ("text/html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
             "logo.svg": ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
             "app.js": ("application/javascript", b"fetch('/steal?c='+document.cookie)"),
             "자료.pdf": ("application/pdf", b"%PDF-1.4\n" + b"x" * 100)}
    body = "<p>첨부</p>"
    urls = {}
    for n, (name, (ctype, data)) in enumerate(names.items()):
        urls[name] = world.image(f"att{n}", n, content_type=ctype, data=data)
        body += file_block(urls[name], name)
    world.blog.add(FakePost(1, "첨부 모음", body_html=body))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and report.counters.failed == 0
    assert [m["file"].rsplit(".", 1)[1] for m in world.wp.media.values()] == ["pdf"]
    content = world.post_by_title("첨부 모음")["content"]
    content = content["raw"] if isinstance(content, dict) else content
    for name in ("page.html", "logo.svg", "app.js"):
        assert html.escape(urls[name]) in content or urls[name] in content   # the link stays
    reasons = {url: reason for _, url, reason in await missing_of(world)}
    assert set(reasons) == {urls["page.html"], urls["logo.svg"], urls["app.js"]}
    assert all("not allowed" in r for r in reasons.values()), reasons


async def test_a_pdf_whose_bytes_are_html_is_refused(world):
    fake = world.image("fakepdf", 0, content_type="application/pdf", data=b"%PDF? no: \x00\x01 binary junk" * 10)
    world.blog.add(FakePost(1, "가짜 PDF", body_html=file_block(fake, "보고서.pdf")))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and world.wp.media == {}
    [(_, url, reason)] = await missing_of(world)
    assert url == fake and "not a pdf" in reason


async def test_a_file_wordpress_refuses_does_not_fail_the_post(aiohttp_server, tmp_path):
    @web.middleware
    async def refuse_tiff(request, handler):
        if request.method == "POST" and request.path.endswith("/media") and "tif" in request.headers.get(
            "Content-Disposition", ""
        ):
            return web.json_response(
                {"code": "rest_upload_file_type", "message": "Sorry, this file type is not permitted.",
                 "data": {"status": 400}}, status=400)
        return await handler(request)

    world = await make_world(aiohttp_server, tmp_path, wp_middleware=refuse_tiff)
    tiff = world.image("tiff", 0, content_type="image/tiff", data=b"II*\x00" + bytes(range(200)))
    png = world.image("png", 1)
    world.blog.add(FakePost(1, "거부", images=(png, tiff)))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and report.counters.failed == 0
    [(_, url, reason)] = await missing_of(world)
    assert url == tiff and "WordPress refused" in reason and "rest_upload_file_type" in reason
    assert len(world.wp.media) == 1
    content = world.post_by_title("거부")["content"]
    content = content["raw"] if isinstance(content, dict) else content
    assert re.search(r"/wp-content/uploads/", content)
