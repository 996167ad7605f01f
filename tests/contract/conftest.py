"""Fixtures for the WordPress contract tests: the same client against FakeWordPress and a real one.

`real_wp` (session) starts ONE real WordPress through scripts/wp-local.sh (tests/realwp.py) and
stops it at the end; it skips with a hint when that is impossible, or fails under
MIGRATOR_REQUIRE_WP=1. `wp` is parametrized over both backends ("real" is marked e2e) and gives
a `WPApi`: a thin aiohttp client that returns (status, json, headers) without raising.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.fakes.wordpress import FakeWordPress
from tests.realwp import RealWordPress, real_wordpress_or_skip

TIMEZONE = "Asia/Seoul"


@pytest.fixture(scope="session")
def real_wp() -> Iterator[RealWordPress]:
    with real_wordpress_or_skip(timezone=TIMEZONE) as wp:
        yield wp


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


@dataclass
class WPApi:
    """One backend: its base URL, credentials, and (for the fake) the FakeWordPress object."""

    kind: str  # "fake" or "real"
    base: str  # http://127.0.0.1:PORT
    user: str
    app_password: str
    session: aiohttp.ClientSession
    fake: FakeWordPress | None = None
    subscriber: tuple[str, str] | None = None

    def auth_header(self, user: str | None = None, password: str | None = None) -> dict[str, str]:
        return {"Authorization": aiohttp.encode_basic_auth(user or self.user, password or self.app_password)}

    async def call(
        self,
        method: str,
        route: str,
        *,
        auth: bool | dict[str, str] = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Reply:
        """`route` is like "/wp/v2/posts" (under /wp-json) or an absolute URL."""
        url = route if route.startswith("http") else f"{self.base}/wp-json{route}"
        hdrs: dict[str, str] = {}
        if auth is True:
            hdrs.update(self.auth_header())
        elif isinstance(auth, dict):
            hdrs.update(auth)
        hdrs.update(headers or {})
        async with self.session.request(method, url, headers=hdrs, **kwargs) as resp:
            raw = await resp.read()
            try:
                body: Any = await resp.json(content_type=None) if raw else None
            except ValueError:
                body = raw
            return Reply(resp.status, body, resp.headers)

    async def get(self, route: str, **kw: Any) -> Reply:
        return await self.call("GET", route, **kw)

    async def post(self, route: str, **kw: Any) -> Reply:
        return await self.call("POST", route, **kw)

    async def delete(self, route: str, **kw: Any) -> Reply:
        return await self.call("DELETE", route, **kw)

    async def fetch(self, url: str) -> tuple[int, bytes, str]:
        async with self.session.get(url) as resp:
            return resp.status, await resp.read(), resp.content_type

    def subscriber_auth(self) -> dict[str, str]:
        """Credentials of an authenticated user without the right to write."""
        if self.fake is not None:
            self.fake.role = "subscriber"
            return self.auth_header()
        if not self.subscriber or not self.subscriber[0]:
            pytest.skip("this WordPress instance has no subscriber account")
        return self.auth_header(*self.subscriber)


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.e2e)])
async def wp(request: pytest.FixtureRequest) -> AsyncIterator[WPApi]:
    async with aiohttp.ClientSession() as session:
        if request.param == "fake":
            fake = FakeWordPress(timezone=TIMEZONE)
            server = TestServer(fake.app())
            await server.start_server()
            try:
                yield WPApi(
                    "fake",
                    str(server.make_url("")).rstrip("/"),
                    fake.user,
                    fake.app_password,
                    session,
                    fake=fake,
                )
            finally:
                await server.close()
        else:
            real: RealWordPress = request.getfixturevalue("real_wp")
            yield WPApi(
                "real",
                real.url,
                real.user,
                real.app_password,
                session,
                subscriber=(real.subscriber_user, real.subscriber_password),
            )
