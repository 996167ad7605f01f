"""End-to-end on the real WordPress (issue 12): comments come along with their threading and dates,
exactly once (a kill while they are created, then a resume, leaves no duplicate), without a single
e-mail or a comment left in the moderation queue; `undo` removes them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Site
from tests.e2e.migrate import exited, kill_group
from tests.e2e.scenario import _published, build_blog
from tests.e2e.test_e2e_migrate import migration
from tests.e2e.wpread import WPReader, raw
from tests.fakes.blog import FakePost
from tests.fakes.blog_comments import FakeComment

pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]


def comments_fixture(post_id: int) -> list[FakeComment]:
    return [
        FakeComment(post_id * 100 + 1, "철수", "첫 댓글 https://example.com/a?b=1", written="2021-05-06T23:10:11+09:00",
                    homepage="https://cheolsu.tistory.com",
                    replies=[FakeComment(post_id * 100 + 2, "주인장", "답글\n두 줄", written="2021-05-07T00:00:05+09:00"),
                             FakeComment(post_id * 100 + 3, "철수", "고마워요 👍", written="2021-05-07T01:00:00+09:00")]),
        FakeComment(post_id * 100 + 4, "비밀손님", "secret", secret=True),
        FakeComment(post_id * 100 + 5, "<b>굵은</b>", '<script>x()</script><b>굵게</b> 와 <a href="https://e.org/x">여기</a>',
                    written="2021-05-08 12:00:00"),
    ]


def thread(reader: WPReader, post_id: int) -> set[tuple[Any, ...]]:
    """What a reader sees of a post's comments, comparable across posts: (author, url, UTC date, text,
    parent's text, status)."""
    got = {c["id"]: c for c in reader.list_all("/comments", post=post_id, status="all", context="edit")}
    return {
        (c["author_name"], c["author_url"], c["date_gmt"], raw(c["content"]),
         raw(got[c["parent"]]["content"]) if c["parent"] else None, c["status"])
        for c in got.values()
    }


def mail_count(site: Site, request: pytest.FixtureRequest) -> int:
    log = Path(request.getfixturevalue("real_wp").dir) / "mail.log"
    return log.read_text(encoding="utf-8", errors="replace").count("=== ") if log.exists() else 0


def post_id_of(reader: WPReader, floor: int, title: str) -> int:
    [post] = [p for p in reader.posts_since(floor) if raw(p["title"]) == title]
    return int(post["id"])


def test_published_posts_carry_comments_and_a_draft_run_published_later_gives_the_same(
    site: Site, servers, token, floor, tmp_path, timings, request
):
    reader = site.reader
    mails = mail_count(site, request)
    published = build_blog(servers, f"{token}-p", posts=1)
    drafts = build_blog(servers, f"{token}-d", posts=1)
    for blog, label in ((published, "p"), (drafts, "d")):
        blog.blog.comment_api.page_size = 2  # several startId pages
        blog.blog.add(FakePost(post_id=70, title=f"댓글 많은 글 {label} · {token}", published=_published(70).isoformat()))
        blog.blog.comment_api.add(70, *comments_fixture(70))
    (tmp_path / "p").mkdir()
    (tmp_path / "d").mkdir()
    m_pub = migration(tmp_path / "p", published, site)
    m_pub.env["WP_POST_STATUS"] = "publish"
    first = m_pub.run()
    timings.add_run(first.elapsed_s)
    assert first.code == 0, first.output
    assert "comments     4 added" in first.output and "1 secret" in first.output, first.output
    pub_id = post_id_of(reader, floor, f"댓글 많은 글 p · {token}")
    got = thread(reader, pub_id)
    assert ("철수", "https://cheolsu.tistory.com", "2021-05-06T14:10:11",
            '첫 댓글 <a href="https://example.com/a?b=1" rel="nofollow ugc">https://example.com/a?b=1</a>',
            None, "approved") in got
    assert ("주인장", "", "2021-05-06T15:00:05", "답글\n두 줄", raw_first(got), "approved") in got
    assert len(got) == 4 and {g[5] for g in got} == {"approved"}
    hostile = next(g for g in got if g[2] == "2021-05-08T03:00:00")  # a time without offset: Korea time
    assert "<" not in hostile[0]  # WordPress strips tags from author names itself
    assert "<script" not in hostile[3] and "<b>" not in hostile[3] and "https://e.org/x" in hostile[3]

    m_draft = migration(tmp_path / "d", drafts, site)
    second = m_draft.run()
    timings.add_run(second.elapsed_s)
    assert second.code == 0 and "drafts wait" in second.output, second.output
    draft_id = post_id_of(reader, floor, f"댓글 많은 글 d · {token}")
    assert reader.list_all("/comments", post=draft_id, status="all") == []
    assert reader.send("POST", f"/posts/{draft_id}", {"status": "publish"})[0] == 200  # the owner publishes it
    third = m_draft.run("comments")
    timings.add_run(third.elapsed_s)
    assert third.code == 0 and "4 comments added" in third.output, third.output
    assert thread(reader, draft_id) == got
    again = m_draft.run("comments")
    assert again.code == 0 and "0 comments added" in again.output, again.output
    assert thread(reader, draft_id) == got
    assert mail_count(site, request) == mails, "WordPress sent e-mail"

    # undo of the comments job removes exactly its comments; the published post keeps its own.
    job = third.output.split("Job ", 1)[1].split(" ", 1)[0]
    undo = m_draft.run("undo", "--job", job, "--yes")
    assert undo.code == 0 and "4 comments" in undo.output, undo.output
    assert reader.list_all("/comments", post=draft_id, status="all") == []
    assert len(thread(reader, pub_id)) == 4


def raw_first(got: set[tuple[Any, ...]]) -> str:
    return next(g[3] for g in got if g[0] == "철수" and g[4] is None)


def test_a_kill_while_comments_are_created_then_resume_leaves_no_duplicate(
    site: Site, servers, token, floor, tmp_path, timings, request
):
    reader = site.reader
    mails = mail_count(site, request)
    blog = build_blog(servers, token, posts=1)
    title = f"댓글 120개 · {token}"
    blog.blog.add(FakePost(post_id=80, title=title, published=_published(80).isoformat()))
    blog.blog.comment_api.add(80, *[
        FakeComment(8000 + i, f"독자 {i}", f"댓글 {i}", written=f"2022-01-01T10:{i // 60:02d}:{i % 60:02d}+09:00",
                    replies=[FakeComment(9000 + i, "주인장", f"답 {i}")] if i % 5 == 0 else [])
        for i in range(100)
    ])
    m = migration(tmp_path, blog, site, workers=2)
    m.env["WP_POST_STATUS"] = "private"
    running = m.start()
    post_id = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not exited(running, 0.05):
        if post_id is None:
            found = [p for p in reader.posts_since(floor) if raw(p["title"]) == title]
            post_id = int(found[0]["id"]) if found else None
        elif reader.total("/comments", post=post_id, status="all") >= 15:
            break
    kill_group(running)
    running.proc.wait(timeout=10)
    timings.kills.append("comments")
    assert post_id is not None
    before = reader.total("/comments", post=post_id, status="all")
    assert 0 < before < 120, f"the kill did not land inside the comments ({before})"

    resumed = m.run()
    timings.add_run(resumed.elapsed_s)
    assert resumed.code == 0, resumed.output
    comments = reader.list_all("/comments", post=post_id, status="all", context="edit")
    markers = [c["author_user_agent"] for c in comments]
    assert len(comments) == 120 and len(set(markers)) == 120
    by_id = {c["id"]: c for c in comments}
    replies = [c for c in comments if c["parent"]]
    assert len(replies) == 20 and all(by_id[c["parent"]]["author_name"].startswith("독자") for c in replies)
    assert {c["status"] for c in comments} == {"approved"}
    assert m.run("comments").output.count("0 comments added") == 1
    assert mail_count(site, request) == mails, "WordPress sent e-mail"
