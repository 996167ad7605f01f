"""ReadAhead: pages come back in the walker's order, fetched ahead only within `limit`."""

from __future__ import annotations

import asyncio

import pytest

from migrator.tistory.readahead import ReadAhead


class Pages:
    """Numbered pages that take a moment each; records what was fetched and how many at once."""

    def __init__(self, failing: frozenset[int] = frozenset()) -> None:
        self.fetched: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.failing = failing

    async def fetch(self, number: int) -> str:
        self.fetched.append(number)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if number in self.failing:
                raise RuntimeError(f"page {number} failed")
            return f"page {number}"
        finally:
            self.in_flight -= 1


async def test_the_walker_gets_every_page_in_order_while_the_next_ones_are_fetched() -> None:
    pages = Pages()
    async with ReadAhead(pages.fetch, 4, limit=10) as ahead:
        got = [await ahead.get(n) for n in range(1, 11)]

    assert got == [f"page {n}" for n in range(1, 11)]
    assert sorted(pages.fetched) == list(range(1, 11))      # each page once
    assert pages.most_in_flight == 4


async def test_no_page_past_the_limit_is_fetched_ahead_but_an_asked_one_always_is() -> None:
    pages = Pages()
    async with ReadAhead(pages.fetch, 8, limit=3) as ahead:
        assert [await ahead.get(n) for n in (1, 2, 3)] == ["page 1", "page 2", "page 3"]
        assert sorted(pages.fetched) == [1, 2, 3]
        assert await ahead.get(4) == "page 4"             # past the limit: asked, so fetched
        ahead.limit = 6
        assert await ahead.get(5) == "page 5"
    assert sorted(pages.fetched) == [1, 2, 3, 4, 5, 6]


async def test_a_failed_page_fails_when_taken_and_pages_never_taken_do_not_matter() -> None:
    pages = Pages(failing=frozenset({2, 5}))
    async with ReadAhead(pages.fetch, 8, limit=6) as ahead:
        assert await ahead.get(1) == "page 1"
        with pytest.raises(RuntimeError, match="page 2 failed"):
            await ahead.get(2)
        assert await ahead.get(3) == "page 3"
    # page 5 failed ahead of the walk and was never taken: no error, nothing left running
    assert pages.in_flight == 0


async def test_a_walker_that_jumps_drops_the_pages_it_skipped() -> None:
    pages = Pages()
    async with ReadAhead(pages.fetch, 3, limit=20) as ahead:
        assert await ahead.get(0) == "page 0"
        assert await ahead.get(10) == "page 10"           # a `nextPage` that skips ahead
        assert await ahead.get(11) == "page 11"
    assert pages.in_flight == 0
    assert 11 in pages.fetched and 13 not in pages.fetched[:4]
