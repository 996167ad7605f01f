"""StateStore: the migration state in SQLite (through aiosqlite). Every SQL statement of migrator lives
in this package, one module per table family; `StateStore` is all of them over one connection.

One connection, WAL, `synchronous=FULL`: the intent rows written before each WordPress create must
survive a power cut, not only a killed process. How statements share the connection is told in
`connection.py`; the schema and the migration of older databases in `schema.py`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from migrator.errors import StateError
from migrator.state.assets import Asset, AssetsMixin, AssetStatus
from migrator.state.comments import CommentCountsRow, CommentRow, CommentsMixin
from migrator.state.connection import StoreBase
from migrator.state.items import Item, ItemsMixin
from migrator.state.jobs import Job, JobsMixin, pid_alive
from migrator.state.links import LinkPass, LinkRewrite, LinkRow, LinksMixin
from migrator.state.meta import MetaMixin
from migrator.state.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from migrator.state.terms import TermRow, TermsMixin

# The row records and schema names are re-exported: callers import them from here.
__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Asset",
    "AssetStatus",
    "CommentCountsRow",
    "CommentRow",
    "Item",
    "Job",
    "LinkPass",
    "LinkRewrite",
    "LinkRow",
    "StateStore",
    "TermRow",
    "pid_alive",
]


class StateStore(
    JobsMixin, ItemsMixin, AssetsMixin, LinksMixin, TermsMixin, MetaMixin, CommentsMixin, StoreBase
):
    """The job database. Open with `await StateStore.open(path)`; close with `await store.close()`."""

    def __repr__(self) -> str:
        return f"StateStore(path={str(self.path)!r})"

    @classmethod
    async def open(cls, path: Path | str, *, read_only: bool = False) -> StateStore:
        """Open (creating if needed) and migrate the database. Raises StateError."""
        path = Path(path)
        try:
            conn = await aiosqlite.connect(str(path), isolation_level=None, timeout=30)
        except (sqlite3.Error, OSError) as exc:
            raise StateError(f"cannot open the job database {path}: {exc}") from None
        store = cls(conn, path)
        try:
            await store._run(conn.execute("PRAGMA busy_timeout = 30000"))
            if not read_only:
                await store._run(conn.execute("PRAGMA journal_mode = WAL"))
            await store._run(conn.execute("PRAGMA synchronous = FULL"))
            await store._run(conn.execute("PRAGMA foreign_keys = ON"))
            await migrate(conn, path)
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StateError(f"the job database {path} is not usable: {exc}") from None
        except BaseException:
            await conn.close()
            raise
        return store

    async def close(self) -> None:
        await self._conn.close()
