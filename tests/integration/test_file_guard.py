"""Files are fetched only from public addresses (issue 8), with the guard ON: real host names are
served by fakes through a test resolver (the blog and the Kakao CDN are trusted by name), while a
page's links to 127.0.0.1 — directly, through a CDN redirect, or through a name that resolves
there — are refused before anything is read from them."""

from __future__ import annotations

import pytest
from aiohttp import web

from migrator.commands.migrate import RunOptions, run_migration
from migrator.models import JobStatus
from migrator.wiring import Network
from tests.conftest import StaticResolver
from tests.fakes.blog import FakeBlog, FakePost
from tests.fakes.cdn import FakeCDN, make_png
from tests.fakes.wordpress import FakeWordPress
from tests.harness import APP_PASSWORD, World


@pytest.fixture
async def guarded(aiohttp_server, tmp_path, server_ssl, client_ssl):
    hits: list[str] = []

    async def secret(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=make_png(99), content_type="image/png")

    internal = web.Application()
    internal.router.add_get("/{tail:.*}", secret)
    internal_server = await aiohttp_server(internal)
    port = internal_server.port
    cdn = FakeCDN()
    cdn.add("/dna/ok/img.png", make_png(1))
    cdn.redirects["/dna/redir/img.png"] = f"http://127.0.0.1:{port}/secret-via-redirect.png"
    cdn_server = await aiohttp_server(cdn.app(), ssl=server_ssl)
    good = "https://blog.kakaocdn.net/dna/ok/img.png?credential=k&expires=1767193199&signature=a"
    redirecting = "https://blog.kakaocdn.net/dna/redir/img.png?credential=k&expires=1767193199&signature=b"
    direct = f"http://127.0.0.1:{port}/secret.png"
    rebinding = f"http://internal.example:{port}/secret-by-name.png"
    blog = FakeBlog([
        FakePost(1, "직접", images=(direct,)),
        FakePost(2, "리다이렉트", images=(good, redirecting)),
        FakePost(3, "이름", images=(rebinding,)),
    ], host="guard.tistory.com")
    blog_server = await aiohttp_server(blog.app(), ssl=server_ssl)
    wp = FakeWordPress(app_password=APP_PASSWORD)
    wp_server = await aiohttp_server(wp.app())
    resolver = StaticResolver({
        "guard.tistory.com": blog_server.port, "blog.kakaocdn.net": cdn_server.port, "internal.example": port,
    })
    world = World(blog=blog, cdn=cdn, wp=wp, blog_url="https://guard.tistory.com",
                  cdn_url="https://blog.kakaocdn.net", wp_url=str(wp_server.make_url("")).rstrip("/"), tmp=tmp_path)
    return world, Network(resolver=resolver, ssl=client_ssl), hits, (direct, redirecting, rebinding)


async def test_private_addresses_are_refused_on_every_hop(guarded):
    world, network, hits, (direct, redirecting, rebinding) = guarded
    report = await run_migration(world.settings(allow_private_file_hosts=False), RunOptions(), network=network)

    assert report.status == JobStatus.COMPLETED and report.counters.failed == 0, report.counters.failures
    assert hits == []                                    # nothing was ever read from the internal server
    missing = {url: reason for _, url, reason in report.counters.missing_files}
    assert set(missing) == {direct, redirecting, rebinding}
    assert all(reason.startswith("blocked address") for reason in missing.values()), missing
    assert len(world.wp.media) == 1                      # the CDN image (trusted by name) is uploaded
    assert world.wp_titles().keys() == {"직접", "리다이렉트", "이름"}


async def test_the_setting_turns_the_check_off(guarded):
    world, network, hits, _ = guarded
    report = await run_migration(world.settings(allow_private_file_hosts=True), RunOptions(), network=network)
    assert report.status == JobStatus.COMPLETED
    assert sorted(hits) == ["/secret-by-name.png", "/secret-via-redirect.png", "/secret.png"]
    assert report.counters.missing_files == []
