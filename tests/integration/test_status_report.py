"""The subcommands through the real CLI (a `migrate` subprocess against the fake servers): status while a
run is going on, report formats, rewrite-links, redirects, undo, --dry-run, exit codes and --help."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest
from aiohttp import web

from migrator.commands.report import load_report, render_report
from migrator.commands.status import load_status, render_status
from tests.fakes.blog import FakePost
from tests.harness import APP_PASSWORD, World, make_world

ROOT = Path(__file__).resolve().parents[2]


def env_for(world: World, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(world.tmp),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "TISTORY_BLOG_URL": world.blog_url,
        "WP_BASE_URL": world.wp_url,
        "WP_APP_USER": "admin",
        "WP_APP_PASSWORD": APP_PASSWORD,
        "WORKER_COUNT": "2",
        "RATE_LIMIT": "0",
        "MIGRATION_DB_PATH": str(world.tmp / "migration.db"),
        **extra,
    }


async def start(world: World, *args: str, **extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "migrator",
        *args,
        cwd=world.tmp,
        env=env_for(world, **extra),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def cli(world: World, *args: str, stdin: str = "", **extra: str) -> tuple[int, str, str]:
    proc = await start(world, *args, **extra)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    w.blog.add(FakePost(1, "One", category="Cat", tags=("t1",), images=(w.image("a", 1),)))
    w.blog.add(FakePost(2, "Two", body_html='<p><a href="/1">one</a> <a href="/77">gone</a></p>'))
    w.blog.add(FakePost(3, "Secret", protected=True))
    w.blog.add(FakePost(4, "Four", slug="네번째-글"))
    return w


async def test_status_while_a_run_is_going_on(aiohttp_server, tmp_path):
    # WordPress holds every write until the test lets go: the run is surely going on meanwhile.
    gate = asyncio.Event()

    @web.middleware
    async def hold_writes(request, handler):
        if request.method == "POST":
            await gate.wait()
        return await handler(request)

    world = await make_world(aiohttp_server, tmp_path, wp_middleware=hold_writes)
    world.blog.add(FakePost(1, "One", images=(world.image("a", 1),)))
    world.blog.add(FakePost(2, "Two", body_html='<p><a href="/1">one</a> <a href="/77">gone</a></p>'))
    proc = await start(world, "--all", "--no-progress", "-q")
    seen_running = None
    try:
        for _ in range(200):
            await asyncio.sleep(0.1)
            if not (world.tmp / "migration.db").exists():
                continue
            code, out, err = await cli(world, "status")
            if code == 0 and "A run is going on: job 1" in out:
                seen_running = out
                break
        assert seen_running is not None, "status never saw the run"
        assert f"(pid {proc.pid})" in seen_running
        code, out, _ = await cli(world, "status", "--json")
        data = json.loads(out)
        assert data["running_pid"] == proc.pid and data["jobs"][0]["live"] is True
        assert data["jobs"][0]["status"] == "running"
        code, out, _ = await cli(world, "report", "--format", "json")
        assert code == 0 and isinstance(json.loads(out), list)
        # another run is refused meanwhile, with the usage exit code
        code, _, err = await cli(world, "--all", "--no-progress")
        assert code == 2 and "already running" in err
    finally:
        gate.set()
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    code, out, _ = await cli(world, "status")
    assert code == 0 and "No run is going on." in out
    assert "completed" in out and "Internal links: 1 point at WordPress, 1 left" in out


async def test_report_formats(world):
    await world.run()
    rows = await load_report(world.tmp / "migration.db")
    by_id = {r.post_id: r for r in rows}
    assert by_id[1].state == "completed" and by_id[1].images == 1 and by_id[1].wp_post_id
    assert by_id[3].state == "skipped" and "protected" in by_id[3].error
    assert (by_id[2].links_rewritten, by_id[2].links_left) == (1, 1)

    code, out, _ = await cli(world, "report", "--format", "csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert {r["post_id"] for r in table} == {"1", "2", "3", "4"}
    one = next(r for r in table if r["post_id"] == "1")
    assert (
        one["wp_url"] == by_id[1].wp_url
        and one["state"] == "completed"
        and one["wp_post_id"] == str(by_id[1].wp_post_id)
    )
    code, out, _ = await cli(world, "report", "--format", "table", "--state", "skipped")
    assert code == 0 and "protected" in out and "1 post: skipped 1" in out and "One" not in out
    target = world.tmp / "report.json"
    code, out, _ = await cli(world, "report", "--format", "json", "-o", str(target))
    assert code == 0 and out == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 4
    text = render_report(rows, "table")
    assert text.splitlines()[0].split()[:3] == ["source", "state", "wp"]


async def test_status_without_a_database_is_a_usage_error(world):
    code, _, err = await cli(world, "status")
    assert code == 2 and "no job database" in err
    assert not (world.tmp / "migration.db").exists()


async def test_status_text(world):
    await world.run()
    snapshot = await load_status(world.tmp / "migration.db")
    assert snapshot.running_pid is None and [j.status for j in snapshot.jobs] == ["completed"]
    text = render_status(snapshot)
    assert "No run is going on." in text and "Posts: 4 known" in text and "completed 3" in text


async def test_rewrite_links_and_redirects_commands(world):
    await world.run()
    world.wp.reset_counters()
    code, out, _ = await cli(world, "rewrite-links")
    assert code == 0 and "nothing to change" in out and world.wp.writes() == 0
    code, out, _ = await cli(world, "rewrite-links", "--json")
    assert code == 0 and json.loads(out)["left_by_reason"] == {"not found on the blog": 1}

    target = world.tmp / "redirects.conf"
    code, out, err = await cli(world, "redirects", "--format", "nginx", "--output", str(target))
    assert code == 0 and out == ""
    assert "3 posts" in err and "3 drafts" in err
    text = target.read_text(encoding="utf-8")
    assert '"/entry/네번째-글" "' in text and "map $uri $tistory_redirect {" in text
    code, out, _ = await cli(world, "redirects", "--format", "csv")
    assert code == 0 and out.startswith("old_url,new_url,status,wp_post_id,source_url\n")
    code, _, err = await cli(world, "redirects", "--format", "xml")
    assert code == 2


async def test_undo_command_asks_and_deletes(world):
    await world.run()
    before = set(world.wp.posts)
    code, out, err = await cli(world, "undo", "--job", "1", stdin="n\n")
    assert code == 1 and "3 drafts to delete" in out and "Nothing deleted." in err
    assert set(world.wp.posts) == before
    code, out, _ = await cli(world, "undo", "--job", "1", "--yes")
    assert code == 0 and "deleted 3 drafts, 1 media files" in out
    assert world.wp.posts == {} and world.wp.media == {}
    code, out, _ = await cli(world, "status")
    assert "undone" in out
    code, _, err = await cli(world, "undo", "--job", "42", "--yes")
    assert code == 2 and "no job 42" in err


async def test_dry_run_command(world):
    code, out, err = await cli(world, "--all", "--dry-run", "--no-progress")
    assert code == 0, err
    assert "nothing written to WordPress" in out and "posts to migrate   3" in out
    assert world.wp.writes() == 0


async def test_notifications_at_the_end_of_a_cli_run_never_leak_the_token(world, aiohttp_server):
    from tests.fakes.notify import FakeNotify

    fake = FakeNotify()
    server = await aiohttp_server(fake.app())
    fake.fail_telegram = [500, 500]  # Telegram fails: logged, the run still succeeds
    code, out, err = await cli(
        world,
        "--all",
        "--no-progress",
        "--log-json",
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_CHAT_ID="42",
        TELEGRAM_API_URL=str(server.make_url("")),
        NOTIFY_WEBHOOK_URL=str(server.make_url("/hook")),
    )
    assert code == 0, err
    assert fake.token not in out + err
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    failed = [e for e in events if e["event"] == "notification_failed"]
    assert failed and failed[0]["channel"] == "telegram"
    assert len(fake.hooks) == 1 and fake.hooks[0]["status"] == "completed"


@pytest.mark.parametrize("command", ["rewrite-links", "redirects", "undo", "status", "report"])
async def test_help_of_each_subcommand(world, command):
    code, out, _ = await cli(world, command, "--help")
    assert code == 0 and f"Usage: migrate {command}" in out and "--db PATH" in out


HOSTILE_TITLE = "Red \x1b[31mALERT\x1b[0m \x1b]0;owned\x07 \u202eevil\u202c \x9b2J end"
CONTROL_CHARS = [chr(c) for c in (*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))] + [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
]


def assert_no_controls(text: str) -> None:
    found = sorted({hex(ord(c)) for c in text if c in CONTROL_CHARS})
    assert not found, f"control characters printed: {found}"


async def test_status_report_and_summary_print_no_control_characters(aiohttp_server, tmp_path):
    from tests.fakes.wordpress import FailRule

    world = await make_world(aiohttp_server, tmp_path)
    world.blog.add(FakePost(1, HOSTILE_TITLE))
    world.blog.add(FakePost(2, '=HYPERLINK("http://evil.example","click")'))
    world.blog.add(FakePost(3, "@SUM(1+1)"))
    # WordPress's refusal ends up in the failure reason: summary, report and status print it.
    world.wp.rules.append(
        FailRule("POST", r"/wp/v2/tags$", status=400, times=99, code="rest_bad\x1b[2J\u202e\x07")
    )
    world.blog.add(FakePost(4, "fails \x1b[5mblink", tags=("t",)))

    code, out, err = await cli(world, "--all")
    assert code == 1, err
    assert "Failed posts:" in out and "rest_bad" in out
    assert_no_controls(out)

    code, out, _ = await cli(world, "report", "--format", "table")
    assert code == 0 and "RedALERT" in out.replace(" ", "") and "rest_bad" in out
    assert_no_controls(out)
    code, out, _ = await cli(world, "status")
    assert code == 0
    assert_no_controls(out)

    code, out, _ = await cli(world, "report", "--format", "csv")
    assert code == 0
    titles = {r["post_id"]: r["title"] for r in csv.DictReader(io.StringIO(out))}
    assert titles["2"] == "'" + '=HYPERLINK("http://evil.example","click")'
    assert titles["3"] == "'@SUM(1+1)"
    for row in csv.reader(io.StringIO(out)):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
