"""Crash safety: a real `migrate` subprocess is killed with SIGKILL at every WordPress write (just
before WordPress acts, and just after it acted but before the answer reaches the client), then
run again. Afterwards WordPress must hold exactly one draft per public post, no media that no post
uses, nothing of the post that fails, and no image still on the CDN."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import web

from tests.fakes.blog import FakePost
from tests.harness import APP_PASSWORD, World, make_world

EXPECTED = {"부산 바다", "서울 여름", "코드 노트"}


def crash_blog(world: World) -> None:
    shared = world.image("shared", 1)
    world.blog.add(FakePost(1, "부산 바다", category="여행/부산", tags=("바다",),
                            images=(world.image("a", 2), shared)))
    world.blog.add(FakePost(2, "서울 여름", category="여행/서울", tags=("바다", "여름"), images=(shared,)))
    world.blog.add(FakePost(3, "코드 노트", category="Dev",
                            body_html='<pre data-ke-language="bash"><code>echo "a &lt; b"</code></pre>'))
    # The CDN answers 409 for this post's second picture (no evidence the file is gone, unlike a 404
    # that only makes it a missing file): the post fails after its draft and first image were
    # created, and is rolled back.
    failing = world.image("conflict", 3)
    world.cdn.fail["/dna/conflict/img.png"] = [409] * 100_000
    world.blog.add(FakePost(4, "거부되는 그림", category="Dev", images=(world.image("ok", 4), failing)))
    world.blog.add(FakePost(5, "보호된 글", protected=True))


class Killer:
    """Kills the migrate process at the n-th write WordPress receives, before or after acting on it."""

    def __init__(self, target: int, phase: str) -> None:
        self.target = target
        self.phase = phase
        self.writes = 0
        self.pid: int | None = None
        self.fired = False

    @web.middleware
    async def middleware(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.method in ("GET", "HEAD") or self.fired:
            return await handler(request)
        self.writes += 1
        if self.writes != self.target or self.pid is None:
            return await handler(request)
        self.fired = True
        if self.phase == "before":
            os.kill(self.pid, signal.SIGKILL)
            return web.json_response({"code": "killed"}, status=503)
        response = await handler(request)
        os.kill(self.pid, signal.SIGKILL)
        return response


async def start_migrate(world: World, workers: int = 1) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(world.tmp), "LANG": "C.UTF-8",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "TISTORY_BLOG_URL": world.blog_url, "WP_BASE_URL": world.wp_url, "WP_APP_USER": "admin",
        "WP_APP_PASSWORD": APP_PASSWORD, "WORKER_COUNT": str(workers), "RATE_LIMIT": "0",
        "MIGRATION_DB_PATH": str(world.tmp / "migration.db"), "MAX_ATTEMPTS": "50",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "migrator", "--all", "--no-progress", *os.environ.get("MIGRATE_EXTRA", "-q").split(), cwd=world.tmp, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def run_to_end(world: World, workers: int = 1) -> tuple[int, str]:
    proc = await start_migrate(world, workers)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, (out + err).decode("utf-8", "replace")


async def world_with_killer(aiohttp_server, tmp_path: Path, killer: Killer | None) -> World:
    world = await make_world(aiohttp_server, tmp_path, wp_middleware=killer.middleware if killer else None)
    crash_blog(world)
    return world


async def test_reference_run_counts_the_writes(aiohttp_server, tmp_path):
    counter = Killer(target=10**9, phase="after")
    world = await world_with_killer(aiohttp_server, tmp_path, counter)
    code, output = await run_to_end(world)
    assert code == 1, output            # the refused picture fails its post; the rest migrate
    world.assert_consistent(EXPECTED)
    # The kill points below are 1..MAX_WRITES: every write of a clean run must be one of them (a
    # run that writes more would leave its last writes untested), and the range must not be padded
    # with points that only skip (a run that writes less would shrink the coverage silently).
    assert counter.writes == MAX_WRITES, (
        f"a clean run of the crash blog makes {counter.writes} WordPress writes; set MAX_WRITES to that"
    )


# The writes of one clean run of the crash blog (checked by the reference test).
MAX_WRITES = 13


@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("target", range(1, MAX_WRITES + 1))
async def test_sigkill_at_every_write_then_resume(aiohttp_server, tmp_path, target, phase):
    killer = Killer(target, phase)
    world = await world_with_killer(aiohttp_server, tmp_path, killer)
    proc = await start_migrate(world)
    killer.pid = proc.pid
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    if not killer.fired:
        pytest.skip(f"a clean run makes fewer than {target} writes")
    assert proc.returncode == -signal.SIGKILL
    code, output = await run_to_end(world)
    assert code == 1, output
    world.assert_consistent(EXPECTED)
    # and once more: nothing changes
    before = (dict(world.wp.posts), dict(world.wp.media))
    await run_to_end(world)
    assert (world.wp.posts.keys(), world.wp.media.keys()) == (before[0].keys(), before[1].keys())


@pytest.mark.parametrize("seed", range(6))
async def test_sigkill_at_random_moments_with_several_workers(aiohttp_server, tmp_path, seed):
    rng = random.Random(seed)
    world = await world_with_killer(aiohttp_server, tmp_path, None)
    for _ in range(3):
        # kill once WordPress has seen a random number of writes, with three workers in flight
        target = world.wp.writes() + rng.randint(1, 8)
        proc = await start_migrate(world, workers=3)
        for _ in range(600):
            if world.wp.writes() >= target or proc.returncode is not None:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(rng.uniform(0, 0.05))
        if proc.returncode is None:
            proc.kill()
        await asyncio.wait_for(proc.communicate(), 30)
    code, output = await run_to_end(world, workers=3)
    assert code == 1, output
    world.assert_consistent(EXPECTED)
