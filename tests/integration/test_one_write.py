"""Issue 10: each post reaches WordPress in one request with its final content, and links between
posts are right the first time, whatever order the posts are migrated in."""

from __future__ import annotations

import re

import pytest

from migrator.core.links import find_hrefs
from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.harness import make_world

POSTS = 12


def slug_target(post_id: int) -> int:
    return 3 * ((post_id % 4) + 1)  # one of the posts with an /entry/ slug (3, 6, 9, 12)


def body(post_id: int, blog_url: str) -> str:
    # Links forward and backward in the blog's numeric form, one in the /entry/ form, one to itself.
    older, newer = max(1, post_id - 1), min(POSTS, post_id + 1)
    return (
        f'<p>글 {post_id}: <a href="/{older}">이전</a> <a href="{blog_url}/{newer}">다음</a> '
        f'<a href="/entry/slug-{slug_target(post_id)}">슬러그</a> <a href="/{post_id}#top">여기</a></p>'
    )


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    for post_id in range(1, POSTS + 1):
        w.blog.add(FakePost(
            post_id, f"Post {post_id}", slug=f"slug-{post_id}" if post_id % 3 == 0 else None,
            body_html=body(post_id, w.blog_url), images=(w.image(f"p{post_id}", post_id),),
        ))
    return w


def post_writes(world) -> tuple[int, int]:
    creates = sum(1 for m, p in world.wp.requests if m == "POST" and re.search(r"/wp/v2/posts(\?|$)", p))
    updates = sum(1 for m, p in world.wp.requests if m == "POST" and re.search(r"/wp/v2/posts/\d+(\?|$)", p))
    return creates, updates


@pytest.mark.parametrize("workers", [1, 4])
async def test_each_post_is_one_create_with_its_links_already_right(world, workers):
    report = await world.run(settings=world.settings(worker_count=workers))
    assert report.status == JobStatus.COMPLETED and report.counters.completed == POSTS
    creates, updates = post_writes(world)
    reads = sum(1 for m, p in world.wp.requests if m == "GET" and re.search(r"/wp/v2/posts/\d+(\?|$)", p))
    assert creates == POSTS
    # The first post created teaches the permalink structure: only posts created before it was
    # known can need the end-of-run pass, and never more than the workers running then.
    assert updates <= workers and reads <= workers
    by_title = {f"Post {i}": world.post_by_title(f"Post {i}") for i in range(1, POSTS + 1)}
    url_of = {i: f"{world.wp_url}/{'slug' if i % 3 == 0 else 'post'}-{i}/" for i in range(1, POSTS + 1)}
    for post_id in range(1, POSTS + 1):
        older, newer = max(1, post_id - 1), min(POSTS, post_id + 1)
        hrefs = find_hrefs(by_title[f"Post {post_id}"]["content"])
        assert hrefs == [url_of[older], url_of[newer], url_of[slug_target(post_id)], url_of[post_id] + "#top"]


async def test_a_rerun_and_a_second_link_pass_write_nothing(world):
    await world.run()
    world.wp.reset_counters()
    again = await world.run()
    assert again.counters.completed == 0 and world.wp.writes() == 0
    assert again.links is not None and again.links.posts_updated == 0


async def test_a_site_with_a_post_already_gets_every_link_right_in_the_create(world):
    # A fresh WordPress has its "Hello world!": the permalink structure is learnt from it before the
    # first create, so no post needs the end-of-run pass, whatever the order and the workers.
    import aiohttp

    from tests.harness import APP_PASSWORD

    auth = {"Authorization": aiohttp.encode_basic_auth("admin", APP_PASSWORD)}
    async with aiohttp.ClientSession(headers=auth) as s, s.post(
        world.wp_url + "/wp-json/wp/v2/posts", json={"title": "Hello world!", "status": "publish"}
    ) as r:
        assert r.status == 201
    world.wp.reset_counters()
    report = await world.run(settings=world.settings(worker_count=4))
    assert report.counters.completed == POSTS
    assert post_writes(world) == (POSTS, 0)
    assert report.links is not None and report.links.posts_read == 0
    assert report.links.rewritten == 4 * POSTS  # every link pointed at WordPress, when created
    assert world.wp.revisions == {}  # no update, so no revision (WordPress would keep them for good)
