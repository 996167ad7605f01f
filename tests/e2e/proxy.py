"""A reverse proxy in front of the real WordPress that SIGKILLs `migrate` at its k-th write.

The real WordPress is a separate PHP server, so the crash points of tests/integration (a middleware
inside FakeWordPress) are not available; this proxy sits between `migrate` and WordPress instead.
Every request that is not GET/HEAD/OPTIONS counts as a write. At the chosen write it kills the
migrate process group either *before* forwarding (WordPress never sees the request) or *after*
WordPress answered (WordPress acted, the client never learns the result): the two windows where a
crash can leave WordPress and the job database disagreeing.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

__all__ = ["KillingProxy"]

# Hop-by-hop headers (RFC 9110 §7.6.1) and the ones aiohttp recomputes for the forwarded message.
_SKIP_REQUEST = {
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "transfer-encoding",
    "content-length",
}
_SKIP_RESPONSE = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "transfer-encoding",
    "content-length",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class _Hold:
    pattern: re.Pattern[str]
    seconds: float
    disposition: str | None
    times: int

    def matches(self, where: str, disposition: str) -> bool:
        return bool(self.pattern.search(where)) and (
            self.disposition is None or self.disposition in disposition
        )


class KillingProxy:
    """Forwards everything to `upstream`; counts writes; kills `pgid` at write number `kill_at`.

    Re-arm between runs with `arm(kill_at, phase, pgid)`; `disarm()` makes it a plain counting proxy.
    `writes` counts the writes since the last (dis)arm; `kills` lists (write number, phase, method path)
    of every kill it made; `log` lists (method, path, status) of every write WordPress answered.
    """

    def __init__(self, upstream: str, *, jitter_s: float = 0.0, seed: int | str = 0) -> None:
        self.upstream = upstream.rstrip("/")
        # Random delay before forwarding each request: shuffles the order in which concurrent
        # workers reach WordPress, as a slow network would.
        self.jitter_s = jitter_s
        self._rng = random.Random(seed)
        self.writes = 0
        self.kill_at: int | None = None
        self.phase = "before"
        self.pgid: int | None = None
        self.fired = False
        self.kills: list[tuple[int, str, str]] = []
        self.log: list[tuple[str, str, int]] = []
        self.match: Callable[[str], object] | None = None
        self.matched = 0
        self._holds: list[_Hold] = []
        self._session: aiohttp.ClientSession | None = None

    def arm(
        self, kill_at: int, phase: str, pgid: int, match: str | Callable[[str], bool] | None = None
    ) -> None:
        """Kill at the `kill_at`-th write; with `match` (a regex searched in "METHOD /path", or a
        predicate called with that string for every write), at the `kill_at`-th write that matches
        (e.g. r"^DELETE " for the first step of a rollback)."""
        if phase not in ("before", "after"):
            raise ValueError(f"phase must be 'before' or 'after', not {phase!r}")
        self.writes, self.kill_at, self.phase, self.pgid, self.fired = 0, kill_at, phase, pgid, False
        self.matched = 0
        self.match = re.compile(match).search if isinstance(match, str) else match

    def hold(self, pattern: str, seconds: float, *, disposition: str | None = None, times: int = 1) -> None:
        """Hold the next `times` requests matching `pattern` (a regex searched in "METHOD /path")
        and, if given, whose Content-Disposition contains `disposition`, for `seconds` before
        forwarding them: forces an interleaving of concurrent workers."""
        self._holds.append(_Hold(re.compile(pattern), seconds, disposition, times))

    def disarm(self) -> None:
        self.writes, self.kill_at, self.pgid, self.fired = 0, None, None, False
        self.matched, self.match = 0, None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _kill(self, where: str) -> None:
        self.fired = True
        self.kills.append((self.writes, self.phase, where))
        if self.pgid is not None:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:  # it had already finished
                pass

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self._session is None:
            # No decompression: bytes and Content-Encoding pass through unchanged.
            self._session = aiohttp.ClientSession(
                auto_decompress=False, timeout=aiohttp.ClientTimeout(total=120)
            )
        body = await request.read()
        armed = False
        where = f"{request.method} {request.path}"
        if request.method in WRITE_METHODS:
            self.writes += 1
            if self.match is None or self.match(where):
                self.matched += 1
                armed = self.kill_at is not None and not self.fired and self.matched == self.kill_at
        if armed and self.phase == "before":
            self._kill(where)
            return web.Response(status=502, text="killed before forwarding")
        if self.jitter_s:
            await asyncio.sleep(self._rng.uniform(0, self.jitter_s))
        for held in self._holds:
            if held.times > 0 and held.matches(where, request.headers.get("Content-Disposition", "")):
                held.times -= 1
                await asyncio.sleep(held.seconds)
                break
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIP_REQUEST}
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            out_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in _SKIP_RESPONSE]
            status = upstream.status
        if request.method in WRITE_METHODS:
            self.log.append((request.method, request.path, status))
        if armed:  # phase "after": WordPress acted; the client never sees the answer
            self._kill(where)
        return web.Response(status=status, body=payload, headers=CIMultiDict(out_headers))
