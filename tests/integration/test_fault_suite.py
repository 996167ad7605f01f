"""The fault suite: one `--all` run of a 60-post blog while everything goes wrong at once.

The blog, the CDN and WordPress answer with seeded random faults (5 % HTTP 500/502/503, a burst of
429s with Retry-After every 40 requests, dropped connections, slow answers, and WordPress writes
whose answer is lost after WordPress acted); the blog also has a dead image, an expired signed link,
a malformed link in every discovery source, and a hostile post (markup in its title, a gzip bomb,
a 250 MB file, quadratic-regex bait). In one run every public post must be migrated exactly once,
the unavailable files reported as missing (never costing their posts), and the downloads bounded.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from migrator.commands.report import load_report
from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.fakes.cdn import gzip_bomb, make_png
from tests.harness import _raw, make_world

PUBLIC_POSTS = 60
HOSTILE_TITLE = "<script>alert(1)</script> Vector<int> & co"


@dataclass
class Chaos:
    """Seeded faults for one service. Writes may also lose their answer after the server acted."""

    seed: int
    lose_write_answers: bool = False
    seen: int = 0
    faults: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def note(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1

    @web.middleware
    async def middleware(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.seen += 1
        roll = self.rng.random()
        if self.seen % 40 == 0 or 0 < self.seen % 40 <= 2 and self.seen > 40:  # a burst of three 429s
            self.note("429")
            return web.Response(status=429, text="slow down", headers={"Retry-After": "1"})
        if roll < 0.05:
            status = self.rng.choice((500, 502, 503))
            self.note(str(status))
            return web.Response(status=status, text="fault")
        if roll < 0.07:
            self.note("reset")
            assert request.transport is not None
            request.transport.abort()
            raise ConnectionResetError("fault: connection dropped")
        if roll < 0.12:
            await asyncio.sleep(self.rng.uniform(0.05, 0.2))
            self.note("slow")
        response = await handler(request)
        if self.lose_write_answers and request.method in ("POST", "DELETE") and roll > 0.98:
            self.note("answer lost after acting")
            return web.Response(status=502, text="the answer was lost")
        return response


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_one_run_through_every_fault_migrates_every_public_post_once(aiohttp_server, tmp_path, seed):
    world = await make_world(aiohttp_server, tmp_path)
    blog_chaos = Chaos(seed * 10 + 1)
    cdn_chaos = Chaos(seed * 10 + 2)
    wp_chaos = Chaos(seed * 10 + 3, lose_write_answers=True)

    # The CDN and the blog with faults in front (the fakes keep their state; only the servers change).
    cdn_app = world.cdn.app()
    cdn_app.middlewares.append(cdn_chaos.middleware)
    world.cdn_url = str((await aiohttp_server(cdn_app)).make_url("")).rstrip("/")

    dead = f"{world.cdn_url}/dna/dead/gone.png"  # never added: 404
    signed_path = "/dna/signed/img.png"
    world.cdn.add(signed_path, make_png(901))
    world.cdn.signed.add(signed_path)
    world.cdn.now = 2000
    stale = f"{world.cdn_url}{signed_path}?credential=c&expires=1000&signature=old"
    world.cdn.add("/dna/bomb/img.png", gzip_bomb(300 * 1024 * 1024))
    world.cdn.gzipped.add("/dna/bomb/img.png")
    world.cdn.huge["/dna/huge/img.png"] = 250 * 1024 * 1024

    shared = world.image("shared", 7)
    for n in range(1, PUBLIC_POSTS + 1):
        images = (world.image(f"p{n}", 1000 + n), shared) if n % 3 else (world.image(f"p{n}", 1000 + n),)
        if n == 5:
            images += (dead,)
        if n == 6:
            images += (stale,)
        body = f'<p>post {n} links to <a href="/{n % PUBLIC_POSTS + 1}">the next one</a></p>'
        world.blog.add(FakePost(n, f"글 {n}", category="여행/부산" if n % 2 else "Dev", tags=("바다",),
                                body_html=body, images=images))
    hostile = PUBLIC_POSTS + 1
    world.blog.add(FakePost(
        hostile, HOSTILE_TITLE, tags=("<b>bold</b> & tag",),
        body_html="<p><b>x" + " <br>" * 20000 + "y</b></p><script>alert(2)</script>",
        images=(f"{world.cdn_url}/dna/bomb/img.png", f"{world.cdn_url}/dna/huge/img.png"),
    ))
    world.blog.add(FakePost(hostile + 1, "비밀번호", protected=True))
    world.blog.malformed_links = ("http://[x/1", "https://[::1/2", "http://b.tistory.com:99999/3")

    renders = {"n": 0}

    @web.middleware
    async def resign(request, handler):  # later renders of post 6 carry a fresh signature, like Tistory
        response = await handler(request)
        if request.path == "/6" and response.status == 200:
            renders["n"] += 1
            if renders["n"] > 1:
                response.text = response.text.replace("expires=1000&amp;signature=old",
                                                      "expires=3000&amp;signature=new")
        return response

    blog_app = world.blog.app()
    blog_app.middlewares.append(resign)
    blog_app.middlewares.append(blog_chaos.middleware)
    world.blog_url = str((await aiohttp_server(blog_app)).make_url("")).rstrip("/")
    wp_app_server = await aiohttp_server(_with(world.wp.app(), wp_chaos.middleware))
    world.wp_url = str(wp_app_server.make_url("")).rstrip("/")

    report = await world.run(settings=world.settings(worker_count=4, post_timeout_s=60.0))

    # Every public post exactly once; the protected one skipped; no failure.
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    titles = world.wp_titles()
    expected = {f"글 {n}" for n in range(1, PUBLIC_POSTS + 1)} | {HOSTILE_TITLE}
    assert set(titles) == expected and all(count == 1 for count in titles.values()), titles
    assert report.counters.skipped == 1 and report.counters.failed == 0

    # Text stays text: the hostile title and tag arrive as text, and no script reaches WordPress.
    hostile_post = world.post_by_title(HOSTILE_TITLE)
    content = _raw(hostile_post["content"])
    assert "<script" not in content and "alert(2)" not in content
    assert "<script" not in _raw(hostile_post["title"])

    # The unavailable files are reported per post, and their posts are migrated anyway.
    rows = {row.post_id: row for row in await load_report(world.tmp / "migration.db", status="missing_files")}
    assert set(rows) == {5, hostile}, rows
    assert [url for url, _ in rows[5].missing_files] == [dead]
    assert {url.rsplit("/", 2)[-2] for url, _ in rows[hostile].missing_files} == {"bomb", "huge"}
    assert dead in _raw(world.post_by_title("글 5")["content"])  # the original address is kept

    # Downloads were bounded: the huge file was refused on its Content-Length, not read.
    assert world.cdn.sent.get("/dna/huge/img.png", 0) < 8 * 1024 * 1024

    # The expired link was refreshed from the page; every other image is served by WordPress.
    assert renders["n"] >= 2
    for post in world.wp_posts():
        for src in re.findall(r'src="([^"]+)"', _raw(post["content"])):
            assert src.startswith(world.wp_url) or src == dead or "/dna/bomb/" in src or "/dna/huge/" in src
    used = world.media_in_use()
    assert set(world.wp.media) == used, "media no post uses"

    # The faults really happened (the suite would prove nothing on a quiet network).
    for chaos in (blog_chaos, cdn_chaos, wp_chaos):
        assert sum(chaos.faults.values()) >= 5, chaos.faults
    print(
        f"\nfault suite: {PUBLIC_POSTS + 1} public posts migrated once in {report.elapsed_s:.1f} s; "
        f"requests blog {blog_chaos.seen}, cdn {cdn_chaos.seen}, wordpress {wp_chaos.seen}; faults "
        f"blog {blog_chaos.faults}, cdn {cdn_chaos.faults}, wordpress {wp_chaos.faults}"
    )


def _with(app: web.Application, middleware) -> web.Application:  # type: ignore[no-untyped-def]
    app.middlewares.append(middleware)
    return app
