"""A category/tag whose create answer was lost (WordPress created it, the answer never arrived):
the retried request finds it (`term_exists`), the job records it as its own, and undo removes it."""

from __future__ import annotations

from migrator.commands.undo import run_undo
from tests.fakes.blog import FakePost
from tests.fakes.wordpress import FailRule
from tests.harness import make_world


async def test_term_created_behind_a_lost_answer_is_the_jobs_and_undo_deletes_it(aiohttp_server, tmp_path):
    world = await make_world(aiohttp_server, tmp_path)
    world.blog.add(FakePost(1, "One", category="여행", tags=("바다",)))
    # WordPress creates the tag, then the answer is lost (a 502 from a proxy, say).
    world.wp.rules.append(FailRule("POST", r"/wp/v2/tags$", status=502, times=1, effect_then_fail=True))
    before = {i: t["name"] for i, t in world.wp.terms.items()}

    report = await world.run()
    assert report.counters.completed == 1, report.counters.failures
    tags = [t for t in world.wp.terms.values() if t["taxonomy"] == "post_tag"]
    assert [t["name"] for t in tags] == ["바다"]  # one tag, not two

    store = await world.store()
    try:
        created = {(t.taxonomy, t.key) for t in await store.terms_created_by_job(report.job_id)}
    finally:
        await store.close()
    assert ("tags", "바다") in created

    _plan, result = await run_undo(world.settings(), report.job_id, confirm=lambda plan: True, show=lambda t: None)
    assert result is not None and result.complete, result.errors
    assert {i: t["name"] for i, t in world.wp.terms.items()} == before  # the tag is gone too
