"""Engine: the crawler feeds a bounded queue that N workers drain; Ctrl-C drains, then cancels.

Discovery runs while workers migrate, so memory stays flat for any blog size: the queue holds at
most `queue_size` post references and nothing holds page bodies beyond the post being migrated.
Shutdown has two stages (first signal: stop taking posts and let in-flight ones finish within a
grace period, then cancel them with a rollback; second signal: cancel at once). State writes that
must not be lost are shielded from cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import structlog

from migrator.core.outcomes import Migrator, Outcome, OutcomeKind, RunCounters
from migrator.errors import FatalError, PostError
from migrator.models import ItemStatus, JobStatus, PostRef
from migrator.state.store import StateStore

__all__ = ["Engine", "EngineResult"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EngineResult:
    status: JobStatus
    elapsed_s: float
    fatal: FatalError | None = None


class Engine:
    """Runs one job: feeds PostRefs from `refs` to `workers` tasks running `migrator.migrate`."""

    def __init__(
        self,
        *,
        store: StateStore,
        migrator: Migrator,
        counters: RunCounters,
        job_id: int,
        workers: int,
        max_attempts: int,
        queue_size: int = 0,
        grace_s: float = 15.0,
        post_timeout_s: float = 900.0,
        retry_failed: bool = True,
        resume_unfinished: bool = True,
        on_tick: Callable[[], None] | None = None,
        discovery_stats: Callable[[], dict[str, object]] | None = None,
    ) -> None:
        self.store = store
        self.migrator = migrator
        self.counters = counters
        self.job_id = job_id
        self.worker_count = workers
        self.max_attempts = max_attempts
        self.queue: asyncio.Queue[PostRef | None] = asyncio.Queue(maxsize=queue_size or 2 * workers)
        self.grace_s = grace_s
        self.post_timeout_s = post_timeout_s
        self.retry_failed = retry_failed
        self.resume_unfinished = resume_unfinished
        self.on_tick = on_tick
        self.discovery_stats = discovery_stats
        self.stopping = False
        self.aborting = False
        self.discovery_done = False
        self._busy: dict[int, asyncio.Task[None]] = {}
        self._idle: dict[int, asyncio.Task[None]] = {}
        self._feeder: asyncio.Task[None] | None = None
        self._signals = 0
        self._grace_handle: asyncio.TimerHandle | None = None
        # A migrator that reads skipped posts again (the real run) gets them re-queued every run; a
        # dry run only reports them.
        self._rechecks_skipped = migrator.rechecks_skipped

    def __repr__(self) -> str:
        c = self.counters
        return (
            f"Engine(job={self.job_id}, workers={self.worker_count}, completed={c.completed}, failed={c.failed}, "
            f"skipped={c.skipped}, in_flight={len(self._busy)})"
        )

    # ------------------------------------------------------------------ signals
    def request_stop(self) -> None:
        """First Ctrl-C: take no new posts; in-flight ones get `grace_s` to finish, then are cancelled."""
        if self.stopping:
            return
        self.stopping = True
        if self._feeder is not None:
            self._feeder.cancel()
        for task in list(self._idle.values()):
            task.cancel()
        loop = asyncio.get_running_loop()
        self._grace_handle = loop.call_later(self.grace_s, self._cancel_busy)

    def abort(self) -> None:
        """Second Ctrl-C: cancel everything now. The resume is still safe (intents and markers)."""
        self.aborting = True
        self.stopping = True
        self.migrator.rollback_on_cancel = False
        if self._feeder is not None:
            self._feeder.cancel()
        for task in [*self._idle.values(), *self._busy.values()]:
            task.cancel()

    def _cancel_busy(self) -> None:
        for task in list(self._busy.values()):
            task.cancel()

    def _on_signal(self) -> None:
        # Only flip state here: logging from a signal context could interleave with a write in progress.
        self._signals += 1
        if self._signals == 1:
            self.request_stop()
        else:
            self.abort()

    @contextlib.contextmanager
    def _signal_handlers(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._on_signal)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        try:
            yield
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    # ------------------------------------------------------------------ run
    async def run(self, refs: AsyncIterator[PostRef]) -> EngineResult:
        started = time.monotonic()
        fatal: FatalError | None = None
        ticker = asyncio.create_task(self._tick())
        with self._signal_handlers():
            try:
                async with asyncio.TaskGroup() as tg:
                    self._feeder = tg.create_task(self._feed(refs))
                    for n in range(self.worker_count):
                        tg.create_task(self._worker(n))
            except* FatalError as group:
                fatal = group.exceptions[0]  # type: ignore[assignment]
                log.error("run_aborted", error=fatal.__class__.__name__, error_msg=str(fatal))
            finally:
                ticker.cancel()
                if self._grace_handle is not None:
                    self._grace_handle.cancel()
        await self._save_counts()
        if fatal is not None:
            status = JobStatus.ABORTED
        elif self.stopping:
            status = JobStatus.INTERRUPTED
        elif self.counters.failed:
            status = JobStatus.COMPLETED_WITH_FAILURES
        else:
            status = JobStatus.COMPLETED
        return EngineResult(status, time.monotonic() - started, fatal)

    async def _tick(self) -> None:
        saved = 0.0
        while True:
            await asyncio.sleep(0.5)
            if self.on_tick is not None:
                self.on_tick()
            if time.monotonic() - saved > 5:
                saved = time.monotonic()
                with contextlib.suppress(Exception):
                    await self._save_counts()

    async def _save_counts(self) -> None:
        c = self.counters
        discovery = self.discovery_stats() if self.discovery_stats else None
        await self.store.update_job(
            self.job_id,
            discovered=c.discovered,
            completed=c.completed,
            failed=c.failed,
            skipped=c.skipped,
            already_done=c.already_done,
            images_uploaded=c.images_uploaded,
            images_reused=c.images_reused,
            discovery_json=json.dumps(discovery, ensure_ascii=False) if discovery else None,
        )

    # ------------------------------------------------------------------ feeding
    async def _feed(self, refs: AsyncIterator[PostRef]) -> None:
        seen_ids: set[int] = set()
        seen_urls: set[str] = set()
        try:
            async for ref in refs:
                if self.stopping:
                    break
                if ref.post_id is not None:
                    if ref.post_id in seen_ids:
                        continue
                    seen_ids.add(ref.post_id)
                elif ref.url in seen_urls:
                    continue
                else:
                    seen_urls.add(ref.url)
                self.counters.discovered += 1
                if not await self._needs_work(ref):
                    continue
                await self.queue.put(ref)
            self.discovery_done = True
            if self.resume_unfinished and not self.stopping:
                await self._feed_leftovers(seen_ids, seen_urls)
            if not self.stopping:
                # Not in `finally`: once cancelled (a fatal error elsewhere) nobody may be left to take
                # them from a full queue, and waiting for room would hang the run.
                for _ in range(self.worker_count):
                    await self.queue.put(None)
        finally:
            self.discovery_done = True
            log.info("discovery_finished", discovered=self.counters.discovered)

    async def _feed_leftovers(self, seen_ids: set[int], seen_urls: set[str]) -> None:
        """Posts an earlier run found but did not finish (or finished without some files), which
        discovery did not list this time; then skipped posts to read again."""
        unfinished = await self.store.unfinished_items(
            max_attempts=self.max_attempts, include_failed=self.retry_failed
        )
        for item in [*unfinished, *await self.store.items_with_missing_files()]:
            if item.post_id in seen_ids or item.canonical_url in seen_urls:
                continue
            if item.post_id is None and item.kind != "page":  # a page is known by its URL alone
                continue
            if item.post_id is not None:
                seen_ids.add(item.post_id)
            seen_urls.add(item.canonical_url)
            self.counters.discovered += 1
            await self.queue.put(
                PostRef(item.canonical_url, item.post_id, item.slug, source="resume", kind=item.kind)
            )
        if self._rechecks_skipped and not self.stopping:
            await self._recheck_skipped(seen_ids, seen_urls)

    async def _recheck_skipped(self, seen_ids: set[int], seen_urls: set[str]) -> None:
        """Skipped posts discovery did not list this time (private, deleted, found by probing): one
        request each tells whether they became readable."""
        for item in await self.store.skipped_items():
            if item.post_id in seen_ids or item.canonical_url in seen_urls:
                continue
            if item.post_id is not None:
                seen_ids.add(item.post_id)
            seen_urls.add(item.canonical_url)
            self.counters.discovered += 1
            await self.queue.put(
                PostRef(item.canonical_url, item.post_id, item.slug, source="recheck", kind=item.kind)
            )

    async def _needs_work(self, ref: PostRef) -> bool:
        """Skip, without fetching anything, posts the database already settled (counted here)."""
        item = await (
            self.store.item_by_post_id(ref.post_id)
            if ref.post_id is not None
            else self.store.item_by_url(ref.url)
        )
        if item is None:
            return True
        settled: Outcome | None = None
        if item.status == ItemStatus.COMPLETED:
            if await self.store.has_missing_files(item.id):
                return True  # migrated with missing files: they are tried again
            settled = Outcome(OutcomeKind.ALREADY_DONE, item.canonical_url, item.wp_post_id)
        elif item.status == ItemStatus.SKIPPED and self._rechecks_skipped:
            return True        # read again (one request): made public since, or misjudged
        elif item.status == ItemStatus.SKIPPED:
            settled = Outcome(
                OutcomeKind.SKIPPED, item.canonical_url, reason=item.skip_reason,
                skip_kind=f"{item.skip_reason or 'skipped'} (earlier run)",
            )
        elif item.status == ItemStatus.FAILED and (not self.retry_failed or item.attempts >= self.max_attempts):
            reason = f"not retried ({item.attempts} attempts): {item.error or 'unknown error'}"
            settled = Outcome(OutcomeKind.FAILED, item.canonical_url, reason=reason)
        if settled is None:
            return True
        self.counters.record(settled)
        return False

    # ------------------------------------------------------------------ workers
    async def _worker(self, n: int) -> None:
        me = asyncio.current_task()
        assert me is not None
        bound = structlog.contextvars.bound_contextvars(worker=n, job_id=self.job_id)
        with bound:
            while not self.stopping:
                self._idle[n] = me
                try:
                    ref = await self.queue.get()
                except asyncio.CancelledError:
                    if self.stopping:
                        return
                    raise
                finally:
                    self._idle.pop(n, None)
                if ref is None or self.stopping:
                    return
                self._busy[n] = me
                self.counters.in_flight += 1
                try:
                    await self._migrate_one(ref)
                except asyncio.CancelledError:
                    if self.stopping:
                        return
                    raise
                finally:
                    self._busy.pop(n, None)
                    self.counters.in_flight -= 1

    async def _migrate_one(self, ref: PostRef) -> None:
        """Migrate one post and count its outcome: the only place posts are counted."""
        try:
            outcome = await self.migrator.migrate(ref)
        except FatalError:
            raise
        except PostError as exc:  # failures the migrator could not attach to an item
            reason = f"{exc.__class__.__name__}: {exc}"
            log.warning("post_failed", source_url=ref.url, error=exc.__class__.__name__, error_msg=str(exc))
            outcome = Outcome(OutcomeKind.FAILED, ref.url, reason=reason)
        except Exception as exc:  # a bug must cost one post, never the run
            reason = f"internal error ({exc.__class__.__name__}: {exc})"
            log.exception("post_failed", source_url=ref.url, error=exc.__class__.__name__, error_msg=str(exc))
            outcome = Outcome(OutcomeKind.FAILED, ref.url, reason=reason)
        self.counters.record(outcome)
