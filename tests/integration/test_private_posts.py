"""Private posts ask a guest to log in (401, or a redirect to the login page): they are skipped as
private, with a clean run, and read again by the next run (a post made public later is migrated)."""

from __future__ import annotations

from aiohttp import web

from migrator.models import JobStatus
from tests.fakes.blog import FakePost
from tests.harness import make_world

LOGIN_PAGE = "<html><head><title>TISTORY</title></head><body><form>로그인</form></body></html>"


async def test_login_walls_are_private_posts_not_failures(aiohttp_server, tmp_path):
    world = await make_world(aiohttp_server, tmp_path, [FakePost(n, f"글 {n}") for n in (1, 2, 3)])
    walled = {"/2": 401, "/3": 302}

    @web.middleware
    async def login_wall(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.path == "/auth/login":
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        status = walled.get(request.path)
        if status == 401:
            return web.Response(status=401, text=LOGIN_PAGE, content_type="text/html")
        if status == 302:
            raise web.HTTPFound(f"/auth/login?redirectUrl={request.path}")
        return await handler(request)

    app = world.blog.app()
    app.middlewares.append(login_wall)
    world.blog_url = str((await aiohttp_server(app)).make_url("")).rstrip("/")

    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    assert report.counters.failed == 0 and report.counters.skipped == 2
    assert report.counters.skip_reasons == {"private": 2}
    assert set(world.wp_titles()) == {"글 1"}

    walled.clear()  # the owner made them public
    report = await world.run()
    assert report.status == JobStatus.COMPLETED
    assert set(world.wp_titles()) == {"글 1", "글 2", "글 3"}
