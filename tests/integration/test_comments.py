"""Comments against the fake blog and the fake WordPress: what WordPress holds afterwards (threading,
exact UTC dates, text without markup, links as links), exactly once across lost answers, kills,
re-runs and new comments, and what the user is told (summary, status, report)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from structlog.testing import capture_logs

from migrator.commands.comments import render_comments_report, run_comments
from migrator.commands.report import load_report, render_report
from migrator.commands.status import load_status, render_status
from migrator.commands.summary import render_summary
from migrator.commands.undo import run_undo
from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.fakes.blog_comments import FakeComment
from tests.fakes.wordpress import FailRule
from tests.harness import World, make_world

ODD = "e\u0301 (NFD) · 한글 · 👩\u200d💻 · \u202eRTL\u202c · \U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 · \u3000wide"


def thread(wp_comments: dict[int, dict[str, Any]], wp_post_id: int) -> set[tuple[Any, ...]]:
    """What a reader sees of a post's comments: (author, url, UTC date, text, parent's text), so two
    WordPress sites can be compared whatever their comment ids."""
    mine = {c["id"]: c for c in wp_comments.values() if c["post"] == wp_post_id}
    return {
        (c["author_name"], c["author_url"], c["date_gmt"], c["content"],
         mine[c["parent"]]["content"] if c["parent"] else None, c["approved"])
        for c in mine.values()
    }


def add_comments(world: World) -> None:
    api = world.blog.comment_api
    api.page_size = 3  # several startId pages
    api.add(
        1,
        FakeComment(101, "철수", "첫 댓글입니다", written="2024-03-06T09:10:11+09:00",
                    homepage="https://cheolsu.tistory.com",
                    replies=[FakeComment(102, "주인장", "답글이에요\n두 줄", written="2024-03-06T10:00:00+09:00"),
                             FakeComment(103, "영희", "저도요", written="2024-03-07T00:00:05+09:00")]),
        FakeComment(104, "비밀", "secret text", secret=True,
                    replies=[FakeComment(105, "주인장", "비밀 답글", secret=True)]),
        FakeComment(106, "<b>해커</b>",
                    '<b>굵게</b> <script>alert(1)</script><img src=x onerror=alert(2)> 링크: '
                    'https://example.com/a?b=1&c=2 와 <a href="https://evil.example/x">여기</a>',
                    written="2024-03-08 12:00:00", homepage="javascript:alert(3)"),
        FakeComment(107, "🙂 odd", ODD, written="2024-03-09T01:02:03Z"),
        FakeComment(108, "깨진", "날짜가 없다", written="언젠가"),
        FakeComment(109, "d", "five", written="2024-03-10T00:00:00+09:00"),
        FakeComment(110, "e", "six", written="2024-03-11T00:00:00+09:00"),
    )


@pytest.fixture
async def world(aiohttp_server, tmp_path) -> World:
    w = await make_world(aiohttp_server, tmp_path, [FakePost(1, "With comments"), FakePost(2, "No comments")])
    add_comments(w)
    return w


def wp_post_id(world: World, title: str) -> int:
    return int(world.post_by_title(title)["id"])


async def test_published_posts_carry_their_comments_threaded_with_exact_dates(world: World) -> None:
    report = await world.run(settings=world.settings(post_status="publish"))
    assert report.status == JobStatus.COMPLETED
    pid = wp_post_id(world, "With comments")
    assert world.wp.posts[pid]["status"] == "publish"
    got = {c["author_name"]: c for c in world.wp.comments.values() if c["post"] == pid}
    # 101-103 and 106, 107, 109, 110: the secret pair is counted, the undated one unreadable.
    assert set(got) == {"철수", "주인장", "영희", "<b>해커</b>", "🙂 odd", "d", "e"}
    assert got["철수"]["date_gmt"] == "2024-03-06T00:10:11"  # 09:10:11 KST
    assert got["철수"]["author_url"] == "https://cheolsu.tistory.com"
    assert got["주인장"]["parent"] == got["철수"]["id"] and got["영희"]["parent"] == got["철수"]["id"]
    assert got["주인장"]["content"] == "답글이에요\n두 줄"
    assert got["🙂 odd"]["date_gmt"] == "2024-03-09T01:02:03" and html.unescape(got["🙂 odd"]["content"]) == ODD
    hostile = got["<b>해커</b>"]
    assert hostile["date_gmt"] == "2024-03-08T03:00:00"  # a time without offset is Korea time
    assert hostile["author_url"] == ""  # not an http(s) address
    tags = re.findall(r"<(\w+)", hostile["content"])
    assert tags == ["a", "a"], hostile["content"]  # nothing but the two links, made by us
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc">' in hostile["content"]
    assert "https://evil.example/x" in hostile["content"] and "alert(1)" not in html.unescape(hostile["content"])
    assert all(c["approved"] == "1" for c in got.values())
    assert not [c for c in world.wp.comments.values() if c["post"] == wp_post_id(world, "No comments")]
    summary = render_summary(report)
    assert "comments     7 added (7 in WordPress), 2 secret" in summary and "1 unreadable" in summary
    rows = {r.title: r for r in await load_report(world.tmp / "migration.db")}
    assert (rows["With comments"].comments_migrated, rows["With comments"].comments_secret,
            rows["With comments"].comments_unreadable) == (7, 2, 1)
    assert "7/2/1" in render_report(list(rows.values()), "table")
    assert "7 migrated, 2 secret" in render_status(await load_status(world.tmp / "migration.db"))


async def test_draft_run_then_publish_then_migrate_comments_gives_the_same_result(
    world: World, aiohttp_server, tmp_path
) -> None:
    published = await make_world(aiohttp_server, tmp_path / "other", [FakePost(1, "With comments")])
    (tmp_path / "other").mkdir(exist_ok=True)
    add_comments(published)
    await published.run(settings=published.settings(post_status="publish"))

    report = await world.run()  # drafts: WordPress takes no comments on them
    assert report.comments is not None and report.comments.waiting_posts == 2
    assert world.wp.comments == {}
    assert "drafts wait" in render_summary(report)
    for post in world.wp.posts.values():
        post["status"] = "publish"  # the owner publishes them
    done = await run_comments(world.settings())
    assert done.totals.created == 7 and done.status == JobStatus.COMPLETED
    assert thread(world.wp.comments, wp_post_id(world, "With comments")) == thread(
        published.wp.comments, wp_post_id(published, "With comments"))
    assert "7 comments added" in render_comments_report(done)


async def test_a_second_migrate_comments_writes_nothing_and_picks_up_new_comments(world: World) -> None:
    await world.run(settings=world.settings(post_status="private"))
    before = dict(world.wp.comments)
    again = await run_comments(world.settings())
    assert again.wp_writes == 0 and again.totals.created == 0
    assert world.wp.comments == before
    world.blog.comment_api.add(1, FakeComment(120, "새 독자", "나중에 쓴 댓글", written="2025-01-01T00:00:00+09:00"))
    world.blog.comment_api.comments[1][0].replies.append(
        FakeComment(121, "주인장", "늦은 답글", written="2025-01-02T00:00:00+09:00"))
    later = await run_comments(world.settings())
    assert later.totals.created == 2 and later.wp_writes == 2
    new = {c["content"]: c for c in world.wp.comments.values() if c["id"] not in before}
    first = next(c for c in before.values() if c["author_name"] == "철수")
    assert set(new) == {"나중에 쓴 댓글", "늦은 답글"} and new["늦은 답글"]["parent"] == first["id"]


async def test_a_lost_answer_is_found_by_its_marker_not_created_twice(world: World) -> None:
    world.wp.rules.append(FailRule("POST", r"/wp/v2/comments$", status=502, times=2, after=1, effect_then_fail=True))
    report = await world.run(settings=world.settings(post_status="publish"))
    assert report.status == JobStatus.COMPLETED
    pid = wp_post_id(world, "With comments")
    assert len([c for c in world.wp.comments.values() if c["post"] == pid]) == 7
    assert report.comments is not None and report.comments.migrated == 7


async def test_a_kill_between_create_and_record_leaves_no_duplicate(world: World) -> None:
    await world.run(settings=world.settings(post_status="publish"))
    count = len(world.wp.comments)
    store = await world.store()
    try:  # what a kill right after WordPress answered leaves: intents without their answers
        await store._exec("UPDATE comments SET status = 'creating', wp_comment_id = NULL WHERE source_id IN (101, 102)")
    finally:
        await store.close()
    report = await run_comments(world.settings())
    assert report.wp_writes == 0 and len(world.wp.comments) == count
    store = await world.store()
    try:
        rows = await store.comments_of_item((await store.item_by_post_id(1)).id)
    finally:
        await store.close()
    assert {r.status for r in rows.values()} == {"created"}


async def test_a_comment_failure_never_fails_the_post_and_the_next_pass_finishes(world: World) -> None:
    world.wp.rules.append(FailRule("POST", r"/wp/v2/comments$", status=500, times=50, after=2))
    report = await world.run(settings=world.settings(post_status="publish", max_attempts=1))
    assert report.status == JobStatus.COMPLETED and report.counters.completed == 2
    assert report.comments is not None and report.comments.failed_posts
    world.wp.rules.clear()
    done = await run_comments(world.settings())
    pid = wp_post_id(world, "With comments")
    assert len([c for c in world.wp.comments.values() if c["post"] == pid]) == 7
    assert done.totals.failed_posts == [] and done.totals.migrated == 7


async def test_an_unrecognised_answer_is_reported_once_and_skips_comments(world: World) -> None:
    world.blog.comment_api.shape = "other"
    world.blog.comment_api.add(2, FakeComment(201, "x", "y"))
    with capture_logs() as logs:
        report = await world.run(settings=world.settings(post_status="publish"))
    assert report.status == JobStatus.COMPLETED and report.counters.completed == 2
    assert world.wp.comments == {}
    assert [e["event"] for e in logs].count("comments_shape_unrecognised") == 1
    assert report.comments is not None and len(report.comments.failed_posts) == 2


async def test_undo_removes_the_comments_a_job_added(world: World) -> None:
    first = await world.run()
    for post in world.wp.posts.values():
        post["status"] = "publish"
    comments_job = await run_comments(world.settings())
    assert len(world.wp.comments) == 7
    _plan, result = await run_undo(world.settings(), comments_job.job_id, confirm=lambda plan: True)
    assert result is not None and result.complete and result.comments_deleted == 7
    assert world.wp.comments == {} and len(world.wp.posts) == 2
    again = await run_comments(world.settings())  # they can be added again
    assert again.totals.created == 7
    _, undone = await run_undo(world.settings(), first.job_id, confirm=lambda plan: True)
    assert undone is not None and undone.complete and world.wp.posts == {} and world.wp.comments == {}


async def test_a_post_with_500_comments(aiohttp_server, tmp_path) -> None:
    world = await make_world(aiohttp_server, tmp_path, [FakePost(7, "Popular")])
    world.blog.comment_api.add(7, *[
        FakeComment(1000 + i, f"reader {i}", f"comment {i}", written=f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}+09:00",
                    replies=[FakeComment(5000 + i, "owner", f"thanks {i}")] if i % 10 == 0 else [])
        for i in range(454)
    ])
    report = await world.run(settings=world.settings(post_status="publish"))
    assert report.comments is not None and report.comments.created == 500
    pid = wp_post_id(world, "Popular")
    mine = [c for c in world.wp.comments.values() if c["post"] == pid]
    assert len(mine) == 500 and len({c["author_user_agent"] for c in mine}) == 500
    replies = [c for c in mine if c["parent"]]
    assert len(replies) == 46 and all(world.wp.comments[c["parent"]]["content"] == c["content"].replace("thanks", "comment")
                                      for c in replies)
    assert len([r for r in world.blog.requests if "/comment" in r]) == 23  # 20 top-level comments a page


async def test_migrate_comments_leaves_posts_of_another_author_alone(world: World) -> None:
    """WordPress e-mails a post's author each comment another user approves on it: those posts wait."""
    await world.run()
    for post in world.wp.posts.values():
        post["status"] = "publish"
        post["author"] = 2  # the owner gave the posts to another user
    report = await run_comments(world.settings())
    assert world.wp.comments == {} and report.totals.created == 0
    assert len(report.totals.failed_posts) == 2 and "another WordPress user" in report.totals.failed_posts[0][1]


async def test_the_next_migrate_all_finishes_a_comment_pass_a_kill_cut_short(world: World) -> None:
    await world.run(settings=world.settings(post_status="publish"))
    store = await world.store()
    try:  # what a kill in the middle of the pass leaves behind
        item = await store.item_by_post_id(1)
        rows = await store.comments_of_item(item.id)
        for source_id in (109, 110):  # not created yet
            del world.wp.comments[rows[source_id].wp_comment_id]
            await store.forget_comment(item.id, source_id)
        await store._exec("UPDATE comments SET status = 'creating', wp_comment_id = NULL WHERE source_id = 101")
        await store.mark_comment_pass_started(item.id, "started")
    finally:
        await store.close()
    report = await world.run()  # the posts are migrated: only the comment pass is taken up
    assert report.comments is not None and report.comments.created == 2
    pid = wp_post_id(world, "With comments")
    mine = [c for c in world.wp.comments.values() if c["post"] == pid]
    assert len(mine) == 7 and len({c["author_user_agent"] for c in mine}) == 7
    again = await world.run()
    assert again.comments is not None and again.comments.posts == 0  # nothing left unfinished
