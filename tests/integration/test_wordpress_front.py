"""The WordPress front door (issue 8): the REST root WordPress advertises, and every way a WP_BASE_URL
can be unusable, named in one line with exit 2 before the blog is touched.

Each test runs the real `migrate` command (a subprocess) against the fake blog and a FakeWordPress
in one of its site modes, or a tiny server standing where WordPress should be (tests/fakes/wp_front.py).
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.blog import FakePost
from tests.fakes.wp_front import not_wordpress_app, password_protected_app, redirect_app
from tests.harness import APP_PASSWORD, make_world
from tests.integration.test_cli import base_env, migrate

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(aiohttp_server, tmp_path):
    w = await make_world(aiohttp_server, tmp_path)
    for n in range(1, 4):
        w.blog.add(FakePost(n, f"글 {n}", category="분류", tags=("태그",), images=(w.image(f"i{n}", n),),
                            body_html=f'<p>본문 {n} <a href="{w.blog_url}/{n % 3 + 1}">다음</a></p>'))
    return w


def error_lines(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("migrate: error:")]


def assert_named(code: int, out: str, err: str, *words: str) -> str:
    """Exit 2, exactly one error line that contains every word, no traceback."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in err + out, err
    lines = error_lines(err)
    assert len(lines) == 1, err
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])
    print(lines[0])  # shown with -s: the exact line a user sees
    return lines[0]


# ---------------------------------------------------------------------------------------- B: the root


async def test_plain_permalinks_every_request_goes_through_rest_route(world, tmp_path):
    world.wp.permalinks = "plain"
    code, out, err = await migrate("--all", env=base_env(world, tmp_path), cwd=tmp_path)
    assert code == 0, (out, err)
    assert sorted(p["title"] for p in world.wp_posts()) == ["글 1", "글 2", "글 3"]
    assert len(world.wp.media) == 3
    rest = [(m, pq) for m, pq in world.wp.requests if "rest_route=" in pq]
    assert not [pq for _, pq in world.wp.requests if pq.startswith("/wp-json")]
    # Uploads keep their query-string fields next to rest_route; searches their own parameters.
    uploads = [parse_qs(urlsplit(pq).query) for m, pq in rest if m == "POST" and "media" in pq]
    assert uploads and all(q["rest_route"] == ["/wp/v2/media"] and "description" in q for q in uploads)
    # Internal links lead to the drafts' addresses under plain permalinks: ?p=<id>.
    first = world.post_by_title("글 1")
    assert f"?p={world.post_by_title('글 2')['id']}" in first["content"]


@pytest.mark.parametrize("permalinks", ["plain", "pretty"])
async def test_wordpress_in_a_subfolder(world, tmp_path, permalinks):
    world.wp.subfolder, world.wp.permalinks = "/blog", permalinks
    env = base_env(world, tmp_path, WP_BASE_URL=world.wp_url + "/blog")
    code, out, err = await migrate("--all", env=env, cwd=tmp_path)
    assert code == 0, (out, err)
    assert len(world.wp_posts()) == 3
    assert all(pq.startswith("/blog/") for _, pq in world.wp.requests)
    for post in world.wp_posts():
        assert f"{world.wp_url}/blog/wp-content/uploads/" in post["content"]


# ---------------------------------------------------------------------------------------- A: the race


async def test_upload_folder_race_is_retried_and_the_post_migrated_in_one_run(world, tmp_path):
    world.wp.upload_folder_race = True
    code, out, err = await migrate("--all", env=base_env(world, tmp_path), cwd=tmp_path)
    assert code == 0, (out, err)
    assert len(world.wp_posts()) == 3 and len(world.wp.media) == 3
    assert world.wp.folders_made  # the race did happen
    assert "Failed posts" not in out


@pytest.mark.parametrize("status, code", [(400, "db_insert_error"), (500, "db_update_error"), (502, "")])
async def test_database_lock_waits_and_bare_5xx_are_retried(world, status, code):
    """MySQL lock-wait timeouts reach us as db_insert_error (400 for media, 500 for posts); a proxy's
    502 has no WordPress code at all. Each is retried within the run."""
    from tests.fakes.wordpress import FailRule

    world.wp.rules.append(FailRule("POST", r"/wp/v2/media$", status=status, code=code, times=1))
    world.wp.rules.append(FailRule("POST", r"/wp/v2/posts/\d+$", status=status, code=code, times=1))
    report = await world.run()
    assert report.counters.failed == 0, report.counters.failures
    assert len(world.wp_posts()) == 3 and len(world.wp.media) == 3
    assert all(rule.fired == 1 for rule in world.wp.rules)


async def test_a_transient_answer_that_persists_fails_the_post_and_the_run_goes_on(world):
    from tests.fakes.wordpress import FailRule

    busy = FailRule("POST", r"/wp/v2/media$", status=500, code="db_insert_error", times=10_000)
    world.wp.rules.append(busy)
    report = await world.run()
    assert report.status == "completed_with_failures" and report.counters.failed == 3
    world.wp.rules.clear()
    again = await world.run()
    assert again.counters.failed == 0 and len(world.wp_posts()) == 3


# ---------------------------------------------------------------------------------------- C: named


@pytest.mark.parametrize("catch_all", [True, False], ids=["answers-every-path", "404-elsewhere"])
async def test_not_a_wordpress_site(world, tmp_path, aiohttp_server, catch_all):
    app, _ = not_wordpress_app(catch_all=catch_all)
    server = await aiohttp_server(app)
    env = base_env(world, tmp_path, WP_BASE_URL=str(server.make_url("")).rstrip("/"))
    assert_named(*await migrate("--all", env=env, cwd=tmp_path), "not look like a WordPress site")
    assert world.blog.requests == []


async def test_rest_api_blocked_by_a_plugin(world, tmp_path):
    world.wp.rest_blocked = (401, "rest_cannot_access", "Only authenticated users can access the REST API.")
    line = assert_named(*await migrate("--all", env=base_env(world, tmp_path), cwd=tmp_path),
                        "REST API", "blocked", "security plugin", "rest_cannot_access")
    assert "WP_APP_PASSWORD" not in line
    assert world.blog.requests == []


async def test_connection_refused(world, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = base_env(world, tmp_path, WP_BASE_URL=f"http://127.0.0.1:{port}")
    assert_named(*await migrate("--all", env=env, cwd=tmp_path), "connection refused", f"127.0.0.1:{port}")
    assert world.blog.requests == []


async def test_tls_error(world, tmp_path):
    env = base_env(world, tmp_path, WP_BASE_URL=world.wp_url.replace("http://", "https://"))
    assert_named(*await migrate("--all", env=env, cwd=tmp_path), "TLS")
    assert world.blog.requests == []


async def test_redirect_loop(world, tmp_path, aiohttp_server):
    app, _ = redirect_app(None)
    server = await aiohttp_server(app)
    env = base_env(world, tmp_path, WP_BASE_URL=str(server.make_url("")).rstrip("/"))
    assert_named(*await migrate("--all", env=env, cwd=tmp_path), "redirect loop")
    assert world.blog.requests == []


async def test_base_url_that_redirects_elsewhere_names_the_address_to_use(world, tmp_path, aiohttp_server):
    app, seen = redirect_app(world.wp_url)
    server = await aiohttp_server(app)
    env = base_env(world, tmp_path, WP_BASE_URL=str(server.make_url("")).rstrip("/"))
    line = assert_named(*await migrate("--all", env=env, cwd=tmp_path), f"WP_BASE_URL={world.wp_url}")
    assert "password" not in line.split("(")[0].lower()  # not reported as a wrong password
    assert seen and not any(had_auth for _, _, had_auth in seen)
    assert not any("Authorization" in str(r) for r in world.wp.requests)
    assert world.blog.requests == []


async def test_credentials_in_the_url_are_refused_and_never_echoed(world, tmp_path):
    host = world.wp_url.split("//", 1)[1]
    env = base_env(world, tmp_path, WP_BASE_URL=f"http://admin:s3cret-pw@{host}")
    code, out, err = await migrate("--all", env=env, cwd=tmp_path)
    assert_named(code, out, err, "WP_BASE_URL", "user name or password")
    assert "s3cret-pw" not in out + err
    assert world.wp.requests == [] and world.blog.requests == []


async def test_credentials_that_never_reach_wordpress(world, tmp_path):
    world.wp.strip_authorization = True
    line = assert_named(*await migrate("--all", env=base_env(world, tmp_path), cwd=tmp_path),
                        "Authorization", "SetEnvIf", "HTTP_AUTHORIZATION")
    assert APP_PASSWORD not in line
    assert world.blog.requests == []


async def test_site_behind_a_server_password(world, tmp_path, aiohttp_server):
    app, _ = password_protected_app()
    server = await aiohttp_server(app)
    env = base_env(world, tmp_path, WP_BASE_URL=str(server.make_url("")).rstrip("/"))
    assert_named(*await migrate("--all", env=env, cwd=tmp_path), "server password", "WWW-Authenticate")
    assert world.blog.requests == []
