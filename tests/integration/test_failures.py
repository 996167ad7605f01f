"""Failure paths against the fakes: rollback leaves nothing, retries, lost answers, bugs, bad input."""

from __future__ import annotations

import pytest

from migrator.core import offload
from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.fakes.wordpress import FailRule
from tests.harness import make_world


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    shared = w.image("shared", 1)
    w.blog.add(FakePost(1, "one", category="A/B", tags=("t1",), images=(w.image("a", 2), shared)))
    w.blog.add(FakePost(2, "two", tags=("t1", "t2"), images=(shared, w.image("b", 3))))
    w.blog.add(FakePost(3, "three", body_html="<p>no images</p>"))
    return w


async def test_a_failing_file_rolls_the_post_back_and_others_migrate(world):
    # The CDN answers 409 for the second picture: no evidence the file is gone (a 404 would only
    # make it a missing file), so the post fails after its draft and first image were created.
    failing = world.image("d", 5)
    world.cdn.fail["/dna/d/img.png"] = [409] * 100
    world.blog.add(FakePost(4, "refused", images=(world.image("c", 4), failing)))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED_WITH_FAILURES
    world.assert_consistent({"one", "two", "three"})
    assert report.counters.failed == 1
    url, reason = report.counters.failures[0]
    assert url.endswith("/4") and "409" in reason
    # the failed post's first image was uploaded, then deleted by the rollback
    assert not any("tistory-4" in m["file"] for m in world.wp.media.values())
    store = await world.store()
    try:
        item = await store.item_by_post_id(4)
        assert item.status == "failed" and item.wp_post_id is None and "409" in item.error
    finally:
        await store.close()


async def test_rollback_keeps_media_another_post_uses(world):
    # With one worker the posts go one after another; the third upload fails for good, so the
    # second post fails after it reused (or uploaded) the image it shares with the first.
    # (403 rest_cannot_create is about the request, not the file: it fails the post, unlike a
    # rest_upload_* refusal of the file, which only makes it a missing file.)
    world.wp.rules.append(FailRule("POST", r"/wp/v2/media$", status=403, code="rest_cannot_create", after=2, times=100))
    report = await world.run(settings=world.settings(worker_count=1))
    titles = set(world.wp_titles())
    assert len(titles & {"one", "two"}) == 1 and "three" in titles
    world.assert_consistent(titles)          # no orphan: the shared image stays, used by the survivor
    survivor = world.post_by_title(next(iter(titles & {"one", "two"})))
    shared = [m for m in world.wp.media.values() if m["file"].endswith("-2.png") or "shared" in m["file"]]
    assert all(m["post"] is None for m in world.wp.media.values())   # uploaded before their post
    assert all(m["file"].rsplit("/", 1)[-1] in survivor["content"] or i == survivor["featured_media"]
               for i, m in world.wp.media.items())
    assert report.counters.failed == 1 and shared is not None


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_transient_wordpress_errors_are_retried(world, status):
    world.wp.rules.append(FailRule("POST", r"/wp/v2/(posts|media)", status=status, times=3, retry_after="0"))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED
    world.assert_consistent({"one", "two", "three"})


async def test_transient_blog_errors_are_retried(world):
    world.blog.fail["/2"] = [429, 503]
    world.cdn.fail["/dna/b/img.png"] = [500, 502]
    report = await world.run()
    assert report.status == JobStatus.COMPLETED
    world.assert_consistent({"one", "two", "three"})


async def test_a_lost_201_does_not_duplicate(world):
    # WordPress creates the draft but the answer never arrives: the client retries; the marker
    # lookup (intent recorded) must adopt the first draft instead of making a second one.
    world.wp.rules.append(FailRule("POST", r"/wp/v2/posts$", status=0, times=1, effect_then_fail=True))
    world.wp.rules.append(FailRule("POST", r"/wp/v2/media$", status=503, times=1, effect_then_fail=True))
    report = await world.run(settings=world.settings(worker_count=1, max_attempts=4))
    # the post that lost its answer failed this run (or was retried) but nothing is duplicated
    world.assert_consistent(set(world.wp_titles()))
    report2 = await world.run()
    assert report2.status == JobStatus.COMPLETED, report2.counters.failures
    world.assert_consistent({"one", "two", "three"})
    assert report.counters.completed + report2.counters.completed == 3


async def test_timeouts_are_retried(world):
    world.wp.hang_s = 5
    world.wp.rules.append(FailRule("POST", r"/wp/v2/posts$", status=-1, times=1))
    report = await world.run(settings=world.settings(request_timeout_s=1.0))
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    world.assert_consistent({"one", "two", "three"})


async def test_a_parser_bug_fails_that_post_only(world, monkeypatch):
    real = offload.parsing.parse_post

    def flaky(html, url):
        if url.endswith("/2"):
            raise IndexError("boom")
        return real(html, url)

    monkeypatch.setattr(offload.parsing, "parse_post", flaky)
    report = await world.run()
    assert report.status == JobStatus.COMPLETED_WITH_FAILURES
    assert set(world.wp_titles()) == {"one", "three"}
    assert "IndexError" in report.counters.failures[0][1]
    world.assert_consistent({"one", "three"})


async def test_a_missing_image_is_reported_with_its_reason_and_the_post_migrated(world):
    world.blog.add(FakePost(5, "broken image", images=(f"{world.cdn_url}/dna/gone/img.png",)))
    report = await world.run()
    assert report.counters.failed == 0 and report.status == JobStatus.COMPLETED
    [(post_url, file_url, reason)] = report.counters.missing_files
    assert post_url.endswith("/5") and file_url.endswith("/dna/gone/img.png") and "404" in reason
    assert set(world.wp_titles()) == {"one", "two", "three", "broken image"}


def _failing_late_image(world) -> str:
    world.cdn.fail["/dna/late/img.png"] = [409] * 100   # fails its post (no evidence the file is gone)
    return f"{world.cdn_url}/dna/late/img.png"


async def test_failed_posts_are_retried_on_the_next_run(world):
    world.blog.add(FakePost(5, "later", images=(_failing_late_image(world),)))
    await world.run()
    world.cdn.fail.pop("/dna/late/img.png")
    world.image("late", 9)
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and report.counters.completed == 1
    world.assert_consistent({"one", "two", "three", "later"})


async def test_no_retry_failed_leaves_them(world):
    world.blog.add(FakePost(5, "later", images=(_failing_late_image(world),)))
    await world.run()
    world.cdn.fail.pop("/dna/late/img.png")
    world.image("late", 9)
    world.wp.reset_counters()
    report = await world.run(retry_failed=False)
    assert report.counters.completed == 0 and world.wp.writes() == 0
    assert report.status == JobStatus.COMPLETED_WITH_FAILURES


async def test_a_lost_database_does_not_duplicate(world):
    await world.run()
    for suffix in ("", "-wal", "-shm"):
        (world.tmp / f"migration.db{suffix}").unlink(missing_ok=True)
    report = await world.run()
    assert report.status == JobStatus.COMPLETED
    world.assert_consistent({"one", "two", "three"})
