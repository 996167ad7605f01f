"""The production code path with real URL forms: https Tistory hosts, a custom domain, Kakao CDN
links signed per render, legacy cfile images — served by fakes behind a test resolver and TLS."""

from __future__ import annotations

import pytest

from migrator.wiring import Network
from migrator.models import JobStatus
from tests.conftest import StaticResolver
from tests.fakes.blog import FakeBlog, FakePost
from tests.fakes.cdn import FakeCDN, make_jpeg, make_png
from tests.fakes.wordpress import FakeWordPress
from tests.harness import APP_PASSWORD, World


@pytest.fixture
async def world(aiohttp_server, tmp_path, server_ssl, client_ssl):
    cdn = FakeCDN()
    cdn.add("/dna/aB1/cD2/AAAA/img.png", make_png(1))
    cdn.add("/dna/xY9/zZ8/BBBB/img.jpg", make_jpeg(2))
    cdn.add("/cfile/tistory/1731AC524E07FB5824", make_jpeg(3), "image/jpeg")      # without ?original
    cdn_server = await aiohttp_server(cdn.app(), ssl=server_ssl)
    signed = "https://blog.kakaocdn.net/dna/aB1/cD2/AAAA/img.png?credential=k&expires=1767193199&allow_ip=&allow_referer=&signature=a%2Bb%3D"
    other = "https://blog.kakaocdn.net/dna/xY9/zZ8/BBBB/img.jpg?credential=k&expires=1767193199&signature=zz"
    legacy = "https://t1.daumcdn.net/cfile/tistory/1731AC524E07FB5824"
    blog = FakeBlog([
        FakePost(30, "레거시 글", category="IT/DevOps", images=(legacy,)),
        FakePost(31, "새 글", slug="새-글", tags=("카카오",), images=(signed, other),
                 body_html='<p><a href="https://morenice.tistory.com/30#comment1">old</a> '
                           '<a href="/entry/%EC%83%88-%EA%B8%80">self</a></p>'),
        FakePost(32, "공유", images=(signed.replace("signature=a%2Bb%3D", "signature=other"),)),
    ], host="morenice.tistory.com", custom_domain="www.morenice.kr")
    blog_server = await aiohttp_server(blog.app(), ssl=server_ssl)
    wp = FakeWordPress(app_password=APP_PASSWORD)
    wp_server = await aiohttp_server(wp.app())
    resolver = StaticResolver({
        "www.morenice.kr": blog_server.port, "morenice.tistory.com": blog_server.port,
        "blog.kakaocdn.net": cdn_server.port, "t1.daumcdn.net": cdn_server.port,
    })
    w = World(blog=blog, cdn=cdn, wp=wp, blog_url="https://www.morenice.kr", cdn_url="https://blog.kakaocdn.net",
              wp_url=str(wp_server.make_url("")).rstrip("/"), tmp=tmp_path)
    w.network = Network(resolver=resolver, ssl=client_ssl)  # type: ignore[attr-defined]
    return w


async def test_real_url_forms_end_to_end(world):
    from migrator.commands.migrate import RunOptions, run_migration

    report = await run_migration(world.settings(), RunOptions(), network=world.network)
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    world.assert_consistent({"레거시 글", "새 글", "공유"})
    assert len(world.wp.media) == 3            # the signed image shared by two posts is uploaded once
    assert "/cfile/tistory/1731AC524E07FB5824?original" in world.cdn.requests
    assert all("daumcdn" not in p["content"] and "kakaocdn" not in p["content"] for p in world.wp_posts())
    new = world.post_by_title("새 글")
    assert new["slug"].startswith("%ec%83%88") or new["slug"].startswith("새")
    store = await world.store()
    try:
        item = await store.item_by_post_id(31)
        assert item.canonical_url == "https://www.morenice.kr/31"
        targets = {ln.target_url: ln.fragment for ln in await store.links_of_item(item.id)}
    finally:
        await store.close()
    assert targets.get("https://www.morenice.kr/30") == "comment1"      # the tistory host maps to the blog
    assert "https://www.morenice.kr/entry/%EC%83%88-%EA%B8%80" in targets or any("entry" in t for t in targets)
