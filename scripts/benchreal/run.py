"""`scripts/bench.py --wordpress real`: the tool against a real WordPress, and the bound beside it.

Steps: make the image bytes; start the fake blog + CDN (one process, --latency-ms per answer) and
the counting proxy (another process); start WordPress #1 (scripts/wp-local.sh); run
`python3 -m migrator --all` as a user would, then again (the no-op re-run); count revisions in
MariaDB; read back what the tool created; stop WordPress #1; start a fresh WordPress #2 and replay
the minimal request mix there (see replay.py for why a second one); stop it; print the table.
Every WordPress started is stopped on the way out, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from scripts.benchreal import report, wplocal
from scripts.benchreal.images import ImageSet, make_image_set
from scripts.benchreal.procs import ToolRun, machine_busy_s, run_tool
from scripts.benchreal.proxy import start_proxy
from scripts.benchreal.replay import Replayer, read_snapshot, verify
from scripts.benchreal.servers import build_blog, control, start_servers

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def wordpress(started: list[wplocal.WordPress]) -> Iterator[wplocal.WordPress]:
    wp = wplocal.start()
    started.append(wp)
    try:
        yield wp
    finally:
        wplocal.stop(wp.dir)
        started.remove(wp)


def _tool_env(args: argparse.Namespace, ports: dict[str, int], proxy_port: int, wp: wplocal.WordPress, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WP_", "TISTORY_", "MIGRATION_", "TELEGRAM_", "NOTIFY_"))}
    env.update(
        PYTHONPATH=str(ROOT), TISTORY_BLOG_URL=f"http://127.0.0.1:{ports['blog']}",
        WP_BASE_URL=f"http://127.0.0.1:{proxy_port}", WP_APP_USER=wp.user, WP_APP_PASSWORD=wp.password,
        WORKER_COUNT=str(args.workers), RATE_LIMIT=f"{args.rate_limit:g}", MIGRATION_DB_PATH=str(db),
        # Another change guards against fetching files from loopback addresses; the fake CDN is one.
        ALLOW_PRIVATE_FILE_HOSTS="1",
    )
    return env


def phases(log_path: Path, started_at: float, wall_s: float) -> dict[str, float | None]:
    """Startup, posts phase and link pass, from the timestamps of the tool's JSON log events."""
    events: dict[str, list[float]] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
            when = datetime.fromisoformat(event["timestamp"]).timestamp()
        except (ValueError, KeyError, TypeError):
            continue
        events.setdefault(event.get("event", ""), []).append(when)
    run_started = events["run_started"][0] if events.get("run_started") else None
    post_events = [t for name in ("post_migrated", "post_failed", "discovery_finished") for t in events.get(name, [])]
    links = events["links_rewritten"][-1] if events.get("links_rewritten") else None
    posts_end = max(post_events) if post_events else None
    last = links or posts_end
    return {
        "startup_s": run_started - started_at if run_started else None,
        "posts_s": posts_end - run_started if run_started and posts_end else None,
        "links_s": links - posts_end if links and posts_end else None,
        "exit_s": started_at + wall_s - last if last else None,
    }


def summary_count(stdout: str, label: str) -> int | None:
    """A count from the tool's printed summary ("  migrated     20  (...)")."""
    found = re.search(rf"^\s*{label}\s+(\d+)", stdout, re.MULTILINE)
    return int(found.group(1)) if found else None


async def _proxy(ports: dict[str, int], method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return await control(ports["control"], method, path, payload)


def _measure_tool(args: argparse.Namespace, env: dict[str, str], work: Path, name: str,
                  proxy: dict[str, int], wp: wplocal.WordPress) -> tuple[ToolRun, dict[str, Any], dict[str, float]]:
    asyncio.run(_proxy(proxy, "POST", "/reset"))
    cpu_before, machine_before = wplocal.cpu_seconds(wp), machine_busy_s()
    run = run_tool(env, work, work / f"{name}.log", ["--all", "--log-json", "--no-progress"])
    cpu_after, machine_after = wplocal.cpu_seconds(wp), machine_busy_s()
    traffic = asyncio.run(_proxy(proxy, "GET", "/stats"))
    wp_cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_before}
    wp_cpu["machine"] = machine_after - machine_before
    if run.exit_code not in (0, 1):
        tail = run.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the tool exited with {run.exit_code}:\n{run.stdout[-2000:]}\n{tail}")
    return run, traffic, wp_cpu


def _files_by_hash(args: argparse.Namespace, images: ImageSet) -> Callable[[str], bytes]:
    """sha256 -> the image's bytes, made again when asked for (all of them would not fit in memory)."""
    _, slots = build_blog(args, images, 0)
    where = {hashlib.sha256(images.data(*slot)).hexdigest(): slot for slot in slots.values()}
    return lambda sha256: images.data(*where[sha256])


def measure(args: argparse.Namespace) -> dict[str, Any]:
    images = make_image_set(args.image_size)
    figures: dict[str, Any] = {"args": vars(args), "images": images.describe(), "load_start": os.getloadavg()}
    servers, ports = start_servers(args, images, with_wordpress=False)
    proxy_process, proxy = start_proxy(args.wp_latency_ms / 1000.0)
    started: list[wplocal.WordPress] = []
    try:
        with tempfile.TemporaryDirectory(prefix="migrator-bench-") as tmp:
            work = Path(tmp)
            with wordpress(started) as wp1:
                figures["wp_start_s"] = wp1.start_s
                asyncio.run(_proxy(proxy, "POST", "/configure", {"upstream": wp1.base_url}))
                env = _tool_env(args, ports, proxy["proxy"], wp1, work / "migration.db")
                counts_before = wplocal.post_counts(wp1)
                tool, traffic, wp_cpu = _measure_tool(args, env, work, "run", proxy, wp1)
                counts_after = wplocal.post_counts(wp1)
                blog_stats = asyncio.run(control(ports["control"], "GET", "/stats"))
                noop, noop_traffic, noop_cpu = _measure_tool(args, env, work, "noop", proxy, wp1)
                counts_noop = wplocal.post_counts(wp1)
                auth = aiohttp.encode_basic_auth(wp1.user, wp1.password)
                snapshot = asyncio.run(read_snapshot(wp1.base_url, auth, traffic["created_posts"], traffic["uploads"]))
            figures.update(
                tool=tool, tool_phases=phases(tool.log_path, tool.started_at, tool.wall_s), summary=tool.stdout,
                migrated=summary_count(tool.stdout, "migrated"), failed=summary_count(tool.stdout, "failed"),
                traffic=traffic, wp_cpu=wp_cpu, blog=blog_stats, snapshot_ids=sorted({p["id"] for p in snapshot.posts}),
                counts_before=counts_before, counts_after=counts_after, counts_noop=counts_noop,
                noop=noop, noop_traffic=noop_traffic, noop_wp_cpu=noop_cpu,
            )
            with wordpress(started) as wp2:
                asyncio.run(_proxy(proxy, "POST", "/configure", {"upstream": wp2.base_url}))
                replay_counts_before = wplocal.post_counts(wp2)
                cpu_before, machine_before = wplocal.cpu_seconds(wp2), machine_busy_s()
                auth = aiohttp.encode_basic_auth(wp2.user, wp2.password)
                replayer = Replayer(snapshot, _files_by_hash(args, images), site_url=wp2.base_url, auth=auth,
                                    api_origin=f"http://127.0.0.1:{proxy['proxy']}", workers=args.workers)
                result = asyncio.run(replayer.run())
                cpu_after, machine_after = wplocal.cpu_seconds(wp2), machine_busy_s()
                figures["replay_check"] = asyncio.run(verify(wp2.base_url, auth, snapshot))
                figures.update(
                    replay=result, replay_traffic=asyncio.run(_proxy(proxy, "GET", "/stats")),
                    replay_wp_cpu={k: cpu_after[k] - cpu_before[k] for k in cpu_before},
                    replay_machine_s=machine_after - machine_before,
                    replay_counts_before=replay_counts_before, replay_counts_after=wplocal.post_counts(wp2),
                )
        figures["harness_cpu_s"] = {
            "blog+cdn": asyncio.run(control(ports["control"], "GET", "/stats"))["server_cpu_s"],
            "proxy": asyncio.run(_proxy(proxy, "GET", "/stats"))["cpu_s"],
        }
        figures["load_end"] = os.getloadavg()
        return figures
    finally:
        for wp in list(started):
            wplocal.stop(wp.dir)
        for process in (servers, proxy_process):
            process.terminate()
            process.join(5)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(args: argparse.Namespace) -> None:
    # SIGTERM ends the run like Ctrl-C does: through the `finally` blocks that stop WordPress.
    signal.signal(signal.SIGTERM, _interrupt)
    figures = measure(args)
    print(report.render(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_json(figures), ensure_ascii=False, indent=1))
