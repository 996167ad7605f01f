"""What the user sees while a run goes on: a live display on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any

import structlog

from migrator.core.pipeline import RunCounters

__all__ = ["Progress"]

log = structlog.get_logger(__name__)


class Progress:
    """Call `tick()` often (the engine does, twice a second); `close()` at the end."""

    def __init__(self, counters: RunCounters, *, live: bool | None = None, log_every_s: float = 15.0) -> None:
        self.counters = counters
        self.live = sys.stderr.isatty() if live is None else live
        self.log_every_s = log_every_s
        self.started = time.monotonic()
        self._last_log = self.started
        self._engine: Any = None
        self._rich: Any = None
        self._task: Any = None
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("[bold]migrating[/]"),
                BarColumn(bar_width=16),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                transient=False,
                redirect_stderr=True,
            )
            self._task = self._rich.add_task("starting…", total=None)
            self._rich.start()

    def attach(self, engine: Any) -> None:
        self._engine = engine

    def rate_per_min(self) -> float:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return self.counters.completed * 60.0 / elapsed

    def eta_s(self) -> float | None:
        c = self.counters
        discovery_done = bool(self._engine and self._engine.discovery_done)
        remaining = c.discovered - c.completed - c.failed - c.skipped - c.already_done
        rate = self.rate_per_min() / 60.0
        if not discovery_done or rate <= 0 or remaining < 0:
            return None
        return remaining / rate

    def line(self) -> str:
        c = self.counters
        discovery_done = bool(self._engine and self._engine.discovery_done)
        total = f"{c.discovered}" + ("" if discovery_done else "+")
        eta = self.eta_s()
        eta_text = f", ETA {_duration(eta)}" if eta is not None else ""
        return (
            f"{c.completed + c.already_done}/{total} posts, {c.failed} failed, {c.skipped} skipped, "
            f"{c.images_uploaded}+{c.images_reused} images, {self.rate_per_min():.0f}/min{eta_text}"
        )

    def tick(self) -> None:
        c = self.counters
        if self._rich is not None:
            finished = c.completed + c.already_done + c.failed + c.skipped
            discovery_done = bool(self._engine and self._engine.discovery_done)
            self._rich.update(
                self._task,
                description=self.line(),
                completed=finished,
                total=c.discovered if discovery_done else None,
            )
        elif time.monotonic() - self._last_log >= self.log_every_s:
            self._last_log = time.monotonic()
            log.info(
                "progress",
                discovered=c.discovered,
                completed=c.completed,
                already_done=c.already_done,
                failed=c.failed,
                skipped=c.skipped,
                images_uploaded=c.images_uploaded,
                images_reused=c.images_reused,
                posts_per_min=round(self.rate_per_min(), 1),
                eta_s=round(self.eta_s() or 0) or None,
            )

    def close(self) -> None:
        if self._rich is not None:
            self.tick()
            self._rich.stop()
            self._rich = None


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
