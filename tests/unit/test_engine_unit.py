"""The Engine with a scripted migrator and a real job database: what it hands over, what it counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable

import pytest

from migrator.core.engine import Engine
from migrator.core.outcomes import MediaCounts, Migrator, Outcome, OutcomeKind, RunCounters
from migrator.errors import AuthError, PermanentError
from migrator.models import ItemStatus, JobStatus, MissingFile, PostRef
from migrator.state.store import StateStore

BLOG = "https://b.tistory.com"


def url(n: int) -> str:
    return f"{BLOG}/{n}"


class ScriptedMigrator:
    """Answers each post with the outcome its script gives (completed by default), after an optional
    wait; records which posts it was handed and how many ran at the same time."""

    rechecks_skipped = True

    def __init__(self, script: dict[int, Callable[[PostRef], Outcome]] | None = None, *, hold: float = 0.0):
        self.rollback_on_cancel = True
        self.script = script or {}
        self.hold = hold
        self.handed: list[PostRef] = []
        self.running = 0
        self.most_running = 0
        self.release = asyncio.Event()
        self.release.set()
        self.crowd = 0  # `crowded` is set once this many posts run at the same time
        self.crowded = asyncio.Event()

    async def migrate(self, ref: PostRef) -> Outcome:
        self.handed.append(ref)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        if self.crowd and self.running >= self.crowd:
            self.crowded.set()
        try:
            await asyncio.sleep(self.hold)
            await self.release.wait()
            answer = self.script.get(ref.post_id or 0)
            return answer(ref) if answer else Outcome(OutcomeKind.COMPLETED, ref.url, wp_post_id=ref.post_id)
        finally:
            self.running -= 1


async def refs_of(refs: Iterable[PostRef]) -> AsyncIterator[PostRef]:
    for ref in refs:
        yield ref
        await asyncio.sleep(0)


@pytest.fixture
async def store(tmp_path):
    s = await StateStore.open(tmp_path / "m.db")
    yield s
    await s.close()


async def make_engine(store: StateStore, migrator: Migrator, *, workers: int = 2, max_attempts: int = 3,
                      grace_s: float = 15.0) -> tuple[Engine, RunCounters, int]:
    job_id = await store.start_job("all", blog_url=BLOG, wp_base_url="https://wp.example")
    counters = RunCounters()
    engine = Engine(store=store, migrator=migrator, counters=counters, job_id=job_id, workers=workers,
                    max_attempts=max_attempts, grace_s=grace_s)
    return engine, counters, job_id


async def test_counts_come_from_the_outcomes(store):
    missing = MissingFile("cdn/x.png", "https://cdn/x.png", "gone (HTTP 404)", "image")
    script: dict[int, Callable[[PostRef], Outcome]] = {
        1: lambda r: Outcome(OutcomeKind.COMPLETED, r.url, 11, media=MediaCounts(2, 1, 1), missing=(missing,)),
        2: lambda r: Outcome(OutcomeKind.SKIPPED, r.url, reason="protected (password)", skip_kind="protected"),
        3: lambda r: Outcome(OutcomeKind.FAILED, r.url, reason="PermanentError: HTTP 500",
                             media=MediaCounts(images_uploaded=1)),
        4: lambda r: Outcome(OutcomeKind.ALREADY_DONE, r.url, 44, files_recovered=2),
        5: lambda r: Outcome(OutcomeKind.DUPLICATE, r.url),
    }
    engine, c, job_id = await make_engine(store, ScriptedMigrator(script))
    result = await engine.run(refs_of(PostRef(url(n), n) for n in range(1, 7)))

    assert result.status == JobStatus.COMPLETED_WITH_FAILURES
    assert (c.discovered, c.completed, c.skipped, c.failed, c.already_done) == (6, 2, 1, 1, 1)
    assert (c.images_uploaded, c.images_reused, c.attachments_uploaded) == (3, 1, 1)
    assert dict(c.skip_reasons) == {"protected": 1} and c.skipped_posts == [(url(2), "protected")]
    assert c.failures == [(url(3), "PermanentError: HTTP 500")]
    assert c.missing_files == [(url(1), "https://cdn/x.png", "gone (HTTP 404)")]
    assert (c.posts_with_missing_files, c.files_recovered, c.in_flight) == (1, 2, 0)
    job = await store.get_job(job_id)
    assert job is not None
    assert (job.discovered, job.completed, job.failed, job.skipped, job.already_done) == (6, 2, 1, 1, 1)
    assert (job.images_uploaded, job.images_reused) == (3, 1)


async def test_at_most_n_posts_in_flight(store):
    migrator = ScriptedMigrator(hold=0.01)
    engine, c, _ = await make_engine(store, migrator, workers=3)
    await engine.run(refs_of(PostRef(url(n), n) for n in range(1, 21)))
    assert migrator.most_running == 3 and c.completed == 20


async def test_a_post_found_twice_is_handed_over_once(store):
    migrator = ScriptedMigrator()
    engine, c, _ = await make_engine(store, migrator)
    refs = [PostRef(url(1), 1), PostRef(f"{BLOG}/m/1", 1), PostRef(f"{BLOG}/entry/x"),
            PostRef(f"{BLOG}/entry/x"), PostRef(url(2), 2)]
    await engine.run(refs_of(refs))
    assert sorted(r.url for r in migrator.handed) == [url(1), url(2), f"{BLOG}/entry/x"]
    assert (c.discovered, c.completed) == (3, 3)


async def test_posts_the_database_settled_are_not_handed_over(store):
    job = await store.start_job("all", blog_url=BLOG, wp_base_url="https://wp.example")
    done = await store.upsert_item(post_id=1, canonical_url=url(1), slug=None, discovered_by="list")
    done = await store.begin_attempt(done.id, job)
    await store.complete_item(done, wp_post_id=7, wp_slug="a", wp_link=None, title="A", images=0)
    tired = await store.upsert_item(post_id=2, canonical_url=url(2), slug=None, discovered_by="list")
    for _ in range(3):
        tired = await store.begin_attempt(tired.id, job)
        await store.fail_item(tired.id, "PermanentError: HTTP 500")
    fresh = await store.upsert_item(post_id=3, canonical_url=url(3), slug=None, discovered_by="list")
    fresh = await store.begin_attempt(fresh.id, job)
    await store.fail_item(fresh.id, "TransientError: timeout")
    assert (await store.item_by_post_id(2)).status == ItemStatus.FAILED

    migrator = ScriptedMigrator()
    engine, c, _ = await make_engine(store, migrator, max_attempts=3)
    await engine.run(refs_of(PostRef(url(n), n) for n in (1, 2, 3, 4)))

    assert sorted(r.post_id for r in migrator.handed) == [3, 4]  # a failed post with attempts left is retried
    assert (c.already_done, c.completed, c.failed) == (1, 2, 1)
    assert c.failures == [(url(2), "not retried (3 attempts): PermanentError: HTTP 500")]


async def test_a_bug_in_migrate_costs_one_post_not_the_run(store):
    def bug(ref: PostRef) -> Outcome:
        raise KeyError("oops")

    def unattached(ref: PostRef) -> Outcome:
        raise PermanentError("HTTP 500 before the post was known")

    engine, c, _ = await make_engine(store, ScriptedMigrator({2: bug, 3: unattached}))
    result = await engine.run(refs_of(PostRef(url(n), n) for n in range(1, 6)))
    assert result.status == JobStatus.COMPLETED_WITH_FAILURES
    assert (c.completed, c.failed) == (3, 2)
    assert dict(c.failures) == {
        url(2): "internal error (KeyError: 'oops')",
        url(3): "PermanentError: HTTP 500 before the post was known",
    }


async def test_a_fatal_error_aborts_the_run(store):
    def fatal(ref: PostRef) -> Outcome:
        raise AuthError("the application password was revoked")

    migrator = ScriptedMigrator({3: fatal}, hold=0.01)
    engine, c, job_id = await make_engine(store, migrator, workers=1)
    result = await engine.run(refs_of(PostRef(url(n), n) for n in range(1, 50)))
    assert result.status == JobStatus.ABORTED and isinstance(result.fatal, AuthError)
    assert c.completed == 2 and len(migrator.handed) == 3
    assert (await store.get_job(job_id)).completed == 2


async def test_request_stop_lets_in_flight_posts_finish_and_takes_no_more(store):
    migrator = ScriptedMigrator()
    migrator.release.clear()
    migrator.crowd = 2
    engine, c, _ = await make_engine(store, migrator, workers=2)
    run = asyncio.create_task(engine.run(refs_of(PostRef(url(n), n) for n in range(1, 100))))
    await asyncio.wait_for(migrator.crowded.wait(), 10)
    engine.request_stop()
    migrator.release.set()
    result = await asyncio.wait_for(run, 10)
    assert result.status == JobStatus.INTERRUPTED
    assert len(migrator.handed) == 2 and c.completed == 2 and c.in_flight == 0
