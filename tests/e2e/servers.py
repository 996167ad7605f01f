"""Serving aiohttp apps (fake blog, fake CDN, killing proxy) from a background thread.

The end-to-end tests are synchronous: they start the real `migrate` command with subprocess and
wait for it, so the fake servers cannot live in the test's own event loop. `BackgroundLoop` runs
one asyncio loop in a daemon thread for the whole session; `serve(app)` starts an app on a free
127.0.0.1 port in that loop and `close_all()` stops what a test started.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web

__all__ = ["BackgroundLoop", "Served"]

T = TypeVar("T")


class Served:
    """One app listening on 127.0.0.1; `url` is its origin (no trailing slash)."""

    def __init__(self, runner: web.AppRunner, url: str) -> None:
        self.runner = runner
        self.url = url


class BackgroundLoop:
    """An asyncio loop in a daemon thread, for servers that must keep answering while the test blocks."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="e2e-servers", daemon=True)
        self._thread.start()
        self._served: list[Served] = []

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine in the background loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def serve(self, app: web.Application) -> Served:
        async def start() -> Served:
            # No access log: the subprocess makes hundreds of requests per run.
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            return Served(runner, f"http://{host}:{port}")

        served = self.call(start())
        self._served.append(served)
        return served

    def close_all(self) -> None:
        """Stop every app started with `serve` (between tests)."""
        served, self._served = self._served, []
        for item in served:
            self.call(item.runner.cleanup())

    def stop(self) -> None:
        self.close_all()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
