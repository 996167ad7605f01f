#!/usr/bin/env python3
"""Benchmark the migration engine against local fake servers, and print figures.

    python3 scripts/bench.py                                   # 2,000 posts, 2 images each, 8 workers, 20 ms
    python3 scripts/bench.py --posts 5000 --latency-ms 20 --workers 8 --images 2 --rate-limit 0

The fake blog, CDN and WordPress (tests/fakes) run in a separate process, each answer delayed by
--latency-ms, so the figures are those of the engine process alone. Printed: posts/s next to the
bound that latency, workers and rate limit imply; requests/s per host; peak RSS of the engine
process; CPU ms per post spent in parse + clean (median over the saved sample pages); and the time,
request count and WordPress writes of a no-op re-run of the completed blog.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------------- the server process
def serve(args: argparse.Namespace, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    asyncio.run(_serve(args, ready))


async def _serve(args: argparse.Namespace, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from aiohttp import web

    from tests.fakes.blog import FakeBlog, FakePost
    from tests.fakes.cdn import FakeCDN, make_png
    from tests.fakes.wordpress import FakeWordPress

    latency = args.latency_ms / 1000.0

    @web.middleware
    async def delay(request: web.Request, handler):  # type: ignore[no-untyped-def]
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
    body = (
        "<h2 data-ke-size=\"size26\">소개</h2><p data-ke-size=\"size16\">벤치마크 본문입니다. "
        "<b>굵게</b>, <i>기울임</i>, <a href=\"/12\">다른 글</a>.</p><p>&nbsp;</p>"
        "<ul data-ke-list-type=\"disc\"><li>하나</li><li>둘<ul><li>셋</li></ul></li></ul>"
        "<pre data-ke-language=\"python\"><code>def f(a, b):\n    return a &lt; b &amp;&amp; True\n</code></pre>"
        "<table data-ke-style=\"style3\"><tbody><tr><td>a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></tbody></table>"
    ) * 3
    posts = []
    for post_id in range(1, args.posts + 1):
        images = []
        for n in range(args.images):
            path = f"/dna/p{post_id}/i{n}/img.png"
            cdn.add(path, make_png(post_id * 10 + n))
            images.append(f"http://127.0.0.1:{cdn_port}{path}?credential=x&expires=9999999999&signature=y")
        posts.append(FakePost(post_id, f"벤치마크 글 {post_id}", category=f"분류{post_id % 5}/하위{post_id % 3}",
                              tags=(f"태그{post_id % 7}", "bench"), body_html=body, images=tuple(images)))
    blog = FakeBlog(posts, list_page_size=20)
    blog_port = await start(blog.app())
    wp = FakeWordPress(app_password="abcd efgh ijkl mnop qrst uvwx")
    wp_port = await start(wp.app())

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({
            "wp_requests": len(wp.requests), "wp_writes": wp.writes(), "blog_requests": len(blog.requests),
            "post_pages": sum(1 for p in blog.requests if p.strip("/").isdigit()),
            "cdn_requests": len(cdn.requests), "wp_posts": len(wp.posts), "wp_media": len(wp.media),
            "server_cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        })

    async def reset(_: web.Request) -> web.Response:
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
    control_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    ready.put({"blog": blog_port, "cdn": cdn_port, "wp": wp_port, "control": control_port})
    await asyncio.Event().wait()


# ---------------------------------------------------------------------- the engine process
def parse_clean_cpu_ms() -> list[float]:
    from migrator.tistory.clean import clean_body
    from migrator.tistory.parse import parse_post

    pages = sorted((ROOT / "tests" / "data").glob("skin-*_post*.html"))
    figures = []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        url = "https://example.tistory.com/1"
        runs = []
        for _ in range(15):
            start = time.process_time()
            post = parse_post(html, url)
            clean_body(post.body_html, page_url=url, blog_hosts=post.blog_hosts)
            runs.append((time.process_time() - start) * 1000)
        figures.append(statistics.median(runs))
    return figures


async def control(port: int, method: str, path: str) -> dict:  # type: ignore[type-arg]
    import aiohttp

    async with aiohttp.ClientSession() as session, session.request(method, f"http://127.0.0.1:{port}{path}") as r:
        return await r.json()


async def run_engine(args: argparse.Namespace, ports: dict[str, int], db: Path) -> dict:  # type: ignore[type-arg]
    from migrator.commands.migrate import RunOptions, run_migration
    from migrator.config import Settings
    from migrator.logs import configure_logging

    configure_logging(quiet=True)
    settings = Settings(
        blog_url=f"http://127.0.0.1:{ports['blog']}", wp_base_url=f"http://127.0.0.1:{ports['wp']}",
        wp_user="admin", wp_app_password="abcd efgh ijkl mnop qrst uvwx", worker_count=args.workers,
        rate_limit=args.rate_limit, db_path=db,
    )
    started = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = await run_migration(settings, RunOptions())
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return {"report": report, "elapsed": elapsed, "cpu_s": cpu_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rate-limit", type=float, default=0.0, help="requests/s per host (0 = none)")
    args = parser.parse_args()

    cpu = parse_clean_cpu_ms()
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(args, ready), daemon=True)
    server.start()
    ports = ready.get(timeout=300)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            first = asyncio.run(run_engine(args, ports, db))
            stats1 = asyncio.run(control(ports["control"], "GET", "/stats"))
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            asyncio.run(control(ports["control"], "POST", "/reset"))
            second = asyncio.run(run_engine(args, ports, db))
            stats2 = asyncio.run(control(ports["control"], "GET", "/stats"))
    finally:
        server.terminate()

    report = first["report"]
    c = report.counters
    elapsed = first["elapsed"]
    # The throughput target is the engine's (discovery + posts); the link pass that follows
    # `migrate --all` is reported on its own line.
    engine_s = report.migrate_s or elapsed
    posts_s = c.completed / engine_s if engine_s else 0.0
    # Per post, sequentially: page GET, draft create, image download + upload for each image, final
    # update. Category/tag creation happens once per term and is left out of the bound.
    sequential = 3 + 2 * args.images
    latency_s = args.latency_ms / 1000.0
    bounds = []
    if latency_s > 0:
        bounds.append(args.workers / (sequential * latency_s))
    if args.rate_limit > 0:
        per_host = {"blog": 1, "cdn": args.images, "wp": 2 + args.images}
        bounds.append(args.rate_limit / max(per_host.values()))
    bound = min(bounds) if bounds else float("inf")
    print(f"posts: {args.posts}, images/post: {args.images}, workers: {args.workers}, "
          f"latency: {args.latency_ms:g} ms, rate limit: {args.rate_limit:g}/s per host")
    print(f"migrated {c.completed} posts ({c.failed} failed, {c.skipped} skipped) in {engine_s:.1f} s; "
          f"then the internal-link pass took {elapsed - engine_s:.1f} s")
    print(f"throughput: {posts_s:.1f} posts/s; bound implied by latency/workers/rate limit: {bound:.1f} posts/s "
          f"-> {100 * posts_s / bound:.0f}% of the bound")
    for host, count in sorted(report.requests.items()):
        print(f"  requests to {host}: {count} ({count / elapsed:.1f}/s)")
    print(f"engine CPU: {first['cpu_s']:.1f} s ({1000 * first['cpu_s'] / max(c.completed, 1):.1f} ms per post; "
          f"{100 * first['cpu_s'] / elapsed:.0f}% of one core)")
    print(f"fake servers' CPU (other process): {stats1['server_cpu_s']:.1f} s")
    print(f"WordPress writes: {stats1['wp_writes']} ({stats1['wp_writes'] / max(c.completed, 1):.2f} per post)")
    print(f"peak RSS of the engine process: {rss_mb:.0f} MB")
    print(f"parse+clean CPU per post: median {statistics.median(cpu):.2f} ms over {len(cpu)} sample pages "
          f"(per page: {', '.join(f'{x:.1f}' for x in cpu)})")
    print(f"no-op re-run: {second['elapsed']:.1f} s, WordPress writes {stats2['wp_writes']}, WordPress requests "
          f"{stats2['wp_requests']}, post pages fetched {stats2['post_pages']}, CDN requests {stats2['cdn_requests']}, "
          f"blog requests {stats2['blog_requests']} (discovery)")
    print(json.dumps({"posts_per_s": round(posts_s, 2), "bound": round(bound, 2), "rss_mb": round(rss_mb),
                      "noop_writes": stats2["wp_writes"], "noop_post_pages": stats2["post_pages"]}))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
