"""KeyedLocks: one holder per key at a time, keys independent, nothing kept once released."""

from __future__ import annotations

import asyncio

import pytest

from migrator.core.pipeline import KeyedLocks


async def test_one_holder_per_key_and_the_waiter_gets_it_after() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    first_in = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with locks.hold("a"):
            order.append("first in")
            first_in.set()
            await release_first.wait()
            order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with locks.hold("a"):
            order.append("second in")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_in.wait()
    await asyncio.sleep(0.01)
    assert order == ["first in"]  # the second waits
    assert len(locks) == 1
    release_first.set()
    await asyncio.gather(*tasks)
    assert order == ["first in", "first out", "second in"]
    assert len(locks) == 0  # forgotten once nobody holds or waits


async def test_different_keys_do_not_wait_for_each_other() -> None:
    locks = KeyedLocks()
    async with locks.hold("a"):
        async with asyncio.timeout(1):
            async with locks.hold("b"):
                assert len(locks) == 2
    assert len(locks) == 0


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    locks = KeyedLocks()
    entered = asyncio.Event()

    async def wait_for_a() -> None:
        async with locks.hold("a"):
            entered.set()

    async with locks.hold("a"):
        waiter = asyncio.create_task(wait_for_a())
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert not entered.is_set()
    assert len(locks) == 0


async def test_an_error_inside_releases_the_key() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("a"):
            raise RuntimeError("boom")
    async with asyncio.timeout(1):
        async with locks.hold("a"):
            pass
    assert len(locks) == 0
