"""HttpClient against a real local server: status → error mapping, retries, Retry-After, permanent 500s."""

from __future__ import annotations

import time

import pytest
from aiohttp import web

from migrator.errors import AuthError, PermanentError, RateLimited, TransientError
from migrator.http import HostLimiters, HttpClient, make_session, parse_retry_after


class Script:
    """Answers each request with the next scripted (status, headers, body); 200 when the script ends."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.hits = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.steps:
            status, headers, body = self.steps.pop(0)
            return web.Response(status=status, headers=headers, text=body, content_type="application/json")
        return web.Response(text='{"ok": true}', content_type="application/json")


async def client_for(aiohttp_server, steps, **kw):
    script = Script(steps)
    app = web.Application()
    app.router.add_route("*", "/{p:.*}", script.handle)
    server = await aiohttp_server(app)
    session = make_session(timeout_s=5)
    kw.setdefault("base_delay_s", 0.01)
    kw.setdefault("max_delay_s", 0.05)
    http = HttpClient(session, service="test", rate_limit=0, **kw)
    return http, script, str(server.make_url("/x")), session


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, PermanentError), (404, PermanentError), (401, AuthError), (403, AuthError), (409, PermanentError)],
)
async def test_non_retryable_statuses(aiohttp_server, status, error):
    http, script, url, session = await client_for(aiohttp_server, [(status, {}, '{"code":"x","message":"m"}')])
    async with session:
        with pytest.raises(error) as info:
            await http.request("GET", url)
    assert info.value.status == status
    assert script.hits == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 408])
async def test_retryable_statuses_then_success(aiohttp_server, status):
    http, script, url, session = await client_for(aiohttp_server, [(status, {}, "{}"), (status, {}, "{}")])
    async with session:
        resp = await http.request("GET", url)
    assert resp.status == 200 and script.hits == 3 and http.stats.retries == 2


async def test_retries_are_bounded(aiohttp_server):
    http, script, url, session = await client_for(aiohttp_server, [(500, {}, "{}")] * 10, max_retries=2)
    async with session:
        with pytest.raises(TransientError):
            await http.request("GET", url)
    assert script.hits == 3


async def test_retry_after_is_honoured(aiohttp_server):
    http, script, url, session = await client_for(aiohttp_server, [(429, {"Retry-After": "1"}, "{}")],
                                                  max_delay_s=5)
    async with session:
        started = time.monotonic()
        await http.request("GET", url)
        waited = time.monotonic() - started
    assert waited >= 0.9 and script.hits == 2


async def test_rate_limited_error_carries_delay(aiohttp_server):
    http, _, url, session = await client_for(aiohttp_server, [(429, {"Retry-After": "0"}, "{}")] * 5, max_retries=0)
    async with session:
        with pytest.raises(RateLimited) as info:
            await http.request("GET", url)
    assert info.value.retry_after_s == 0


async def test_permanent_wordpress_500_is_not_retried(aiohttp_server):
    body = '{"code":"rest_upload_sideload_error","message":"Sorry, you are not allowed to upload this file type."}'
    http, script, url, session = await client_for(
        aiohttp_server, [(500, {}, body)], permanent_codes={"rest_upload_sideload_error"}
    )
    async with session:
        with pytest.raises(PermanentError, match="not allowed to upload"):
            await http.request("POST", url, data=b"x")
    assert script.hits == 1


async def test_connection_refused_is_transient(unused_tcp_port):
    async with make_session(timeout_s=2) as session:
        http = HttpClient(session, service="test", rate_limit=0, base_delay_s=0.01, max_retries=1)
        with pytest.raises(TransientError):
            await http.request("GET", f"http://127.0.0.1:{unused_tcp_port}/")


async def test_limiter_spaces_requests_per_host():
    limiters = HostLimiters(20)
    started = time.monotonic()
    for _ in range(6):
        await limiters.wait_turn("a.example")
    assert time.monotonic() - started >= 0.2    # 6 requests at 20/s need at least 5 gaps of 50 ms
    other = time.monotonic()
    await limiters.wait_turn("b.example")
    assert time.monotonic() - other < 0.05      # another host has its own budget


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), ("0", 0.0), (None, None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


async def test_wordpress_requests_never_follow_a_redirect_with_the_credentials(aiohttp_server):
    """The WordPress client does not follow redirects: a REST request that is redirected (to another
    origin, or to an HTML home page) fails with the target named, and nothing reaches the target."""
    reached: list[str] = []

    async def target(request):
        reached.append(request.headers.get("Authorization", ""))
        return web.json_response({"ok": True})

    other = web.Application()
    other.router.add_route("*", "/{tail:.*}", target)
    other_server = await aiohttp_server(other)

    async def front(request):
        raise web.HTTPMovedPermanently(str(other_server.make_url("/wp-json/wp/v2/posts")))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", front)
    server = await aiohttp_server(app)
    session = make_session(timeout_s=5)
    http = HttpClient(session, service="wordpress", rate_limit=0, max_retries=0, follow_redirects=False)
    try:
        with pytest.raises(PermanentError) as info:
            await http.request("POST", str(server.make_url("/wp-json/wp/v2/posts")), json={"title": "x"},
                               headers={"Authorization": "Basic c2VjcmV0"})
    finally:
        await session.close()
    assert info.value.status == 301 and str(other_server.make_url("")).rstrip("/") in str(info.value)
    assert reached == []
