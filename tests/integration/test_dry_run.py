"""--dry-run against the fake blog, CDN and WordPress: zero WordPress writes, nothing marked done, and a
report of what the real run would create."""

from __future__ import annotations

import pytest

from migrator.commands.dryrun import estimate, render_dry_run, run_dry_run
from migrator.commands.migrate import RunOptions
from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.harness import make_world

PUBLIC = {"첫 번째 글", "Second post", "코드 팁", "No images"}


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    shared = w.image("shared", 1)
    w.blog.add(
        FakePost(
            1, "첫 번째 글", category="여행/부산", tags=("바다", "여름"), images=(w.image("a", 2), shared)
        )
    )
    w.blog.add(
        FakePost(
            2,
            "Second post",
            category="여행/서울",
            tags=("바다", "Existing"),
            images=(shared,),
            body_html='<p>see <a href="/1">the first</a></p>',
        )
    )
    w.blog.add(FakePost(3, "코드 팁", category="Dev", tags=("python",)))
    w.blog.add(FakePost(4, "비밀 글", protected=True))
    w.blog.add(FakePost(5, "No images", body_html="<p>plain</p>"))
    # WordPress already has the top category "여행" and the tag "existing" (another case)
    w.wp.terms[50] = {
        "id": 50,
        "taxonomy": "category",
        "name": "여행",
        "slug": "travel",
        "parent": 0,
        "description": "",
        "count": 0,
    }
    w.wp.terms[51] = {
        "id": 51,
        "taxonomy": "post_tag",
        "name": "existing",
        "slug": "existing",
        "parent": 0,
        "description": "",
        "count": 0,
    }
    w.wp._next_term_id = 52
    return w


async def dry(world, *post_urls):
    return await run_dry_run(world.settings(), RunOptions(post_urls=tuple(post_urls)))


async def test_dry_run_writes_nothing_and_reports_what_would_be_created(world):
    report = await dry(world)
    assert world.wp.writes() == 0 and report.wp_writes == 0
    assert world.wp.posts == {} and world.wp.media == {}
    assert world.cdn.requests == []  # images are counted, not downloaded
    assert report.status == JobStatus.COMPLETED
    d = report.as_dict()
    assert d["posts"] == 4 and d["skipped"] == 1 and d["skip_reasons"] == {"protected": 1}
    assert sorted(d["new_categories"]) == ["Dev", "여행/부산", "여행/서울"]
    assert d["new_tags"] == ["python", "바다", "여름"]
    assert (d["images"], d["shared_images"], d["uploads"]) == (2, 1, 2)
    assert d["internal_links"] == 1
    text = render_dry_run(report, rate=0)
    assert "posts to migrate   4" in text and "nothing written to WordPress" in text
    assert "1 used by more than one post" in text

    store = await world.store()
    try:
        counts = await store.status_counts()
        jobs = await store.list_jobs()
    finally:
        await store.close()
    assert counts["completed"] == 0 and sum(counts.values()) == 0
    assert [(j.kind, j.status, j.completed) for j in jobs] == [("dry-run", "completed", 4)]

    # the real run afterwards still does everything
    real = await world.run()
    assert real.counters.completed == 4
    world.assert_consistent(PUBLIC)


async def test_dry_run_after_a_partial_run_counts_only_what_is_left(world):
    await world.run(f"{world.blog_url}/1")
    world.wp.reset_counters()
    report = await dry(world)
    assert world.wp.writes() == 0
    d = report.as_dict()
    assert d["posts"] == 3 and d["already_done"] == 1
    assert sorted(d["new_categories"]) == ["Dev", "여행/서울"]  # 여행/부산 exists now
    assert d["new_tags"] == ["python"]
    assert (d["images"], d["uploads"], d["reused_from_earlier_runs"]) == (1, 0, 1)  # the shared image


def test_estimate_uses_the_rate_limit_per_host(world):
    from migrator.commands.dryrun import DryRunPlan

    plan = DryRunPlan()
    plan.posts = [(f"u{i}", "t") for i in range(10)]
    for i in range(6):
        plan.image_uses[f"img{i}"] = 1
        plan.host_of[f"img{i}"] = "cdn.example"
    plan.new_tags = {"a": "a", "b": "b"}
    est = estimate(plan, blog_host="blog", wp_host="wp", rate=2.0, wp_rate=None, workers=4, wp_latency_s=0.0)
    # WordPress: 3 per post + 6 uploads + 2 terms = 38 requests at 2/s
    assert est.requests == {"blog": 10, "cdn.example": 6, "wp": 38}
    assert (
        est.busiest_host == "wp"
        and est.by_rate_s == pytest.approx(19.0)
        and est.seconds == pytest.approx(19.0)
    )
    faster_wp = estimate(
        plan, blog_host="blog", wp_host="wp", rate=2.0, wp_rate=10.0, workers=4, wp_latency_s=0.0
    )
    assert faster_wp.busiest_host == "blog" and faster_wp.by_rate_s == pytest.approx(5.0)
    # no rate limit: the latencies decide
    plan.page_seconds = [0.5] * 10
    slow = estimate(plan, blog_host="blog", wp_host="wp", rate=0.0, wp_rate=None, workers=2, wp_latency_s=0.1)
    assert slow.by_rate_s == 0.0
    assert slow.seconds == pytest.approx((10 * (0.5 + 0.3) + 6 * 0.6) / 2)


async def test_dry_run_judges_unreadable_pages_like_the_real_run(world):
    # A 400 without Tistory's error page proves nothing: the real run fails the post (tried again
    # next run), so the dry run must count it unreadable, not skipped as "deleted or private".
    world.blog.fail["/3"] = [400]
    d = (await dry(world)).as_dict()
    assert (d["posts"], d["skipped"], d["unreadable"]) == (3, 1, 1)
    assert d["skip_reasons"] == {"protected": 1}
    world.blog.fail["/3"] = [400]
    real = await world.run()
    assert (real.counters.completed, real.counters.skipped, real.counters.failed) == (3, 1, 1)
