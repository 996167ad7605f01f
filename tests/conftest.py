"""Shared test fixtures. Every test runs offline: fake servers listen on 127.0.0.1 only."""

from __future__ import annotations

from unittest.mock import Mock

import aioresponses.core
from aiohttp import ClientResponse


class _CompatClientResponse(ClientResponse):
    """aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that aiohttp
    3.14 requires (TypeError otherwise); supply a dummy one so aioresponses keeps working."""

    def __init__(self, *args, stream_writer=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, stream_writer=stream_writer if stream_writer is not None else Mock(), **kwargs)


aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


# --------------------------------------------------------------------------- real host names
# Fake servers can stand in for https://name.tistory.com and https://blog.kakaocdn.net: a resolver
# maps those names to 127.0.0.1 (and refuses every other name, so no test can reach the internet)
# and a trustme CA signs their certificates.
import socket  # noqa: E402
import ssl  # noqa: E402

import pytest  # noqa: E402
import trustme  # noqa: E402
from aiohttp.abc import AbstractResolver, ResolveResult  # noqa: E402


class StaticResolver(AbstractResolver):
    """Resolves chosen host names to local fake servers; refuses every other name."""

    def __init__(self, hosts: dict[str, int]) -> None:
        self.hosts = hosts

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host not in self.hosts:
            raise OSError(f"test resolver: unknown host {host}")
        return [ResolveResult(hostname=host, host="127.0.0.1", port=self.hosts[host], family=socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)]

    async def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_ssl(test_ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("*.tistory.com", "blog.kakaocdn.net", "t1.daumcdn.net", "img1.daumcdn.net",
                       "www.morenice.kr", "morenice.kr").configure_cert(ctx)
    return ctx


@pytest.fixture(scope="session")
def client_ssl(test_ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    test_ca.configure_trust(ctx)
    return ctx


# --------------------------------------------------------------------------- the block editor's validator
@pytest.fixture(scope="session")
def block_validator():  # type: ignore[no-untyped-def]
    """The editor's own parser and validator (tests/blockcheck.py): one Node process per session.
    Skips with a hint when Node or its packages are missing; fails instead under MIGRATOR_REQUIRE_WP=1."""
    from tests.blockcheck import block_validator_or_skip

    with block_validator_or_skip() as check:
        yield check
