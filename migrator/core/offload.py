"""Parsing and cleaning pages off the event loop, in worker processes.

Parsing a long post takes tens of milliseconds of CPU; on the event loop that would stall every
other worker's network I/O for as long. A small pool of processes keeps the loop free. The function
run in the pool (`pageparse.parse_page`) never raises: it returns what happened, so a broken page
(or a parser bug) fails that post only.

The pool is `python -m migrator.core.parse_worker` processes spoken to over pipes, not a
multiprocessing pool: those start a resource-tracker process too and import the tool's modules in
each worker (together ~25 MB more for nothing), and need a watcher thread so that a worker does not
outlive a killed parent. A worker here imports only the parsers and ends when its stdin closes.
Workers start on the first page to parse: a re-run with nothing to do starts none.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import structlog

from migrator.core.pageparse import ParsedPage, parse_page
from migrator.core.parse_worker import HEADER, frame
from migrator.tistory import parse as parsing

__all__ = ["CpuPool", "ParsedPage", "default_processes", "parse_page", "parsing"]

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Where the `migrator` package is imported from, for the worker's PYTHONPATH: the same code as ours.
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)


def default_processes() -> int:
    """One process per spare core, at most 4 (parsing is a small share of a post's time)."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class _WorkerLost(Exception):
    """A worker could not be started, or died (out of memory, killed) during a call."""


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(frame(pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)))
            await stdin.drain()
            size = int.from_bytes(await stdout.readexactly(HEADER), "big")
            ok, value = pickle.loads(await stdout.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            raise _WorkerLost(f"{exc.__class__.__name__}: {exc}") from exc
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    async def close(self) -> None:
        """Close its stdin (it exits on EOF); kill it if it does not go within a second."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 1.0)
        except (TimeoutError, asyncio.CancelledError):
            self.kill()


async def _start_worker() -> _Worker:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "migrator.core.parse_worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
            # Its own process group: a Ctrl-C at the terminal is the tool's to handle, not the
            # worker's (preexec_fn, the other way, is unsafe with the tool's threads). It ends when
            # its stdin closes, however the tool ends.
            process_group=0,
        )
    except (OSError, ValueError) as exc:
        raise _WorkerLost(f"could not start: {exc}") from exc
    return _Worker(process)


class CpuPool:
    """`await pool.run(fn, *args)` runs `fn` in a worker process (or inline when processes == 0).

    `fn` and its arguments and result travel pickled; `fn` must be importable by name.
    """

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._starting = 0
        self._broken = False

    def __repr__(self) -> str:
        return f"CpuPool(processes={self.processes}, running={len(self._workers)}, broken={self._broken})"

    async def __aenter__(self) -> CpuPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        workers, self._workers = list(self._workers), set()
        self._idle = None
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self.processes <= 0 or self._broken:
            return fn(*args)
        try:
            worker = await self._take()
        except _WorkerLost as exc:
            return self._carry_on_inline(exc, fn, args)
        try:
            result = await worker.call(fn, args)
        except _WorkerLost as exc:
            self._forget(worker)
            return self._carry_on_inline(exc, fn, args)
        except asyncio.CancelledError:
            # Its answer would be read by the next caller: this worker cannot be reused.
            self._forget(worker)
            raise
        except BaseException:
            self._give_back(worker)       # fn raised in the worker: the worker itself is fine
            raise
        self._give_back(worker)
        return result

    async def _take(self) -> _Worker:
        if self._idle is None:
            self._idle = asyncio.Queue()
        if self._idle.empty() and len(self._workers) + self._starting < self.processes:
            self._starting += 1
            try:
                worker = await _start_worker()
            finally:
                self._starting -= 1
            self._workers.add(worker)
            return worker
        return await self._idle.get()

    def _give_back(self, worker: _Worker) -> None:
        if worker in self._workers and self._idle is not None:
            self._idle.put_nowait(worker)

    def _forget(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        worker.kill()

    def _carry_on_inline(self, exc: Exception, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        # A worker died (out of memory, killed) or could not be started: carry on in-process
        # rather than fail posts.
        if not self._broken:
            log.warning("parse_pool_lost", error=str(exc))
        self._broken = True
        for worker in list(self._workers):
            self._forget(worker)
        return fn(*args)
