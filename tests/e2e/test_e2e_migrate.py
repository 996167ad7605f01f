"""End-to-end: the real `migrate --all` command against a fake Tistory blog and a REAL WordPress 6.1.

Each test serves its own fake blog and CDN (tests/e2e/scenario.py: 32 public posts with images,
Korean titles and file names, nested categories, tags, code blocks, a shared image, a protected
post), runs `python -m migrator --all` as a subprocess, then reads WordPress back through its
REST API (tests/e2e/checks.py). Crash tests put a reverse proxy between migrate and WordPress that
SIGKILLs migrate at its k-th write, before WordPress sees the request or after it acted.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from tests.e2e.checks import assert_complete, read_state
from tests.e2e.conftest import Timing
from tests.e2e.migrate import MigrateResult, Migration, kill_group
from tests.e2e.scenario import BlogUnderTest, build_blog
from tests.e2e.servers import BackgroundLoop
from tests.e2e.wpread import WPReader
from tests.realwp import RealWordPress

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def migration(
    tmp_path: Path,
    blog: BlogUnderTest,
    wp: RealWordPress,
    wp_url: str | None = None,
    password: str | None = None,
) -> Migration:
    return Migration(
        tmp_path,
        blog_url=blog.blog_url,
        wp_url=wp_url or wp.url,
        wp_user=wp.user,
        wp_password=password if password is not None else wp.app_password,
    )


def run(m: Migration, timing: Timing) -> MigrateResult:
    result = m.run()
    timing.add_run(result.elapsed_s)
    return result


def finish(m: Migration, timing: Timing) -> MigrateResult:
    """The run after the crashes: it must complete every post."""
    result = run(m, timing)
    assert result.code == 0, result.output
    return result


# ---------------------------------------------------------------------------------------------


def test_full_migration(real_wp, reader: WPReader, servers: BackgroundLoop, token, floor, tmp_path, timings):
    blog = build_blog(servers, token)
    assert reader.settings()["timezone"] == "Asia/Seoul"

    result = run(migration(tmp_path, blog, real_wp), timings)

    assert result.code == 0, result.output
    assert "migrated     32" in result.output and "protected: 1" in result.output, result.output
    state = read_state(reader, floor)
    assert_complete(state, blog, reader)
    # The protected post was read (and skipped), not silently missed.
    assert "/33" in blog.blog.requests
    assert len(state.posts) == 32


def test_second_run_creates_nothing(real_wp, reader, servers, token, floor, tmp_path, timings, proxy):
    killer, proxy_url = proxy
    blog = build_blog(servers, token)
    m = migration(tmp_path, blog, real_wp, wp_url=proxy_url)
    first = run(m, timings)
    assert first.code == 0, first.output
    first_writes = killer.writes
    before, high = reader.counts(), reader.floor_id()

    killer.disarm()
    second = run(m, timings)

    assert second.code == 0, second.output
    assert killer.writes == 0, f"the second run wrote to WordPress {killer.writes} times"
    assert reader.counts() == before
    assert reader.floor_id() == high
    assert "already done 32" in second.output, second.output
    assert_complete(read_state(reader, floor), blog, reader)
    assert first_writes >= 32 * 2 + 40  # a draft and its final update per post, plus 40+ uploads


@pytest.mark.parametrize(
    ("phase", "kill_points"),
    [
        # k-th write of each successive run; the first run makes ~125 writes, resumed runs fewer.
        ("before", (1, 40, 25, 12)),
        ("after", (2, 33, 21, 9)),
    ],
)
def test_sigkill_at_writes_then_resume(
    real_wp, reader, servers, token, floor, tmp_path, timings, proxy, phase, kill_points
):
    killer, proxy_url = proxy
    blog = build_blog(servers, token)
    m = migration(tmp_path, blog, real_wp, wp_url=proxy_url)
    for k in kill_points:
        running = m.start()
        killer.arm(k, phase, running.pid)
        result = m.wait(running)
        timings.add_run(result.elapsed_s)
        assert killer.fired, f"run {m.runs} finished after {killer.writes} writes, before write {k}"
        assert result.killed, result.output
        timings.kills.append(f"{phase} write {k} ({killer.kills[-1][2]})")
    killer.disarm()

    finish(m, timings)

    state = read_state(reader, floor)
    assert_complete(state, blog, reader)


def test_sigkill_at_random_moments(real_wp, reader, servers, token, floor, tmp_path, timings):
    rng = random.Random(token)
    blog = build_blog(servers, token)
    m = migration(tmp_path, blog, real_wp)
    killed = 0
    for _ in range(3):
        running = m.start()
        delay = rng.uniform(1.0, 3.0)  # a whole run takes ~5 s, of which ~1 s is start-up
        try:
            running.proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:  # still running: crash it now
            kill_group(running)
        result = m.wait(running)
        timings.add_run(result.elapsed_s)
        if result.killed:
            killed += 1
            timings.kills.append(f"{delay:.1f} s")
        else:
            assert result.code == 0, result.output
    assert killed >= 2, "the runs finished before the timer: nothing was tested"

    finish(m, timings)

    assert_complete(read_state(reader, floor), blog, reader)


def test_refused_upload_rolls_back_its_post(real_wp, reader, servers, token, floor, tmp_path, timings, proxy):
    killer, proxy_url = proxy
    blog = build_blog(servers, token, posts=6, failing_post=True)
    failing = blog.failing[0]
    m = migration(tmp_path, blog, real_wp, wp_url=proxy_url)

    result = run(m, timings)

    assert result.code == 1, result.output
    assert "failed       1" in result.output and "migrated     6" in result.output, result.output
    assert f"/{failing.post_id}" in result.output, result.output
    # WordPress itself refused the file (not the migration before uploading), and the post was undone.
    assert any(
        method == "POST" and path.endswith("/media") and status == 500 for method, path, status in killer.log
    ), killer.log
    assert any(method == "DELETE" and "/posts/" in path for method, path, status in killer.log)
    state = read_state(reader, floor)
    assert failing.title not in state.by_title()
    assert_complete(state, blog, reader)  # its own first image is gone; the shared one stays, used

    # A later run tries the post again, fails the same way and still leaves no trace.
    again = run(m, timings)
    assert again.code == 1, again.output
    assert_complete(read_state(reader, floor), blog, reader)


def test_wrong_application_password_stops_before_the_blog(
    real_wp, reader, servers, token, floor, tmp_path, timings
):
    blog = build_blog(servers, token, posts=3)
    before = reader.counts()
    wrong = "abcd efgh ijkl mnop qrst uvwx"
    assert wrong != real_wp.app_password

    result = run(migration(tmp_path, blog, real_wp, password=wrong), timings)

    assert result.code == 2, result.output
    assert "WP_APP_PASSWORD" in result.output and "401" in result.output, result.output
    assert wrong not in result.output and wrong.replace(" ", "") not in result.output
    assert blog.blog.requests == [], blog.blog.requests
    assert blog.cdn.requests == []
    assert reader.counts() == before and reader.floor_id() == floor
