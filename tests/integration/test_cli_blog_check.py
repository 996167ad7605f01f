"""`migrate` pointed at a site that is not a Tistory blog: exit 2 with the reason, no post fetched."""

from __future__ import annotations

import pytest
from aiohttp import web

from tests.fakes.blog import FakePost
from tests.harness import make_world
from tests.integration.test_cli import base_env, migrate

OTHER_SITE_HOME = """<!DOCTYPE html><html><head><title>Some news site</title>
<link rel="stylesheet" href="/static/site.css"></head><body>
<h1>Archive</h1><a href="/2023">2023</a> <a href="/2024">2024</a> <a href="/12">Issue 12</a>
</body></html>"""


def other_site(requests: list[str]) -> web.Application:
    async def home(request: web.Request) -> web.Response:
        requests.append(request.path_qs)
        return web.Response(text=OTHER_SITE_HOME, content_type="text/html")

    async def anything(request: web.Request) -> web.Response:
        requests.append(request.path_qs)
        return web.Response(text=OTHER_SITE_HOME.replace("Archive", request.path), content_type="text/html")

    app = web.Application()
    app.router.add_get("/", home)
    app.router.add_get("/{tail:.*}", anything)
    return app


@pytest.mark.parametrize("mode", [(), ("--dry-run",)], ids=["migrate", "dry-run"])
async def test_a_blog_url_that_is_not_tistory_exits_2_before_any_post(aiohttp_server, tmp_path, mode):
    world = await make_world(aiohttp_server, tmp_path, [FakePost(1, "글 1")])
    requests: list[str] = []
    server = await aiohttp_server(other_site(requests))
    other_url = str(server.make_url("")).rstrip("/")
    env = base_env(world, tmp_path, TISTORY_BLOG_URL=other_url)

    code, out, err = await migrate("--all", *mode, "--no-progress", env=env, cwd=tmp_path)

    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if "not a Tistory blog" in line]
    assert len(lines) == 1 and "TISTORY_BLOG_URL" in lines[0] and "Traceback" not in err
    assert not [r for r in requests if r.strip("/").isdigit()]       # no post page was fetched
    assert world.wp.posts == {}
