"""rewrite-links against the fake WordPress: what the posts' contents hold afterwards, before and after
publishing, on a second run, after a failure, and when a target is migrated later."""

from __future__ import annotations

import re

import aiohttp
import pytest

from migrator.commands.rewrite_links import render_link_report, run_rewrite_links
from migrator.core.links import find_hrefs
from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.fakes.wordpress import FailRule
from tests.harness import APP_PASSWORD, make_world

TISTORY = "https://myblog.tistory.com"
CUSTOM = "https://www.custom-blog.kr"


def hrefs(content: str) -> list[str]:
    return find_hrefs(content)  # href attributes of real tags (not the code sample's text)


def linking_body(blog_url: str) -> str:
    return (
        '<p><a href="/1">relative numeric</a>'
        f' <a href="{TISTORY}/m/1?category=5">mobile, other host, query</a>'
        f' <a href="{CUSTOM}/entry/%EB%B2%A0%ED%83%80-%EA%B8%80#section-2">encoded slug with fragment</a>'
        f' <a href="{blog_url}/entry/베타-글">raw slug</a>'
        ' <a href="/4">protected</a> <a href="/99">never existed</a> <a href="/6">fails first</a>'
        ' <a href="https://example.org/elsewhere">external</a></p>'
        '<pre><code>&lt;a href="/1"&gt;code stays&lt;/a&gt;</code></pre>'
    )


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path, custom_domain="www.custom-blog.kr")
    w.blog.add(FakePost(1, "Alpha", body_html="<p>alpha</p>"))
    w.blog.add(FakePost(2, "베타", slug="베타-글", body_html='<h2 id="section-2">둘</h2><p>beta</p>'))
    w.blog.add(FakePost(3, "Links", body_html=linking_body(w.blog_url)))
    w.blog.add(FakePost(4, "비밀", protected=True))
    w.blog.add(FakePost(5, "Back", body_html=f'<p><a href="{w.blog_url}/3#top">back to links</a></p>'))
    w.blog.add(FakePost(6, "Late", body_html="<p>late</p>"))
    w.blog.fail["/6"] = [404]  # answers like a deleted post the first time
    return w


class WPApi:
    """Direct REST calls to the fake WordPress, as the operator (publishing, renaming)."""

    def __init__(self, world):
        self.base = world.wp_url + "/wp-json/wp/v2"
        self.headers = {"Authorization": aiohttp.encode_basic_auth("admin", APP_PASSWORD)}

    async def call(self, method, path, **kw):
        async with (
            aiohttp.ClientSession(headers=self.headers) as s,
            s.request(method, self.base + path, **kw) as r,
        ):
            assert r.status in (200, 201), await r.text()
            return await r.json()

    async def publish(self, post_id, **fields):
        return await self.call("POST", f"/posts/{post_id}", json={"status": "publish", **fields})


def content_of(world, title):
    return world.post_by_title(title)["content"]


async def test_links_are_rewritten_at_the_end_of_migrate_all(world):
    report = await world.run()
    assert report.status == JobStatus.COMPLETED
    alpha, beta, links = (world.post_by_title(t) for t in ("Alpha", "베타", "Links"))
    wp = world.wp_url
    beta_url = f"{wp}/%eb%b2%a0%ed%83%80-%ea%b8%80/"
    content = links["content"]
    assert hrefs(content) == [
        f"{wp}/alpha/",  # /1
        f"{wp}/alpha/",  # /m/1?category=5 on the tistory host
        beta_url + "#section-2",  # encoded slug on the custom domain, fragment kept
        beta_url,  # raw slug
        f"{world.blog_url}/4",  # protected: left
        f"{world.blog_url}/99",  # not on the blog: left
        f"{world.blog_url}/6",  # not migrated (yet): left
        "https://example.org/elsewhere",
    ]
    assert '&lt;a href="/1"&gt;code stays' in content
    assert re.search(r"<!-- tistory-post-[0-9a-f]+ migrated from \S+/3 -->", content)
    assert alpha["status"] == beta["status"] == "draft"
    back = content_of(world, "Back")
    assert hrefs(back) == [f"{wp}/links/#top"]

    r = report.links
    assert r is not None
    assert (r.rewritten, r.posts_updated, len(r.left), r.errors) == (5, 2, 3, [])
    reasons = {x.href.rsplit("/", 1)[-1]: x.reason for x in r.left}
    assert reasons["4"].startswith("not migrated: skipped (protected")
    assert reasons["99"].startswith("not found on the blog")
    assert reasons["6"].startswith("not migrated: skipped (deleted or private")
    text = render_link_report(r)
    assert "5 rewritten in 2 posts" in text and "3 left as they are" in text


async def test_second_pass_writes_nothing_and_says_so(world):
    await world.run()
    world.blog.fail.clear()
    world.wp.reset_counters()
    report = await run_rewrite_links(world.settings())
    assert world.wp.writes() == 0
    assert report.posts_updated == 0 and report.rewritten == 0 and report.current == 5
    # Nothing to change: the posts' contents are not even read again.
    assert report.posts_read == 0
    assert not [p for m, p in world.wp.requests if m == "GET" and re.search(r"/posts/\d+", p)]
    assert "nothing to change" in render_link_report(report)


async def test_links_work_after_publishing_and_follow_a_slug_changed_before(world):
    await world.run()
    api = WPApi(world)
    alpha, beta, links = (world.post_by_title(t) for t in ("Alpha", "베타", "Links"))
    # the operator renames one post before publishing, then publishes everything
    await api.call("POST", f"/posts/{alpha['id']}", json={"slug": "alpha-renamed"})
    for post in world.wp_posts():
        await api.publish(post["id"])
    published = {p["id"]: await api.call("GET", f"/posts/{p['id']}") for p in world.wp_posts()}
    assert published[beta["id"]]["link"] + "#section-2" in hrefs(content_of(world, "Links"))

    report = await run_rewrite_links(world.settings())
    assert report.posts_updated == 1 and report.rewritten == 2  # the two links to Alpha moved
    content = content_of(world, "Links")
    assert hrefs(content)[:4] == [
        published[alpha["id"]]["link"],
        published[alpha["id"]]["link"],
        published[beta["id"]]["link"] + "#section-2",
        published[beta["id"]]["link"],
    ]
    assert published[alpha["id"]]["link"].endswith("/alpha-renamed/")
    # every rewritten link is the target's real address now that it is published
    links_back = hrefs(content_of(world, "Back"))
    assert links_back == [published[links["id"]]["link"] + "#top"]


async def test_id_style_is_remembered_for_later_runs(world):
    await world.run()
    await run_rewrite_links(world.settings(), style="id")
    alpha = world.post_by_title("Alpha")
    assert hrefs(content_of(world, "Links"))[0] == f"{world.wp_url}/?p={alpha['id']}"
    world.wp.reset_counters()
    report = await world.run()  # the pass at the end keeps the chosen style
    # "Late" (a 404 the first time) is read again and migrated: only its link in "Links" changes.
    assert report.links.posts_updated == 1
    links = hrefs(content_of(world, "Links"))
    assert links[0] == f"{world.wp_url}/?p={alpha['id']}"
    assert f"{world.wp_url}/?p={world.post_by_title('Late')['id']}" in links


async def test_a_failed_update_is_reported_and_resumed(world):
    await world.run()
    # "Links" links to Alpha, "Back" to "Links": their owner renames both targets' slugs in
    # WordPress, so both posts need an update.
    for title, slug in (("Alpha", "alpha-renamed"), ("Links", "links-renamed")):
        world.wp.posts[world.post_by_title(title)["id"]]["slug"] = slug
    world.wp.rules.append(
        FailRule("POST", r"/wp/v2/posts/\d+$", status=400, code="rest_invalid_param", after=0, times=1)
    )
    r = await run_rewrite_links(world.settings())
    assert len(r.errors) == 1 and r.posts_updated == 1
    failed_url = r.errors[0][0]
    world.wp.reset_counters()
    again = await run_rewrite_links(world.settings())
    assert again.errors == [] and again.posts_updated == 1
    # only the post that failed was written; the other one is not touched again
    writes = [p for m, p in world.wp.requests if m == "POST"]
    assert len(writes) == 1
    assert failed_url.rsplit("/", 1)[-1] in ("3", "5")
    assert f"{world.wp_url}/alpha-renamed/" in hrefs(content_of(world, "Links"))
    assert f"{world.wp_url}/links-renamed/#top" in hrefs(content_of(world, "Back"))


async def test_a_target_migrated_later_gets_its_links(world):
    report = await world.run()
    assert report.counters.completed == 4
    assert world.blog.fail["/6"] == []
    # The next run migrates post 6 (a listing finds it again) and points the link at it.
    store = await world.store()
    try:
        item = await store.item_by_post_id(6)
    finally:
        await store.close()
    assert item.status == "skipped"
    # a skipped post is settled; forget it so the next run takes it (as after fixing the blog)
    import aiosqlite

    async with aiosqlite.connect(world.tmp / "migration.db") as db:
        await db.execute("DELETE FROM items WHERE post_id = 6")
        await db.commit()
    report = await world.run()
    late = world.post_by_title("Late")
    assert f"{world.wp_url}/late/" in hrefs(content_of(world, "Links"))
    assert report.links.rewritten == 1 and late["status"] == "draft"
    left = {x.href.rsplit("/", 1)[-1] for x in report.links.left}
    assert left == {"4", "99"}


async def test_a_deleted_target_puts_the_tistory_link_back(world):
    await world.run()
    api = WPApi(world)
    alpha = world.post_by_title("Alpha")
    await api.call("DELETE", f"/posts/{alpha['id']}", params={"force": "true"})
    report = await run_rewrite_links(world.settings())
    assert report.reverted == 2
    content = content_of(world, "Links")
    # both spellings had become the same address: both go back to one Tistory URL of that post
    assert hrefs(content)[:2] == [f"{world.blog_url}/1", f"{world.blog_url}/1"]
    assert any("WordPress post is gone" in x.reason for x in report.left)


async def test_redirects_map_drafts_to_their_future_address_and_follow_publishing(world):
    from migrator.commands.redirects import render, run_redirects

    await world.run()
    writes = world.wp.writes()
    result = await run_redirects(world.settings())
    assert world.wp.writes() == writes  # reads only
    by_old = {x.old_url: x for x in result.redirects}
    beta_url = f"{world.wp_url}/%eb%b2%a0%ed%83%80-%ea%b8%80/"
    assert by_old[f"{world.blog_url}/1"].new_url == f"{world.wp_url}/alpha/"
    # hosts learnt from the links between posts: the tistory host and the custom domain (and its twin)
    assert by_old[f"{TISTORY}/m/1"].new_url == f"{world.wp_url}/alpha/"
    assert by_old[f"{CUSTOM}/entry/베타-글"].new_url == beta_url
    assert by_old["https://custom-blog.kr/entry/%EB%B2%A0%ED%83%80-%EA%B8%80"].new_url == beta_url
    assert result.drafts == 4 and result.gone == []
    assert f"{world.blog_url}/4" not in by_old and f"{world.blog_url}/6" not in by_old

    api = WPApi(world)
    alpha = world.post_by_title("Alpha")
    await api.publish(alpha["id"], slug="alpha-final")
    gone = world.post_by_title("Back")
    await api.call("DELETE", f"/posts/{gone['id']}", params={"force": "true"})
    again = await run_redirects(world.settings())
    by_old = {x.old_url: x for x in again.redirects}
    published = await api.call("GET", f"/posts/{alpha['id']}")
    assert by_old[f"{world.blog_url}/1"].new_url == published["link"] == f"{world.wp_url}/alpha-final/"
    assert by_old[f"{world.blog_url}/1"].status == "publish"
    assert again.gone == [f"{world.blog_url}/5"]
    assert f'"/1" "{world.wp_url}/alpha-final/";' in render("nginx", again)
