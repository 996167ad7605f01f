"""The one connection to the job database and the way every statement goes through it.

All coroutines share one aiosqlite connection. Single statements are not serialised: aiosqlite runs
them in order on its thread, each atomic, so many workers' writes are pipelined. Only a
multi-statement change takes the lock (`transaction()`), and a statement issued while it is held
waits for it, or it would land inside someone else's transaction. Every sqlite3 failure becomes a
StateError: without its state a run cannot stay duplicate-free.

The table families (jobs, items, assets, links, terms, meta) are mixins over `StoreBase`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import aiosqlite

from migrator.errors import StateError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["Row", "StoreBase", "Transaction", "close_cursor", "columns"]

# What a statement hands back: the connection has no row factory, so each row is a tuple.
Row = tuple[Any, ...]


def columns(record: type[DataclassInstance], alias: str = "") -> str:
    """The SELECT list of a row dataclass, in field order (so that `record(*row)` builds it)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + f.name for f in fields(record))


async def close_cursor(statement: Awaitable[aiosqlite.Cursor]) -> None:
    """Await a statement and close its cursor.

    A sqlite3 cursor must be closed on aiosqlite's thread: dropped on the event loop's thread, its
    finaliser resets the statement while the other thread uses the connection (sqlite3.InterfaceError
    "bad parameter or other API misuse").
    """
    cursor = await statement
    await cursor.close()


@contextlib.contextmanager
def _state_errors() -> Iterator[None]:
    """A database that fails (disk full, I/O error, corruption) must stop the run."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StateError(f"the job database failed: {exc.__class__.__name__}: {exc}") from exc


class Transaction:
    """The statements of one transaction; each closes its cursor on aiosqlite's thread."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await close_cursor(self._conn.execute(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            await close_cursor(self._conn.executemany(sql, rows))


class StoreBase:
    """The connection and the statement helpers every table family uses."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._tx_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._tx_lock:
            await self._run(self._conn.execute("BEGIN IMMEDIATE"))
            try:
                yield Transaction(self._conn)
            except BaseException:
                await self._run(self._conn.execute("ROLLBACK"))
                raise
            else:
                await self._run(self._conn.execute("COMMIT"))

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[None]:
        # Not locked when no transaction runs: nothing is awaited before the caller issues its
        # statement, so it is queued on aiosqlite's thread ahead of any transaction that starts later.
        with _state_errors():
            if self._tx_lock.locked():
                async with self._tx_lock:
                    yield
            else:
                yield

    async def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement (autocommit), one round trip. Returns lastrowid."""
        async with self._statement():
            row = await self._conn.execute_insert(sql, params)
        return int(row[0]) if row else 0

    async def _returning(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One write statement with a RETURNING clause (autocommit)."""
        async with self._statement():
            return cast(list[Row], list(await self._conn.execute_fetchall(sql, params)))

    async def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            async with self._statement():
                await self._run(self._conn.executemany(sql, rows))

    @staticmethod
    async def _run(statement: Awaitable[aiosqlite.Cursor]) -> None:
        await close_cursor(statement)

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with _state_errors():
            return cast(list[Row], list(await self._conn.execute_fetchall(sql, params)))

    async def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """The single number a COUNT query answers."""
        row = await self._one(sql, params)
        return int(row[0]) if row else 0
