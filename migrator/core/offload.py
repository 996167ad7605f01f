"""Parsing and cleaning pages off the event loop, in worker processes.

Parsing a long post takes tens of milliseconds of CPU; on the event loop that would stall every
other worker's network I/O for as long. A small process pool keeps the loop free. The function run
in the pool never raises: it returns what happened, so a broken page (or a parser bug) fails that
post only.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from migrator.errors import MigratorError, SkipPost
from migrator.models import CleanPost, SourcePost
from migrator.tistory import clean as cleaning
from migrator.tistory import parse as parsing

__all__ = ["CpuPool", "ParsedPage", "default_processes", "parse_page"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ParsedPage:
    source: SourcePost | None = None
    body: CleanPost | None = None
    skip_reason: str | None = None  # protected / private / deleted: not an error
    error: str | None = None  # the page cannot be migrated, and why
    post_id: int | None = None  # known even for skipped pages when the page carries it


def parse_page(html: str, page_url: str, kind: str = "post") -> ParsedPage:
    """Parse a post page (or a static page: `kind` "page") and clean its body. Pure; never raises."""
    try:
        source = (
            parsing.parse_post(html, page_url, kind="page") if kind == "page" else parsing.parse_post(html, page_url)
        )
    except SkipPost as exc:
        return ParsedPage(skip_reason=exc.reason, post_id=_safe_post_id(html))
    except MigratorError as exc:
        return ParsedPage(error=f"unreadable page: {exc}", post_id=_safe_post_id(html))
    except Exception as exc:  # a parser bug must fail this post only, with its reason recorded
        return ParsedPage(
            error=f"unreadable page ({exc.__class__.__name__}: {exc})", post_id=_safe_post_id(html)
        )
    try:
        body = cleaning.clean_body(source.body_html, page_url=page_url, blog_hosts=source.blog_hosts)
    except Exception as exc:
        return ParsedPage(
            source=source,
            error=f"the body could not be cleaned ({exc.__class__.__name__}: {exc})",
            post_id=source.post_id,
        )
    return ParsedPage(source=source, body=body, post_id=source.post_id)


def _safe_post_id(html: str) -> int | None:
    try:
        return parsing.page_post_id(html)
    except Exception:
        return None


def default_processes() -> int:
    """One process per spare core, at most 4 (parsing is a small share of a post's time)."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def _init_worker(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group; the main process decides what happens, not the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A pool worker blocks on its call queue, whose write end it holds itself, so it would outlive a
    # parent killed with SIGKILL (holding the parent's stdout and stderr open). Leave with it.
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True, name="parent-watch").start()


def _exit_with_parent(parent_pid: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


class CpuPool:
    """`await pool.run(fn, *args)` runs `fn` in a worker process (or inline when processes == 0)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def __repr__(self) -> str:
        return f"CpuPool(processes={self.processes})"

    async def __aenter__(self) -> CpuPool:
        if self.processes > 0:
            # spawn, not fork: the parent has threads (aiosqlite) that a fork would copy mid-lock.
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._pool is None:
            return fn(*args)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except (BrokenProcessPool, OSError, RuntimeError):
            # A worker died (out of memory, killed) or could not be started: carry on in-process
            # rather than fail posts.
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            return fn(*args)
