"""Issue 8, Tistory side: transient answers never lose a post, skipped posts are read again, bad input
is skipped. Each test runs `migrate --all` in-process against the fake blog with injected faults and
looks at what the fake WordPress holds afterwards."""

from __future__ import annotations

from structlog.testing import capture_logs

from migrator.models import ItemStatus, JobStatus
from tests.fakes.blog import RESET, FakePost, page_without_data
from tests.harness import World, make_world

MALFORMED = "http://[x/1"


async def world_with(aiohttp_server, tmp_path, posts: list[FakePost], **blog_kw) -> World:
    world = await make_world(aiohttp_server, tmp_path, **blog_kw)
    for post in posts:
        world.blog.add(post)
    world.blog.retry_after = "0.05"
    return world


async def item_status(world: World, post_id: int) -> tuple[str, str | None, str | None]:
    store = await world.store()
    try:
        item = await store.item_by_post_id(post_id)
    finally:
        await store.close()
    assert item is not None, f"post {post_id} was never recorded"
    return item.status, item.error, item.skip_reason


async def test_transient_answers_are_retried_and_a_persistent_one_fails_then_migrates(aiohttp_server, tmp_path):
    posts = [FakePost(n, f"글 {n}", images=()) for n in range(1, 8)]
    world = await world_with(aiohttp_server, tmp_path, posts)
    fail = world.blog.fail
    fail["/2"] = [500]                        # one server error, then the page
    fail["/3"] = [429, 429, 503]              # a burst with Retry-After
    fail["/4"] = [RESET]                      # the connection drops once
    fail["/5"] = [502] * 50                   # keeps failing for the whole run
    fail["/sitemap.xml"] = [429, 500]         # discovery sources see the same faults
    fail["/rss"] = [RESET]
    fail["/m/api/entry/0/POST"] = [503]
    fail["/?page=1"] = [500]

    report = await world.run()

    assert report.status == JobStatus.COMPLETED_WITH_FAILURES
    world.assert_consistent({f"글 {n}" for n in (1, 2, 3, 4, 6, 7)})   # each exactly once
    assert (report.counters.failed, report.counters.skipped) == (1, 0)
    status, error, _ = await item_status(world, 5)
    assert status == ItemStatus.FAILED and "502" in (error or "")      # failed, never "deleted"

    fail["/5"] = []                           # the server recovered
    report = await world.run()
    assert report.status == JobStatus.COMPLETED
    world.assert_consistent({f"글 {n}" for n in range(1, 8)})
    assert (await item_status(world, 5))[0] == ItemStatus.COMPLETED


async def test_skipped_posts_are_read_again_and_migrated_once_readable(aiohttp_server, tmp_path):
    posts = [FakePost(n, f"글 {n}") for n in range(1, 6)]
    posts[4].private = True                   # id 5: listed nowhere, found by probing, 404
    posts.append(FakePost(6, "잠긴 글", protected=True))
    world = await world_with(aiohttp_server, tmp_path, posts)
    world.blog.fail["/2"] = [404]             # a wrong 404 (misjudged as deleted)
    world.blog.pages["/3"] = page_without_data(world.blog_url)   # a page without the post's data

    report = await world.run(probe_ids=True)
    assert report.status == JobStatus.COMPLETED
    world.assert_consistent({"글 1", "글 4"})
    assert report.counters.skipped == 4 and report.counters.failed == 0
    for post_id in (2, 3, 5):
        assert (await item_status(world, post_id))[0] == ItemStatus.SKIPPED

    # Between runs: post 3's page is whole again, post 5 was made public (still listed nowhere).
    del world.blog.pages["/3"]
    world.blog.posts[5].private = False
    world.blog.posts[5].hidden = True
    world.blog.requests.clear()
    report = await world.run()                # default flags, no probing
    assert report.status == JobStatus.COMPLETED
    world.assert_consistent({"글 1", "글 2", "글 3", "글 4", "글 5"})
    # still protected: skipped again, one request, not a failure
    assert report.counters.skipped == 1 and report.counters.failed == 0
    assert world.blog.requests.count("/6") == 1
    assert (await item_status(world, 6))[0] == ItemStatus.SKIPPED


async def test_malformed_links_in_every_source_are_skipped_and_the_run_goes_on(aiohttp_server, tmp_path):
    posts = [FakePost(n, f"글 {n}") for n in range(1, 5)]
    posts[1].body_html = f'<p><a href="{MALFORMED}">broken</a> <a href="/1">first</a> <img src="http://[y/2.png"></p>'
    world = await world_with(aiohttp_server, tmp_path, posts)
    world.blog.malformed_links = (MALFORMED, "http://127.0.0.1:99999/3", "//[::1/4")

    with capture_logs() as logs:
        report = await world.run()

    assert report.status == JobStatus.COMPLETED, report.counters.failures
    world.assert_consistent({f"글 {n}" for n in range(1, 5)})
    where = {e.get("source") for e in logs if e["event"] == "malformed_link_skipped"}
    assert {"POST", "sitemap", "list", "rss"} <= where
    store = await world.store()
    try:
        job = await store.get_job(report.job_id)
    finally:
        await store.close()
    assert job is not None and job.status == JobStatus.COMPLETED


async def test_broken_sitemap_still_yields_its_readable_entries(aiohttp_server, tmp_path):
    """An unclosed `<loc>` (hostile or truncated) before the real entries: every real entry counts."""
    posts = [FakePost(n, f"글 {n}") for n in range(1, 6)]
    world = await world_with(aiohttp_server, tmp_path, posts, mobile_api=False, rss_items=0,
                             sitemap_extra_non_posts=False)
    world.blog.sitemap_prefix = "<url><loc>" + "x" * 5000 + "\n" + "<loc><![CDATA[ broken" * 200
    world.blog.pages["/"] = page_without_data(world.blog_url)     # the list pages list nothing
    world.blog.pages["/category"] = page_without_data(world.blog_url)

    report = await world.run()

    assert report.status == JobStatus.COMPLETED, report.counters.failures
    world.assert_consistent({f"글 {n}" for n in range(1, 6)})
    assert report.discovery["found_by_source"]["sitemap"] == 5


async def test_reading_a_post_counts_against_the_post_timeout(aiohttp_server, tmp_path):
    posts = [FakePost(n, f"글 {n}") for n in range(1, 4)]
    world = await world_with(aiohttp_server, tmp_path, posts)
    world.blog.delay["/2"] = 3.0              # slower than the whole post may take

    report = await world.run(settings=world.settings(post_timeout_s=0.5))

    assert report.status == JobStatus.COMPLETED_WITH_FAILURES
    world.assert_consistent({"글 1", "글 3"})
    status, error, _ = await item_status(world, 2)
    assert status == ItemStatus.FAILED and "longer than 0.5 s" in (error or "")
    del world.blog.delay["/2"]
    report = await world.run(settings=world.settings(post_timeout_s=0.5))
    assert report.status == JobStatus.COMPLETED
    world.assert_consistent({"글 1", "글 2", "글 3"})
