"""The benchmark's fake blog and CDN (tests/fakes), and the fake WordPress for `--wordpress fake`.

They run in a process of their own (`serve`), each answer delayed by --latency-ms, so that the
figures measured in the tool's process are not mixed with theirs. A small control app gives their
request counts and CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import resource
import signal
from typing import Any

from scripts.benchreal.images import ImageSet, LazyFiles

BODY = (
    "<h2 data-ke-size=\"size26\">소개</h2><p data-ke-size=\"size16\">벤치마크 본문입니다. "
    "<b>굵게</b>, <i>기울임</i>, <a href=\"/12\">다른 글</a>.</p><p>&nbsp;</p>"
    "<ul data-ke-list-type=\"disc\"><li>하나</li><li>둘<ul><li>셋</li></ul></li></ul>"
    "<pre data-ke-language=\"python\"><code>def f(a, b):\n    return a &lt; b &amp;&amp; True\n</code></pre>"
    "<table data-ke-style=\"style3\"><tbody><tr><td>a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></tbody></table>"
) * 3


def images_of(post_id: int, per_post: float) -> int:
    """Images of post `post_id` (from 1): spreads a fractional rate evenly (1.8 -> 2,2,2,2,1,...)."""
    return math.floor(post_id * per_post + 1e-9) - math.floor((post_id - 1) * per_post + 1e-9)


def build_blog(args: argparse.Namespace, images: ImageSet, cdn_port: int) -> tuple[list[Any], dict[str, tuple[int, int]]]:
    """The posts of the benchmark blog and its image slots (CDN path -> (post id, index))."""
    from tests.fakes.blog import FakePost

    posts = []
    slots: dict[str, tuple[int, int]] = {}
    for post_id in range(1, args.posts + 1):
        urls = []
        for n in range(images_of(post_id, args.images_per_post)):
            path = f"/dna/p{post_id}/i{n}/img.{images.extension}"
            slots[path] = (post_id, n)
            urls.append(f"http://127.0.0.1:{cdn_port}{path}?credential=x&expires=9999999999&signature=y")
        posts.append(FakePost(post_id, f"벤치마크 글 {post_id}", category=f"분류{post_id % 5}/하위{post_id % 3}",
                              tags=(f"태그{post_id % 7}", "bench"), body_html=BODY, images=tuple(urls)))
    return posts, slots


def serve(args: argparse.Namespace, images: ImageSet, with_wordpress: bool,
          ready: multiprocessing.Queue) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler (stop WordPress) is not ours
    asyncio.run(_serve(args, images, with_wordpress, ready))


async def _serve(args: argparse.Namespace, images: ImageSet, with_wordpress: bool,
                 ready: multiprocessing.Queue) -> None:
    from aiohttp import web

    from tests.fakes.blog import FakeBlog
    from tests.fakes.cdn import FakeCDN
    from tests.fakes.wordpress import FakeWordPress

    latency = args.latency_ms / 1000.0

    @web.middleware
    async def delay(request: web.Request, handler):
        if latency:
            await asyncio.sleep(latency)
        return await handler(request)

    async def start(app: web.Application) -> int:
        app.middlewares.append(delay)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    cdn = FakeCDN()
    cdn_port = await start(cdn.app())
    posts, slots = build_blog(args, images, cdn_port)
    cdn.files = LazyFiles(slots, images)  # type: ignore[assignment]
    blog = FakeBlog(posts, list_page_size=20)
    blog_port = await start(blog.app())
    ports = {"blog": blog_port, "cdn": cdn_port}
    wp = None
    if with_wordpress:
        wp = FakeWordPress(app_password="abcd efgh ijkl mnop qrst uvwx")
        ports["wp"] = await start(wp.app())

    async def stats(_: web.Request) -> web.Response:
        figures: dict[str, Any] = {
            "blog_requests": len(blog.requests), "cdn_requests": len(cdn.requests),
            "post_pages": sum(1 for p in blog.requests if p.strip("/").isdigit()),
            "server_cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
            "images": len(slots),
        }
        if wp is not None:
            figures.update(wp_requests=len(wp.requests), wp_writes=wp.writes(), wp_posts=len(wp.posts),
                           wp_media=len(wp.media))
        return web.json_response(figures)

    async def reset(_: web.Request) -> web.Response:
        if wp is not None:
            wp.reset_counters()
        blog.requests.clear()
        cdn.requests.clear()
        return web.json_response({})

    control = web.Application()
    control.router.add_get("/stats", stats)
    control.router.add_post("/reset", reset)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ports["control"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    ready.put(ports)
    await asyncio.Event().wait()


def start_servers(args: argparse.Namespace, images: ImageSet, *, with_wordpress: bool) -> tuple[multiprocessing.Process, dict[str, int]]:
    ready: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve, args=(args, images, with_wordpress, ready), daemon=True)
    process.start()
    return process, ready.get(timeout=300)


async def control(port: int, method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.request(
        method, f"http://127.0.0.1:{port}{path}", json=payload
    ) as r:
        r.raise_for_status()
        return await r.json()
