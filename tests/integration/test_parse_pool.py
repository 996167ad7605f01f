"""The parse pool's worker processes: same answers as parsing inline, and never a lost or stale one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from migrator.core.offload import CpuPool, parse_page

PAGES = sorted((Path(__file__).parent.parent / "data").glob("skin-*_post*.html"))
URL = "https://example.tistory.com/1"


def children() -> set[int]:
    me = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat.rsplit(") ", 1)[1].split()[1] == me:
                found.add(int(entry))
    return found


async def test_a_pool_with_nothing_to_parse_starts_no_process() -> None:
    before = children()
    async with CpuPool(2):
        await asyncio.sleep(0.2)
        assert children() - before == set()


async def test_pages_parsed_in_the_pool_equal_pages_parsed_inline() -> None:
    htmls = [p.read_text(encoding="utf-8") for p in PAGES]
    async with CpuPool(2) as pool:
        pooled = await asyncio.gather(*(pool.run(parse_page, html, URL) for html in htmls * 2))
    assert pooled == [parse_page(html, URL) for html in htmls * 2]
    assert all(p.body is not None for p in pooled)


async def test_an_error_raised_in_a_worker_reaches_the_caller_and_the_worker_stays() -> None:
    async with CpuPool(1) as pool:
        with pytest.raises(ZeroDivisionError):
            await pool.run(divmod, 1, 0)
        assert await pool.run(divmod, 7, 2) == (3, 1)
        assert not pool._broken


async def test_a_cancelled_call_never_hands_its_answer_to_the_next_one() -> None:
    async with CpuPool(1) as pool:
        slow = asyncio.ensure_future(pool.run(time.sleep, 0.5))     # answers None
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert await pool.run(len, "abcd") == 4


async def test_a_killed_worker_costs_no_page_the_pool_carries_on_inline() -> None:
    html = PAGES[0].read_text(encoding="utf-8")
    before = children()
    async with CpuPool(1) as pool:
        first = await pool.run(parse_page, html, URL)
        (worker,) = children() - before
        os.kill(worker, signal.SIGKILL)
        await asyncio.sleep(0.1)
        assert await pool.run(parse_page, html, URL) == first
        assert await pool.run(parse_page, html, URL) == first


def test_workers_end_with_a_tool_killed_by_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import asyncio, os, signal
        from migrator.core.offload import CpuPool

        async def main():
            pool = await CpuPool(2).__aenter__()
            await asyncio.gather(pool.run(len, "a"), pool.run(len, "b"))
            print(" ".join(str(w.process.pid) for w in pool._workers), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    workers = [int(pid) for pid in done.stdout.split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0] != "Z"]
    assert alive == []
