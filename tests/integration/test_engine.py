"""The engine end to end, in-process, against fake servers: what WordPress holds afterwards."""

from __future__ import annotations

import pytest

from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.harness import make_world


def blog_posts(world):
    shared = world.image("shared", 1)
    return [
        FakePost(1, "첫 번째 글", category="여행/부산", tags=("바다", "여름"),
                 published="2021-07-01T09:30:00+09:00", images=(world.image("a", 2), shared)),
        FakePost(2, "Second post", category="여행/서울", tags=("바다",), images=(shared,),
                 body_html='<p>see <a href="/1">the first</a> and <a href="/entry/missing-post#x">this</a></p>'),
        FakePost(3, "코드 <예제> & 팁", category="Dev", tags=("python",),
                 body_html='<pre data-ke-language="python"><code>if a &lt; b:\n    print("&amp;")</code></pre>'),
        FakePost(4, "비밀 글", protected=True),
        FakePost(5, "No images", body_html="<p>plain</p>"),
    ]


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    for post in blog_posts(w):
        w.blog.add(post)
    return w


PUBLIC = {"첫 번째 글", "Second post", "코드 <예제> & 팁", "No images"}


async def test_full_run_creates_one_draft_per_public_post(world):
    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    world.assert_consistent(PUBLIC)
    c = report.counters
    assert (c.completed, c.skipped, c.failed) == (4, 1, 0)
    assert dict(c.skip_reasons) == {"protected": 1}
    assert c.images_uploaded == 2 and c.images_reused == 1
    assert all(p["status"] == "draft" for p in world.wp_posts())

    first = world.post_by_title("첫 번째 글")
    assert first["date_gmt"].startswith("2021-07-01T00:30:00")
    assert first["date"].startswith("2021-07-01T09:30:00")          # the fake site is Asia/Seoul
    child = world.wp.terms[first["categories"][0]]
    assert child["name"] == "부산" and world.wp.terms[child["parent"]]["name"] == "여행"
    assert {world.wp.terms[t]["name"] for t in first["tags"]} == {"바다", "여름"}
    assert first["featured_media"] in world.wp.media
    # Uploaded before its post exists (one write per post, issue 10): unattached, named by id.
    assert world.wp.media[first["featured_media"]]["post"] is None
    second = world.post_by_title("Second post")
    assert world.wp.terms[world.wp.terms[second["categories"][0]]["parent"]]["name"] == "여행"
    # one category "여행" for both children, one tag "바다" for both posts
    names = [t["name"] for t in world.wp.terms.values()]
    assert names.count("여행") == 1 and names.count("바다") == 1
    code = world.post_by_title("코드 <예제> & 팁")["content"]
    assert "if a &lt; b:\n    print(&quot;&amp;&quot;)" in code or 'if a &lt; b:\n    print("&amp;")' in code


async def test_second_run_creates_nothing_and_reads_only_the_skipped_post_again(world):
    await world.run()
    world.wp.reset_counters()
    world.blog.requests.clear()
    world.cdn.requests.clear()
    report = await world.run()
    assert report.status == JobStatus.COMPLETED
    assert world.wp.writes() == 0
    assert report.counters.already_done == 4 and report.counters.completed == 0
    post_pages = [p for p in world.blog.requests if p.rstrip("/").split("/")[-1].isdigit()]
    assert post_pages == ["/4"]        # the protected post is read again (it may be public now)
    assert report.counters.skipped == 1 and report.counters.failed == 0
    assert world.cdn.requests == []
    world.assert_consistent(PUBLIC)


async def test_internal_links_are_recorded(world):
    await world.run()
    store = await world.store()
    try:
        item = await store.item_by_post_id(2)
        links = await store.links_of_item(item.id)
    finally:
        await store.close()
    targets = {ln.target_url for ln in links}
    assert f"{world.blog_url}/1" in targets
    assert f"{world.blog_url}/entry/missing-post" in targets
    assert any(ln.fragment == "x" for ln in links)


async def test_single_post(world):
    report = await world.run(f"{world.blog_url}/2")
    assert report.status == JobStatus.COMPLETED
    assert set(world.wp_titles()) == {"Second post"}
    # the whole blog afterwards reuses the shared image and the post already done
    report = await world.run()
    world.assert_consistent(PUBLIC)
    assert report.counters.already_done == 1
