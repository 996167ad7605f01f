"""undo against the fake WordPress: afterwards WordPress holds what it held before the job (the same
ids, names and contents), nothing of another job or from before is touched, and the posts can be
migrated again."""

from __future__ import annotations

import pytest

from migrator.commands.undo import render_plan, render_result, run_undo
from migrator.errors import ConfigError
from tests.fakes.blog import FakePost
from tests.fakes.wordpress import FailRule
from tests.harness import make_world


def snapshot(world):
    """What WordPress holds, as a user would compare it: ids, titles, contents, files, term names."""
    return {
        "posts": {
            i: (
                p["title"],
                p["status"],
                p["content"],
                tuple(p["categories"]),
                tuple(p["tags"]),
                p["featured_media"],
            )
            for i, p in world.wp.posts.items()
        },
        "media": {i: (m["file"], m["post"]) for i, m in world.wp.media.items()},
        "terms": {i: (t["taxonomy"], t["name"], t["parent"]) for i, t in world.wp.terms.items()},
        "files": set(world.wp.files),
    }


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    w.shared = w.image("shared", 1)
    w.blog.add(FakePost(1, "One", category="여행/부산", tags=("바다",), images=(w.image("a", 2), w.shared)))
    w.blog.add(
        FakePost(
            2,
            "Two",
            category="여행/부산",
            images=(w.shared,),
            body_html='<p>later: <a href="/3">three</a></p>',
        )
    )
    # Before any job: a post of the site's owner, and a category "여행" they made themselves.
    w.wp.terms[60] = {
        "id": 60,
        "taxonomy": "category",
        "name": "여행",
        "slug": "travel",
        "parent": 0,
        "description": "",
        "count": 0,
    }
    w.wp._next_term_id = 61
    w.wp.posts[500] = {
        "id": 500,
        "type": "post",
        "status": "publish",
        "slug": "hello-world",
        "title": "Hello world!",
        "content": "<p>Welcome</p>",
        "excerpt": "",
        "date": "2026-01-01T00:00:00",
        "date_gmt": "2026-01-01T00:00:00",
        "date_floating": False,
        "modified": "2026-01-01T00:00:00",
        "modified_gmt": "2026-01-01T00:00:00",
        "categories": [60],
        "tags": [],
        "featured_media": 0,
    }
    w.wp._next_id = 501
    return w


def add_second_batch(w):
    w.blog.add(
        FakePost(
            3,
            "Three",
            category="여행/서울",
            tags=("바다", "새태그"),
            images=(w.shared, w.image("b", 3)),
            body_html='<p>back to <a href="/1">one</a></p>',
        )
    )
    w.blog.add(FakePost(4, "Four", category="Dev/Python", tags=("새태그",)))


async def undo(world, job_id, *, answer=True):
    shown = []
    plan, result = await run_undo(world.settings(), job_id, confirm=lambda plan: answer, show=shown.append)
    return plan, result, shown[0]


async def test_undo_of_the_last_job_restores_wordpress_exactly(world):
    first = await world.run()
    before = snapshot(world)
    add_second_batch(world)
    second = await world.run()
    assert second.counters.completed == 2 and second.links.rewritten >= 2
    two = next(p for p in world.wp.posts.values() if p["title"] == "Two")
    assert f'href="{world.blog_url}/3"' not in two["content"]  # pointed at post 3's draft

    plan, result, shown = await undo(world, second.job_id)
    assert {i.post_id for i in plan.posts} == {3, 4}
    assert len(plan.media) == 1 and plan.kept_media == []  # the shared image is job 1's
    assert "2 drafts to delete" in shown and "Three" in shown
    assert result is not None and result.complete, result.errors
    assert (result.posts_deleted, result.media_deleted) == (2, 1)
    assert sorted(result.terms_deleted) == [
        "category dev",
        "category dev/python",
        "category 여행/서울",
        "tag 새태그",
    ]
    assert result.links is not None and result.links.reverted == 1
    assert snapshot(world) == before  # ids, contents, files, terms
    assert "deleted 2 drafts, 1 media files, 4 categories/tags" in render_result(result)

    store = await world.store()
    try:
        items = {i.post_id: i for i in await store.items()}
        undone = await store.undone_jobs()
    finally:
        await store.close()
    assert items[3].status == items[4].status == "pending" and items[3].wp_post_id is None
    assert items[1].status == "completed" and second.job_id in undone and first.job_id not in undone

    # the next run migrates them again, as new drafts
    again = await world.run()
    assert again.counters.completed == 2
    world.assert_consistent({"One", "Two", "Three", "Four", "Hello world!"})


async def test_undo_of_an_earlier_job_keeps_what_a_later_job_uses(world):
    first = await world.run()
    add_second_batch(world)
    await world.run()
    three = next(p for p in world.wp.posts.values() if p["title"] == "Three")
    used_by_three = {
        m for m, media in world.wp.media.items() if f"/wp-content/uploads/{media['file']}" in three["content"]
    }
    assert len(used_by_three) == 2
    terms_before = {i: t["name"] for i, t in world.wp.terms.items()}

    plan, result, shown = await undo(world, first.job_id)
    assert result is not None and result.complete, result.errors
    assert {i.post_id for i in plan.posts} == {1, 2}
    assert len(plan.kept_media) == 1 and plan.kept_media[0].used_by.post_id == 3
    assert "stay (posts of other jobs use them)" in shown
    titles = {p["title"] for p in world.wp.posts.values()}
    assert titles == {"Three", "Four", "Hello world!"}
    assert used_by_three <= set(world.wp.media)  # post 3 still shows its images
    kept_terms = {name for name in terms_before.values()} & {t["name"] for t in world.wp.terms.values()}
    assert {"바다", "여행", "서울", "새태그"} <= kept_terms  # used by job 2's posts / pre-existing
    assert "부산" not in {t["name"] for t in world.wp.terms.values()}  # only job 1 used it
    assert ("tag 바다", "1 other post use it") in result.terms_kept

    # undoing job 2 as well now also removes the image and the tag it kept alive
    second_id = first.job_id + 1
    _, result2, _ = await undo(world, second_id)
    assert result2 is not None and result2.complete, result2.errors
    assert world.wp.media == {} and world.wp.files == {}
    assert {p["title"] for p in world.wp.posts.values()} == {"Hello world!"}
    assert {t["name"] for t in world.wp.terms.values()} == {"Uncategorized", "여행"}


async def test_undo_asks_first_and_unknown_jobs_are_refused(world):
    report = await world.run()
    before = snapshot(world)
    world.wp.reset_counters()
    plan, result, _ = await undo(world, report.job_id, answer=False)
    assert result is None and world.wp.writes() == 0 and snapshot(world) == before
    assert "2 drafts to delete" in render_plan(plan)
    with pytest.raises(ConfigError):
        await undo(world, 99)


async def test_an_interrupted_undo_is_finished_by_running_it_again(world):
    await world.run()
    before = snapshot(world)
    add_second_batch(world)
    second = await world.run()
    rule = FailRule("DELETE", r"/wp/v2/media/\d+$", status=500, times=10)
    world.wp.rules.append(rule)
    _, result, _ = await undo(world, second.job_id)
    assert result is not None and not result.complete
    assert any(e.startswith("media") for e in result.errors)
    rule.times = 0
    plan, result, _ = await undo(world, second.job_id)
    assert plan.posts == [] and len(plan.media) == 1
    assert result is not None and result.complete, result.errors
    assert snapshot(world) == before


async def test_undo_of_a_dry_run_has_nothing_to_do(world):
    from migrator.commands.dryrun import run_dry_run
    from migrator.commands.migrate import RunOptions

    report = await run_dry_run(world.settings(), RunOptions())
    world.wp.reset_counters()
    plan, result, shown = await undo(world, report.job_id)
    assert plan.empty and result is None and "nothing to undo" in shown
    assert world.wp.writes() == 0
