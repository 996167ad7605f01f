"""What the user sees while a run goes on: a live display on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any

import structlog

from migrator.core.outcomes import RunCounters

__all__ = ["Progress", "duration_text"]

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
            from rich.progress import Progress as RichProgress
            from rich.progress import TextColumn

            # The line itself says "done/total" and the ETA; a bar, a label or the elapsed time beside
            # it would push it past 80 columns, where the terminal wraps it and the display scrolls.
            self._rich = RichProgress(
                TextColumn("{task.description}"),
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
        total = _count(c.discovered) + ("" if discovery_done else "+")
        eta = self.eta_s()
        eta_text = f", ETA {duration_text(eta, compact=True)}" if eta is not None else ""
        parts = [f"{_count(c.completed + c.already_done)}/{total} done"]
        parts += [f"{_count(n)} {what}" for n, what in ((c.failed, "failed"), (c.skipped, "skipped")) if n]
        parts.append(f"{_count(c.images_uploaded)}+{_count(c.images_reused)} img")
        return ", ".join(parts) + f", {self.rate_per_min():.0f}/min{eta_text}"

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


def duration_text(seconds: float, *, decimals: int = 0, compact: bool = False) -> str:
    """A duration for people: "2 h 5 min", "3 min 12 s", "41 s" (`decimals` under a minute), or in
    the live line's compact form: "2h05m", "3m12s", "41s"."""
    seconds = float(seconds)
    hours, minutes, secs = int(seconds // 3600), int(seconds % 3600 // 60), int(seconds % 60)
    if compact:
        if seconds >= 3600:
            return f"{hours}h{minutes:02d}m"
        return f"{int(seconds // 60)}m{secs:02d}s" if seconds >= 60 else f"{int(seconds)}s"
    if seconds >= 3600:
        return f"{hours} h {minutes} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {secs} s"
    return f"{seconds:.{decimals}f} s"


def _count(n: int) -> str:
    """Counts stay short on big blogs: 98765 → 98.8k (the summary at the end has exact numbers)."""
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k" if n < 100_000 else f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"
