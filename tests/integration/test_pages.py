"""Issue 12, static pages: Tistory's `/pages/<slug>` become WordPress pages (/wp/v2/pages) with their
images, their slug and their links; links to and from them point at WordPress; a re-run writes
nothing; undo removes them; `--post=<page URL>` migrates one."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest

from migrator.commands.dryrun import run_dry_run
from migrator.commands.migrate import RunOptions
from migrator.commands.redirects import run_redirects
from migrator.commands.report import load_report, render_report
from migrator.commands.status import load_status, render_status
from migrator.commands.undo import run_undo
from migrator.core.links import find_hrefs
from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.fakes.wordpress import FailRule
from tests.harness import make_world

ABOUT = 20      # the pages' entry ids: the posts' sequence, as on Tistory
CONTACT = 21


def _raw(value):
    return value["raw"] if isinstance(value, dict) else value


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    w.blog.add(FakePost(1, "Post 1", body_html="<p>first</p>", images=(w.image("p1", 1),)))
    w.blog.add(FakePost(2, "Post 2", slug="slug-2", body_html='<p>see <a href="/pages/about">about me</a></p>'))
    w.blog.add(FakePost(3, "Post 3", body_html=f'<p>contact: <a href="{w.blog_url}/pages/%EC%97%B0%EB%9D%BD%EC%B2%98">here</a></p>'))
    w.blog.add(FakePost(
        ABOUT, "About", page_slug="about", images=(w.image("about", 7),),
        body_html='<p>I write <a href="/1">posts</a> and <a href="/entry/slug-2">more</a>; '
                  '<a href="/pages/연락처#mail">write to me</a>.</p>',
    ))
    w.blog.add(FakePost(CONTACT, "연락처", page_slug="연락처", body_html='<p>mail me; <a href="/pages/about">about</a></p>'))
    return w


def wp_of_type(world, kind: str) -> dict[str, dict]:
    return {_raw(p["title"]): p for p in world.wp_posts() if p.get("type", "post") == kind}


async def test_pages_arrive_as_pages_with_their_images_slug_and_links(world):
    report = await world.run()
    assert report.status == JobStatus.COMPLETED and report.counters.failed == 0
    pages, posts = wp_of_type(world, "page"), wp_of_type(world, "post")
    assert set(pages) == {"About", "연락처"} and set(posts) == {"Post 1", "Post 2", "Post 3"}
    assert pages["About"]["slug"] == "about" and unquote(pages["연락처"]["slug"]) == "연락처"
    assert pages["About"]["parent"] == 0 and pages["About"]["categories"] == []
    world.assert_consistent({"About", "연락처", "Post 1", "Post 2", "Post 3"})  # images uploaded, none left on the CDN
    about_media = [m for m in world.wp.media.values() if f"/wp-content/uploads/{m['file']}" in _raw(pages["About"]["content"])]
    assert len(about_media) == 1
    about, contact = f"{world.wp_url}/about/", f"{world.wp_url}/{pages['연락처']['slug']}/"
    # From a page to posts and to another page, from posts to pages: WordPress addresses.
    assert find_hrefs(_raw(pages["About"]["content"])) == [
        f"{world.wp_url}/post-1/", f"{world.wp_url}/slug-2/", contact + "#mail",
    ]
    assert find_hrefs(_raw(pages["연락처"]["content"])) == [about]
    assert find_hrefs(_raw(posts["Post 2"]["content"])) == [about]
    assert find_hrefs(_raw(posts["Post 3"]["content"])) == [contact]
    store = await world.store()
    try:
        items = {i.canonical_url: i for i in await store.items()}
    finally:
        await store.close()
    assert items[f"{world.blog_url}/pages/about"].kind == "page"
    assert items[f"{world.blog_url}/1"].kind == "post"
    rows = {r.source_url: r for r in await load_report(world.tmp / "migration.db")}
    assert rows[f"{world.blog_url}/pages/about"].kind == "page" and rows[f"{world.blog_url}/2"].kind == "post"
    table = list(csv.DictReader(io.StringIO(render_report(list(rows.values()), "csv"))))
    assert {r["source_url"]: r["kind"] for r in table}[f"{world.blog_url}/pages/about"] == "page"
    status = render_status(await load_status(world.tmp / "migration.db"))
    assert "of which static pages: 2 — completed 2" in status


async def test_a_rerun_writes_nothing_and_undo_removes_the_pages(world):
    first = await world.run()
    world.wp.reset_counters()
    again = await world.run()
    assert again.counters.completed == 0 and again.counters.failed == 0 and world.wp.writes() == 0
    _plan, result = await run_undo(world.settings(), first.job_id, confirm=lambda plan: True, show=lambda _: None)
    assert result.complete
    assert world.wp_posts() == [] and world.wp.media == {}


async def test_the_pages_are_found_from_the_menu_without_a_sitemap(world):
    world.blog.pages["/sitemap.xml"] = '<?xml version="1.0"?><urlset></urlset>'
    await world.run()
    assert set(wp_of_type(world, "page")) == {"About", "연락처"}


async def test_post_option_migrates_one_page(world):
    report = await world.run(f"{world.blog_url}/pages/about")
    assert report.counters.completed == 1
    assert set(wp_of_type(world, "page")) == {"About"} and wp_of_type(world, "post") == {}
    # Its links to posts not migrated yet stay Tistory's (nothing taught the permalink structure yet).
    assert find_hrefs(_raw(wp_of_type(world, "page")["About"]["content"]))[0] == f"{world.blog_url}/1"


async def test_redirects_cover_the_pages_old_addresses(world):
    await world.run()
    result = await run_redirects(world.settings())
    by_path = {r.old_path: r.new_url for r in result.redirects}
    assert by_path["/pages/about"] == f"{world.wp_url}/about/"
    assert by_path["/m/pages/연락처"].startswith(world.wp_url) and not result.gone


async def test_a_page_create_whose_answer_is_lost_is_adopted_not_duplicated(world):
    # WordPress creates the page, then the answer is lost (502): the marker finds it on the pages route.
    world.wp.rules.append(FailRule("POST", r"/wp/v2/pages$", status=502, times=1, effect_then_fail=True))
    report = await world.run()
    assert report.counters.failed == 0
    assert sorted(wp_of_type(world, "page")) == ["About", "연락처"]
    world.assert_consistent({"About", "연락처", "Post 1", "Post 2", "Post 3"})


async def test_a_page_that_fails_is_rolled_back_and_done_by_the_next_run(world):
    world.wp.rules.append(FailRule("POST", r"/wp/v2/pages$", status=400, code="rest_invalid_param", times=100))
    first = await world.run()
    assert first.counters.failed == 2 and wp_of_type(world, "page") == {}
    world.assert_consistent({"Post 1", "Post 2", "Post 3"})  # the pages' uploaded images went with them
    world.wp.rules.clear()
    await world.run()
    assert sorted(wp_of_type(world, "page")) == ["About", "연락처"]
    world.assert_consistent({"About", "연락처", "Post 1", "Post 2", "Post 3"})


async def test_dry_run_counts_the_pages_and_writes_nothing(world):
    report = await run_dry_run(world.settings(), RunOptions())
    assert world.wp.writes() == 0 and world.wp.posts == {}
    d = report.as_dict()
    assert d["posts"] == 5 and d["skipped"] == 0  # three posts and two pages
    assert d["internal_links"] == 6  # from posts to pages, from pages to posts and pages
