#!/usr/bin/env python3
"""Benchmark the migration engine against local fake servers (or a real WordPress), and print figures.

    python3 scripts/bench.py                                   # 2,000 posts, 2 images each, 8 workers, 20 ms
    python3 scripts/bench.py --posts 5000 --latency-ms 20 --workers 8 --images 2 --rate-limit 0
    python3 scripts/bench.py --wordpress real --posts 2000 --images-per-post 1.8 [--image-size photo]

`--wordpress real`: see scripts/benchreal/run.py (a real WordPress from scripts/wp-local.sh, the
tool run as `python3 -m migrator --all`, and the replay bound on a second fresh WordPress).
The rest of this text is about the default, `--wordpress fake`:

The fake blog, CDN and WordPress (tests/fakes) run in a separate process, each answer delayed by
--latency-ms, so the figures are those of the engine process alone. Printed: posts/s next to the
bound that latency, workers and rate limit imply; requests/s per host; peak RSS of the engine
process and of the tool's whole process tree (the engine process + the parse pool, sampled every
100 ms, the fake servers left out); CPU ms per post spent in parse + clean (median over the saved sample pages); and the time,
request count and WordPress writes of a no-op re-run of the completed blog.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wordpress", choices=("fake", "real"), default="fake",
                        help="fake: the fake WordPress of tests/fakes (default); real: one started with scripts/wp-local.sh")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--images-per-post", "--images", dest="images_per_post", type=float, default=2.0,
                        help="images per post; a fraction spreads evenly (1.8 = 2,2,2,2,1,...)")
    parser.add_argument("--image-size", default=None,
                        help="tiny (4x4 PNG, default with fake), small (~100 KB JPEG, default with real), "
                             "photo (2-4 MB camera JPEGs), or bytes per image (150k, 3M)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="delay of each blog and CDN answer")
    parser.add_argument("--wp-latency-ms", type=float, default=0.0,
                        help="real: delay added by the proxy to each WordPress request (default 0: local site)")
    parser.add_argument("--rate-limit", type=float, default=0.0, help="requests/s per host (0 = none)")
    parser.add_argument("--json", metavar="PATH", help="real: also write the figures as JSON")
    args = parser.parse_args()
    from scripts.benchreal.images import parse_image_size

    try:
        args.image_size = parse_image_size(args.image_size or ("small" if args.wordpress == "real" else "tiny"))
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main() -> None:
    args = parse_args()
    if args.wordpress == "real":
        from scripts.benchreal.run import main as run_real

        try:
            run_real(args)
        except KeyboardInterrupt:
            print("bench: interrupted; the WordPress instances it started are stopped", file=sys.stderr)
            sys.exit(130)
        return
    from scripts.benchreal.images import make_image_set
    from scripts.benchreal.procs import TreeSampler
    from scripts.benchreal.servers import control, start_servers

    server, ports = start_servers(args, make_image_set(args.image_size), with_wordpress=True)
    assert server.pid is not None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            # The tool's tree is this process and its children (the parse pool) minus the fake servers.
            with TreeSampler(os.getpid(), exclude=frozenset({server.pid})) as tree:
                first = asyncio.run(run_engine(args, ports, db))
            stats1 = asyncio.run(control(ports["control"], "GET", "/stats"))
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            asyncio.run(control(ports["control"], "POST", "/reset"))
            with TreeSampler(os.getpid(), exclude=frozenset({server.pid})) as tree2:
                second = asyncio.run(run_engine(args, ports, db))
            stats2 = asyncio.run(control(ports["control"], "GET", "/stats"))
    finally:
        server.terminate()
    # After the runs: its allocations must not count in the engine's peak RSS.
    cpu = parse_clean_cpu_ms()

    report = first["report"]
    c = report.counters
    elapsed = first["elapsed"]
    # The throughput target is the engine's (discovery + posts); the link pass that follows
    # `migrate --all` is reported on its own line.
    engine_s = report.migrate_s or elapsed
    posts_s = c.completed / engine_s if engine_s else 0.0
    # Per post, sequentially: page GET, draft create, image download + upload for each image, final
    # update. Category/tag creation happens once per term and is left out of the bound.
    sequential = 3 + 2 * args.images_per_post
    latency_s = args.latency_ms / 1000.0
    bounds = []
    if latency_s > 0:
        bounds.append(args.workers / (sequential * latency_s))
    if args.rate_limit > 0:
        per_host = {"blog": 1, "cdn": args.images_per_post, "wp": 2 + args.images_per_post}
        bounds.append(args.rate_limit / max(per_host.values()))
    bound = min(bounds) if bounds else float("inf")
    print(f"posts: {args.posts}, images/post: {args.images_per_post:g}, workers: {args.workers}, "
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
    print(f"peak RSS of the engine process: {rss_mb:.0f} MB; peak RSS, tool tree: {tree.peak_rss / 2**20:.0f} MB "
          f"({tree.peak_processes} processes; no-op re-run: {tree2.peak_rss / 2**20:.0f} MB)")
    print(f"parse+clean CPU per post: median {statistics.median(cpu):.2f} ms over {len(cpu)} sample pages "
          f"(per page: {', '.join(f'{x:.1f}' for x in cpu)})")
    print(f"no-op re-run: {second['elapsed']:.1f} s, WordPress writes {stats2['wp_writes']}, WordPress requests "
          f"{stats2['wp_requests']}, post pages fetched {stats2['post_pages']}, CDN requests {stats2['cdn_requests']}, "
          f"blog requests {stats2['blog_requests']} (discovery)")
    print(json.dumps({"posts_per_s": round(posts_s, 2), "bound": round(bound, 2), "rss_mb": round(rss_mb),
                      "tree_rss_mb": round(tree.peak_rss / 2**20), "noop_s": round(second["elapsed"], 2),
                      "noop_writes": stats2["wp_writes"], "noop_post_pages": stats2["post_pages"]}))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
