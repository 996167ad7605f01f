"""The `migrate` command as a user runs it: a real subprocess against fake servers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.blog import FakePost
from tests.harness import APP_PASSWORD, World, make_world

ROOT = Path(__file__).resolve().parents[2]


def base_env(world: World | None, tmp: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    if world is not None:
        env.update({
            "TISTORY_BLOG_URL": world.blog_url, "WP_BASE_URL": world.wp_url, "WP_APP_USER": "admin",
            "WP_APP_PASSWORD": APP_PASSWORD, "WORKER_COUNT": "2", "RATE_LIMIT": "0",
            "MIGRATION_DB_PATH": str(tmp / "migration.db"),
        })
    env.update(extra)
    return env


async def migrate(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "migrator", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    for n in range(1, 7):
        w.blog.add(FakePost(n, f"글 {n}", category="분류/하위", tags=("태그",), images=(w.image(f"i{n}", n),)))
    w.blog.add(FakePost(7, "잠긴 글", protected=True))
    return w


async def test_migrate_all_then_again(world, tmp_path):
    code, out, err = await migrate("--all", "--no-progress", env=base_env(world, tmp_path), cwd=tmp_path)
    assert code == 0, err
    assert "migrated     6" in out and "protected: 1" in out
    world.assert_consistent({f"글 {n}" for n in range(1, 7)})
    world.wp.reset_counters()
    code, out, err = await migrate("--all", "--log-json", env=base_env(world, tmp_path), cwd=tmp_path)
    assert code == 0 and world.wp.writes() == 0
    assert "already done 6" in out
    assert '"event": "run_started"' in err            # JSON log lines on stderr
    code, out2, err2 = await migrate("--all", "-v", env=base_env(world, tmp_path), cwd=tmp_path)
    assert code == 0
    # the application password is never written anywhere: output, debug logs, the job database
    import base64

    basic = base64.b64encode(f"admin:{APP_PASSWORD}".encode()).decode()
    stored = b"".join(f.read_bytes() for f in tmp_path.glob("migration.db*") if f.is_file())
    for secret in (APP_PASSWORD, APP_PASSWORD.replace(" ", ""), basic):
        assert secret not in out + err + out2 + err2
        assert secret.encode() not in stored


async def test_single_post_any_url_form(world, tmp_path):
    env = base_env(world, tmp_path)
    code, out, err = await migrate(f"--post={world.blog_url}/m/3?category=1#comment5", env=env, cwd=tmp_path)
    assert code == 0, err
    assert set(world.wp_titles()) == {"글 3"}


async def test_flags_override_environment(world, tmp_path):
    env = base_env(world, tmp_path, WORKER_COUNT="nonsense")
    code, _, err = await migrate("--all", "--workers", "1", env=env, cwd=tmp_path)
    assert code == 0, err


async def test_dotenv_file_is_read(world, tmp_path):
    env = base_env(None, tmp_path)
    (tmp_path / ".env").write_text(
        f"TISTORY_BLOG_URL={world.blog_url}\nWP_BASE_URL={world.wp_url}\nWP_APP_USER=admin\n"
        f"WP_APP_PASSWORD='{APP_PASSWORD}'\nRATE_LIMIT=0\n", encoding="utf-8")
    code, _, err = await migrate("--all", env=env, cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "migration.db").exists()


@pytest.mark.parametrize(
    ("override", "variable"),
    [({"WORKER_COUNT": "many"}, "WORKER_COUNT"), ({"RATE_LIMIT": "-3"}, "RATE_LIMIT"),
     ({"WP_BASE_URL": "not a url"}, "WP_BASE_URL"), ({"WP_APP_PASSWORD": ""}, "WP_APP_PASSWORD"),
     ({"MIGRATION_DB_PATH": "/no/such/dir/m.db"}, "MIGRATION_DB_PATH"),
     ({"WP_POST_STATUS": "published"}, "WP_POST_STATUS")],
)
async def test_bad_config_stops_before_any_network_call(world, tmp_path, override, variable):
    code, out, err = await migrate("--all", env=base_env(world, tmp_path, **override), cwd=tmp_path)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("migrate: error:")]
    assert len(lines) == 1 and variable in lines[0]
    assert world.wp.requests == [] and world.blog.requests == []


async def test_status_flag_chooses_the_post_status_and_a_bad_one_stops_early(world, tmp_path):
    env = base_env(world, tmp_path, WP_POST_STATUS="draft")
    code, _, err = await migrate("--all", "--status", "publish-now", env=env, cwd=tmp_path)
    assert code == 2 and "WP_POST_STATUS" in err and "publish-now" in err
    assert world.wp.requests == [] and world.blog.requests == []
    code, _out, err = await migrate("--all", "--status", "private", env=env, cwd=tmp_path)
    assert code == 0, err
    assert {p["status"] for p in world.wp_posts()} == {"private"}


async def test_wrong_password_exits_2_before_fetching_the_blog(world, tmp_path):
    env = base_env(world, tmp_path, WP_APP_PASSWORD="wrong pass word here xxxx yyyy")
    code, out, err = await migrate("--all", env=env, cwd=tmp_path)
    assert code == 2
    assert "WP_APP_PASSWORD" in err and "401" in err
    assert world.blog.requests == []
    assert "wrong pass word" not in err + out


async def test_usage_errors(world, tmp_path):
    env = base_env(world, tmp_path)
    assert (await migrate(env=env, cwd=tmp_path))[0] == 2
    assert (await migrate("--all", f"--post={world.blog_url}/1", env=env, cwd=tmp_path))[0] == 2
    code, _, err = await migrate(f"--post={world.blog_url}/category/x", env=env, cwd=tmp_path)
    assert code == 2 and "not the address of a Tistory post" in err


async def test_help_never_shows_the_password(world, tmp_path):
    code, out, _ = await migrate("--help", env=base_env(world, tmp_path), cwd=tmp_path)
    assert code == 0 and APP_PASSWORD not in out and "--all" in out


async def test_failed_posts_exit_1(world, tmp_path):
    # A file that keeps answering 500 fails its post (a dead, 404 file would not: issue 8).
    world.cdn.add("/dna/broken/img.png", b"")
    world.cdn.fail["/dna/broken/img.png"] = [500] * 100
    world.blog.add(FakePost(8, "깨진 그림", images=(f"{world.cdn_url}/dna/broken/img.png",)))
    code, out, _ = await migrate("--all", env=base_env(world, tmp_path), cwd=tmp_path)
    assert code == 1
    assert "Failed posts:" in out and "/8" in out


async def test_ctrl_c_interrupts_then_resume_completes(world, tmp_path):
    world.wp.latency_s = 0.15            # slow enough to be caught mid-run
    env = base_env(world, tmp_path, WORKER_COUNT="2")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "migrator", "--all", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    for _ in range(200):                 # wait until it is migrating
        if any(m == "POST" for m, _ in world.wp.requests):
            break
        await asyncio.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 130, err.decode()
    assert "interrupted" in out.decode()
    world.assert_consistent(set(world.wp_titles()))       # what is there is whole, nothing orphaned
    world.wp.latency_s = 0
    code, out, err = await migrate("--all", env=env, cwd=tmp_path)
    assert code == 0, err
    world.assert_consistent({f"글 {n}" for n in range(1, 7)})


async def test_second_ctrl_c_aborts_at_once_and_resume_is_safe(world, tmp_path):
    world.wp.latency_s = 0.3
    env = base_env(world, tmp_path, WORKER_COUNT="3")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "migrator", "--all", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    for _ in range(200):
        if any(m == "POST" for m, _ in world.wp.requests):
            break
        await asyncio.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    await asyncio.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    world.wp.latency_s = 0
    code, _, err = await migrate("--all", env=env, cwd=tmp_path)
    assert code == 0, err
    world.assert_consistent({f"글 {n}" for n in range(1, 7)})


async def test_content_format_flag_and_environment(world, tmp_path):
    env = base_env(world, tmp_path, CONTENT_FORMAT="blocks")
    code, _, err = await migrate(f"--post={world.blog_url}/1", "--content-format", "html", env=env, cwd=tmp_path)
    assert code == 0, err
    assert "<!-- wp:" not in world.post_by_title("글 1")["content"]
    code, _, err = await migrate(f"--post={world.blog_url}/2", env=env, cwd=tmp_path)
    assert code == 0, err
    assert "<!-- wp:image " in world.post_by_title("글 2")["content"]
    code, _, err = await migrate("--all", "--content-format", "markdown", env=env, cwd=tmp_path)
    assert code == 2 and "markdown" in err
