"""Reading numbered pages (list pages, mobile JSON pages) ahead of the code that walks them.

A 2,000-post blog has ~100 list pages and ~100 mobile JSON pages; read one after another at 20 ms
each they cost seconds on every run, even when nothing changed. `ReadAhead` fetches up to `window`
next pages while the walker reads the current one, so the walker still sees every page in order,
with the same stopping rules: only the waiting overlaps. The walker caps the read-ahead with
`limit` from what its pages tell about how many there are (paging links, the ids left), so a walk
fetches hardly any page a serial walk would not have; the HTTP client's per-host connection limit
and rate limit still apply to every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["ReadAhead"]

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """`await ahead.get(n)` is `await fetch(n)`, with pages n+1 … fetched meanwhile.

    Use as an async context manager: pages fetched ahead that the walker never asked for are
    cancelled on exit (their errors are dropped: only the pages taken count).
    """

    def __init__(self, fetch: Callable[[int], Awaitable[T]], window: int, *, limit: int | None = None) -> None:
        self._fetch = fetch
        self._window = max(1, window)
        # No page after this one is fetched ahead (the walker raises or lowers it as pages tell how
        # many there are); a page the walker asks for is always fetched.
        self.limit = limit
        self._tasks: dict[int, asyncio.Task[T]] = {}

    def __repr__(self) -> str:
        return f"ReadAhead(window={self._window}, in_flight={sorted(self._tasks)})"

    async def __aenter__(self) -> ReadAhead[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._drop(list(self._tasks))

    async def get(self, number: int) -> T:
        """Page `number`; a walker that jumps elsewhere (a `nextPage` that skips) drops the pages
        fetched before it."""
        await self._drop([n for n in self._tasks if n < number])
        end = number + self._window
        if self.limit is not None:
            end = max(number + 1, min(end, self.limit + 1))
        for ahead in range(number, end):
            if ahead not in self._tasks:
                self._tasks[ahead] = asyncio.ensure_future(self._fetch(ahead))
        return await self._tasks.pop(number)

    async def _drop(self, numbers: list[int]) -> None:
        tasks = [self._tasks.pop(n) for n in numbers]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
