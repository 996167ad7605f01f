"""StateStore: the migration state in SQLite (through aiosqlite). Every SQL statement of migrator lives here.

One connection, WAL, `synchronous=FULL`: the intent rows written before each WordPress create must
survive a power cut, not only a killed process. Writes are serialised by an asyncio lock because all
coroutines share the one connection; a multi-statement change would use `transaction()`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from migrator.errors import StateError
from migrator.models import ItemStatus, JobStatus, MissingFile

__all__ = [
    "SCHEMA_VERSION",
    "Asset",
    "Item",
    "Job",
    "LinkPass",
    "LinkRewrite",
    "LinkRow",
    "StateStore",
    "TermRow",
    "pid_alive",
]

# Each entry migrates the schema from version i to i+1; never edit a released entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN
            ('running','completed','completed_with_failures','interrupted','aborted')),
        blog_url TEXT NOT NULL DEFAULT '',
        wp_base_url TEXT NOT NULL DEFAULT '',
        pid INTEGER,
        started_at REAL NOT NULL,
        ended_at REAL,
        discovered INTEGER NOT NULL DEFAULT 0,
        completed INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        already_done INTEGER NOT NULL DEFAULT 0,
        images_uploaded INTEGER NOT NULL DEFAULT 0,
        images_reused INTEGER NOT NULL DEFAULT 0,
        discovery_json TEXT,
        error TEXT
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        post_id INTEGER UNIQUE,
        canonical_url TEXT NOT NULL UNIQUE,
        slug TEXT,
        title TEXT,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
            ('pending','running','completed','failed','skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        skip_reason TEXT,
        post_intent INTEGER NOT NULL DEFAULT 0,
        marker TEXT,
        wp_post_id INTEGER,
        wp_slug TEXT,
        wp_link TEXT,
        created_by_job INTEGER REFERENCES jobs(id),
        job_id INTEGER REFERENCES jobs(id),
        discovered_by TEXT,
        images INTEGER NOT NULL DEFAULT 0,
        started_at REAL,
        finished_at REAL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX items_status ON items(status);
    CREATE TABLE url_aliases (
        url TEXT PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE
    );
    CREATE TABLE image_assets (
        id INTEGER PRIMARY KEY,
        source_key TEXT NOT NULL UNIQUE,
        source_url TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'image' CHECK (kind IN ('image','attachment')),
        content_hash TEXT,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
            ('pending','uploading','uploaded','failed')),
        owner_item_id INTEGER REFERENCES items(id),
        job_id INTEGER REFERENCES jobs(id),
        media_id INTEGER,
        media_url TEXT,
        reused_from INTEGER REFERENCES image_assets(id),
        filename TEXT,
        error TEXT,
        updated_at REAL NOT NULL
    );
    CREATE INDEX image_assets_hash ON image_assets(content_hash);
    CREATE INDEX image_assets_media ON image_assets(media_id);
    CREATE TABLE item_assets (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        asset_id INTEGER NOT NULL REFERENCES image_assets(id) ON DELETE CASCADE,
        PRIMARY KEY (item_id, asset_id)
    );
    CREATE INDEX item_assets_asset ON item_assets(asset_id);
    CREATE TABLE internal_links (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        source_url TEXT NOT NULL,
        href TEXT NOT NULL,
        target_url TEXT NOT NULL,
        target_post_id INTEGER,
        target_slug TEXT,
        fragment TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (item_id, href)
    );
    CREATE INDEX internal_links_target ON internal_links(target_url);
    -- The post map (Tistory URL -> WordPress post) is derived from the items, so it can never
    -- disagree with them.
    CREATE VIEW post_map AS
        SELECT canonical_url AS source_url, id AS item_id, post_id, slug, wp_post_id, wp_slug, wp_link,
               finished_at AS updated_at
        FROM items WHERE status = 'completed' AND wp_post_id IS NOT NULL;
    CREATE TABLE terms (
        taxonomy TEXT NOT NULL CHECK (taxonomy IN ('categories','tags')),
        key TEXT NOT NULL,
        wp_id INTEGER NOT NULL,
        created_by_job INTEGER REFERENCES jobs(id),
        PRIMARY KEY (taxonomy, key)
    );
    """,
    # 1 -> 2 (issue 5): internal-link rewriting state per post, and undone jobs.
    """
    ALTER TABLE jobs ADD COLUMN undone_at REAL;
    -- One row per internal link of a migrated post: what its WordPress content holds now.
    CREATE TABLE link_rewrites (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        href TEXT NOT NULL,
        written_href TEXT,
        target_item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
        reason TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (item_id, href)
    );
    CREATE INDEX link_rewrites_target ON link_rewrites(target_item_id);
    -- A post whose links were checked against its WordPress content (which post, which migration).
    CREATE TABLE link_passes (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        wp_post_id INTEGER NOT NULL,
        item_finished_at REAL,
        checked_at REAL NOT NULL
    );
    -- Choices remembered between commands (e.g. the link style of rewrite-links).
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2 -> 3 (issue 8): files a migrated post could not get. A completed post with rows here is
    # "migrated with missing files": its content keeps their original addresses, and the next run
    # tries them again.
    """
    CREATE TABLE missing_files (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        source_key TEXT NOT NULL,
        url TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'image',
        reason TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (item_id, source_key)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    status: str
    blog_url: str
    wp_base_url: str
    pid: int | None
    started_at: float
    ended_at: float | None
    discovered: int
    completed: int
    failed: int
    skipped: int
    already_done: int
    images_uploaded: int
    images_reused: int
    discovery_json: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    post_id: int | None
    canonical_url: str
    slug: str | None
    title: str | None
    status: str
    attempts: int
    error: str | None
    skip_reason: str | None
    post_intent: int
    marker: str | None
    wp_post_id: int | None
    wp_slug: str | None
    wp_link: str | None
    created_by_job: int | None
    job_id: int | None
    discovered_by: str | None
    images: int
    started_at: float | None
    finished_at: float | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class Asset:
    id: int
    source_key: str
    source_url: str
    kind: str
    content_hash: str | None
    status: str
    owner_item_id: int | None
    job_id: int | None
    media_id: int | None
    media_url: str | None
    reused_from: int | None
    filename: str | None
    error: str | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class LinkRow:
    href: str
    target_url: str
    target_post_id: int | None
    target_slug: str | None
    fragment: str


# ---- issue 5: records of the link rewriting, undo and status queries
@dataclass(frozen=True, slots=True)
class LinkRewrite:
    """One internal link of a migrated post: `href` as the Tistory body had it, `written_href` what the
    WordPress content holds instead (None: left as it was, `reason` says why)."""

    item_id: int
    href: str
    written_href: str | None
    target_item_id: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class LinkPass:
    """The last check of a post's links: against which WordPress post and which migration of it."""

    item_id: int
    wp_post_id: int
    item_finished_at: float | None
    checked_at: float


@dataclass(frozen=True, slots=True)
class TermRow:
    taxonomy: str
    key: str
    wp_id: int
    created_by_job: int | None


# ---- end issue 5 records


def _row(cls: type, row: Sequence[Any] | None) -> Any:
    if row is None:
        return None
    return cls(*row)


_JOB_COLS = ", ".join(Job.__slots__)  # type: ignore[attr-defined]
_ITEM_COLS = ", ".join(Item.__slots__)  # type: ignore[attr-defined]
_ASSET_COLS = ", ".join(Asset.__slots__)  # type: ignore[attr-defined]


class StateStore:
    """The job database. Open with `await StateStore.open(path)`; close with `await store.close()`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._tx_lock: Any = None

    def __repr__(self) -> str:
        return f"StateStore(path={str(self.path)!r})"

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    async def open(cls, path: Path | str, *, read_only: bool = False) -> StateStore:
        """Open (creating if needed) and migrate the database. Raises StateError."""
        import asyncio

        path = Path(path)
        try:
            conn = await aiosqlite.connect(str(path), isolation_level=None, timeout=30)
        except (sqlite3.Error, OSError) as exc:
            raise StateError(f"cannot open the job database {path}: {exc}") from None
        store = cls(conn, path)
        store._tx_lock = asyncio.Lock()
        try:
            await store._run(conn.execute("PRAGMA busy_timeout = 30000"))
            if not read_only:
                await store._run(conn.execute("PRAGMA journal_mode = WAL"))
            await store._run(conn.execute("PRAGMA synchronous = FULL"))
            await store._run(conn.execute("PRAGMA foreign_keys = ON"))
            await store._migrate()
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StateError(f"the job database {path} is not usable: {exc}") from None
        except BaseException:
            await conn.close()
            raise
        return store

    async def close(self) -> None:
        await self._conn.close()

    async def _migrate(self) -> None:
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StateError(
                f"the job database {self.path} was written by a newer migrator (schema {version}, "
                f"this one knows {SCHEMA_VERSION})"
            )
        for target in range(version, SCHEMA_VERSION):
            script = MIGRATIONS[target]
            # executescript commits; the version bump is in the same script so a crash cannot
            # leave a half-applied migration recorded as done.
            await self._conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {target + 1};\nCOMMIT;"
            )

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Tx]:
        async with self._tx_lock:
            await self._run(self._conn.execute("BEGIN IMMEDIATE"))
            try:
                yield _Tx(self)
            except BaseException:
                await self._run(self._conn.execute("ROLLBACK"))
                raise
            else:
                await self._run(self._conn.execute("COMMIT"))

    # Each call below is ONE round trip to aiosqlite's thread (execute_fetchall / execute_insert),
    # and single statements do not wait for each other: aiosqlite runs them in order, each atomic,
    # so many workers' writes are pipelined. Only while a `transaction()` holds the lock must a
    # statement wait, or it would land inside someone else's transaction.
    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[None]:
        # Not locked: nothing is awaited before the caller issues its statement, so it is queued
        # on aiosqlite's thread ahead of any transaction that starts later.
        with _state_errors():
            if self._tx_lock.locked():
                async with self._tx_lock:
                    yield
            else:
                yield

    async def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement (autocommit). Returns lastrowid."""
        async with self._statement():
            row = await self._conn.execute_insert(sql, params)
        return int(row[0]) if row else 0

    async def _returning(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One write statement with a RETURNING clause (autocommit)."""
        async with self._statement():
            return list(await self._conn.execute_fetchall(sql, params))

    async def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            async with self._statement():
                await self._run(self._conn.executemany(sql, rows))

    @staticmethod
    async def _run(statement: Any) -> None:
        # A sqlite3 cursor must be closed on aiosqlite's thread: dropped on the event loop's thread,
        # its finaliser resets the statement while the other thread uses the connection
        # (sqlite3.InterfaceError "bad parameter or other API misuse").
        cursor = await statement
        await cursor.close()

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with _state_errors():
            rows = await self._conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with _state_errors():
            return list(await self._conn.execute_fetchall(sql, params))

    # ------------------------------------------------------------------ jobs
    async def start_job(self, kind: str, *, blog_url: str, wp_base_url: str) -> int:
        return await self._exec(
            "INSERT INTO jobs (kind, status, blog_url, wp_base_url, pid, started_at) VALUES (?,?,?,?,?,?)",
            (kind, JobStatus.RUNNING, blog_url, wp_base_url, os.getpid(), time.time()),
        )

    async def update_job(self, job_id: int, **counts: Any) -> None:
        allowed = {
            "discovered",
            "completed",
            "failed",
            "skipped",
            "already_done",
            "images_uploaded",
            "images_reused",
            "discovery_json",
            "error",
        }
        cols = [k for k in counts if k in allowed]
        if not cols:
            return
        sql = "UPDATE jobs SET " + ", ".join(f"{c} = ?" for c in cols) + " WHERE id = ?"
        await self._exec(sql, [counts[c] for c in cols] + [job_id])

    async def finish_job(self, job_id: int, status: JobStatus, **counts: Any) -> None:
        await self.update_job(job_id, **counts)
        await self._exec(
            "UPDATE jobs SET status = ?, ended_at = ? WHERE id = ?", (status, time.time(), job_id)
        )

    async def get_job(self, job_id: int) -> Job | None:
        return _row(Job, await self._one(f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", (job_id,)))

    async def list_jobs(self) -> list[Job]:
        return [Job(*r) for r in await self._all(f"SELECT {_JOB_COLS} FROM jobs ORDER BY id")]

    async def close_dead_jobs(self) -> int:
        """Jobs left 'running' by a process that no longer exists were interrupted (crash, kill)."""
        rows = await self._all("SELECT id, pid FROM jobs WHERE status = 'running'")
        closed = 0
        for job_id, pid in rows:
            if pid == os.getpid() or (pid and pid_alive(pid)):
                continue
            await self._exec(
                "UPDATE jobs SET status = 'interrupted', ended_at = COALESCE(ended_at, ?), "
                "error = COALESCE(error, 'the process stopped without finishing (crash or kill)') WHERE id = ?",
                (time.time(), job_id),
            )
            closed += 1
        return closed

    # ------------------------------------------------------------------ items
    async def get_item(self, item_id: int) -> Item | None:
        return _row(Item, await self._one(f"SELECT {_ITEM_COLS} FROM items WHERE id = ?", (item_id,)))

    async def item_by_post_id(self, post_id: int) -> Item | None:
        return _row(Item, await self._one(f"SELECT {_ITEM_COLS} FROM items WHERE post_id = ?", (post_id,)))

    async def item_by_url(self, url: str) -> Item | None:
        """By canonical URL or by a recorded alias (e.g. the /entry/<slug> URL it was found under)."""
        row = await self._one(f"SELECT {_ITEM_COLS} FROM items WHERE canonical_url = ?", (url,))
        if row is None:
            row = await self._one(
                f"SELECT {', '.join('i.' + c for c in Item.__slots__)} FROM items i "  # type: ignore[attr-defined]
                "JOIN url_aliases a ON a.item_id = i.id WHERE a.url = ?",
                (url,),
            )
        return _row(Item, row)

    async def upsert_item(
        self,
        *,
        post_id: int,
        canonical_url: str,
        slug: str | None,
        discovered_by: str | None,
        aliases: Iterable[str] = (),
    ) -> Item:
        rows = await self._returning(
            "INSERT INTO items (post_id, canonical_url, slug, discovered_by, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(post_id) DO UPDATE SET slug = COALESCE(excluded.slug, items.slug) "
            f"RETURNING {_ITEM_COLS}",
            (post_id, canonical_url, slug, discovered_by, time.time()),
        )
        item = Item(*rows[0])
        # An alias lost to a crash right here only costs a later lookup by id; no transaction needed.
        await self._many(
            "INSERT OR IGNORE INTO url_aliases (url, item_id) VALUES (?, ?)",
            [(alias, item.id) for alias in dict.fromkeys(aliases) if alias and alias != canonical_url],
        )
        return item

    async def record_unreadable(
        self, url: str, *, post_id: int | None, reason: str, job_id: int, discovered_by: str | None
    ) -> None:
        """A discovered URL that is not a readable post (deleted, private, protected): skipped, with why."""
        now = time.time()
        if post_id is not None:
            await self._exec(
                "INSERT INTO items (post_id, canonical_url, status, skip_reason, job_id, discovered_by, "
                "finished_at, updated_at) VALUES (?,?,'skipped',?,?,?,?,?) ON CONFLICT(post_id) DO UPDATE SET "
                "status = 'skipped', skip_reason = excluded.skip_reason, job_id = excluded.job_id, "
                "finished_at = excluded.finished_at, updated_at = excluded.updated_at "
                "WHERE items.status != 'completed'",
                (post_id, url, reason, job_id, discovered_by, now, now),
            )
        else:
            await self._exec(
                "INSERT INTO items (canonical_url, status, skip_reason, job_id, discovered_by, finished_at, "
                "updated_at) VALUES (?,'skipped',?,?,?,?,?) ON CONFLICT(canonical_url) DO UPDATE SET "
                "skip_reason = excluded.skip_reason, job_id = excluded.job_id, updated_at = excluded.updated_at "
                "WHERE items.status != 'completed'",
                (url, reason, job_id, discovered_by, now, now),
            )

    async def begin_attempt(self, item_id: int, job_id: int, *, title: str | None = None) -> Item:
        now = time.time()
        rows = await self._returning(
            "UPDATE items SET status = 'running', attempts = attempts + 1, job_id = ?, started_at = ?, "
            f"finished_at = NULL, title = COALESCE(?, title), updated_at = ? WHERE id = ? RETURNING {_ITEM_COLS}",
            (job_id, now, title, now, item_id),
        )
        return Item(*rows[0])

    async def set_title(self, item_id: int, title: str) -> None:
        await self._exec(
            "UPDATE items SET title = ?, updated_at = ? WHERE id = ?", (title, time.time(), item_id)
        )

    async def record_post_intent(self, item_id: int, job_id: int, marker: str) -> None:
        """Written (durably) BEFORE the draft is created: a crash after this may have left a draft,
        which `marker` (in its content) finds."""
        await self._exec(
            "UPDATE items SET post_intent = 1, marker = ?, created_by_job = COALESCE(created_by_job, ?), "
            "updated_at = ? WHERE id = ?",
            (marker, job_id, time.time(), item_id),
        )

    async def record_wp_post(
        self, item_id: int, wp_post_id: int, wp_slug: str | None, wp_link: str | None
    ) -> None:
        await self._exec(
            "UPDATE items SET wp_post_id = ?, wp_slug = ?, wp_link = ?, updated_at = ? WHERE id = ?",
            (wp_post_id, wp_slug, wp_link, time.time(), item_id),
        )

    async def clear_wp_post(self, item_id: int) -> None:
        """After a rollback: nothing of this post is left in WordPress."""
        await self._exec(
            "UPDATE items SET wp_post_id = NULL, wp_slug = NULL, wp_link = NULL, post_intent = 0, "
            "created_by_job = NULL, updated_at = ? WHERE id = ?",
            (time.time(), item_id),
        )

    async def complete_item(
        self,
        item: Item,
        *,
        wp_post_id: int,
        wp_slug: str | None,
        wp_link: str | None,
        title: str,
        images: int,
    ) -> None:
        now = time.time()
        await self._exec(
            "UPDATE items SET status = 'completed', error = NULL, skip_reason = NULL, wp_post_id = ?, "
            "wp_slug = ?, wp_link = ?, title = ?, images = ?, finished_at = ?, updated_at = ? WHERE id = ?",
            (wp_post_id, wp_slug, wp_link, title, images, now, now, item.id),
        )

    async def fail_item(self, item_id: int, error: str) -> None:
        await self._exec(
            "UPDATE items SET status = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ?",
            (error[:2000], time.time(), time.time(), item_id),
        )

    async def skip_item(self, item_id: int, reason: str) -> None:
        await self._exec(
            "UPDATE items SET status = 'skipped', skip_reason = ?, error = NULL, finished_at = ?, updated_at = ? "
            "WHERE id = ?",
            (reason, time.time(), time.time(), item_id),
        )

    async def release_item(self, item_id: int) -> None:
        """Interrupted by the operator: back to pending, and the attempt does not count."""
        await self._exec(
            "UPDATE items SET status = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ? WHERE id = ?",
            (time.time(), item_id),
        )

    async def requeue_stale(self) -> int:
        """Items a crashed run left 'running' go back to pending; their intents stay for the resume."""
        rows = await self._returning(
            "UPDATE items SET status = 'pending', updated_at = ? WHERE status = 'running' RETURNING id",
            (time.time(),),
        )
        return len(rows)

    async def reset_failed_attempts(self) -> int:
        return len(
            await self._returning("UPDATE items SET attempts = 0 WHERE status = 'failed' RETURNING id")
        )

    async def unfinished_items(self, *, max_attempts: int, include_failed: bool) -> list[Item]:
        """Items a previous run found but did not finish (pending, or failed with attempts left)."""
        statuses = ("pending", "running", "failed") if include_failed else ("pending", "running")
        marks = ",".join("?" * len(statuses))
        rows = await self._all(
            f"SELECT {_ITEM_COLS} FROM items WHERE status IN ({marks}) AND "
            "(status != 'failed' OR attempts < ?) ORDER BY post_id",
            (*statuses, max_attempts),
        )
        return [Item(*r) for r in rows]

    async def skipped_items(self) -> list[Item]:
        """Items recorded as not readable (protected, private, deleted), to be read again each run."""
        rows = await self._all(
            f"SELECT {_ITEM_COLS} FROM items WHERE status = 'skipped' ORDER BY post_id, canonical_url"
        )
        return [Item(*r) for r in rows]

    async def items(self, *, status: str | None = None) -> list[Item]:
        if status is None:
            rows = await self._all(f"SELECT {_ITEM_COLS} FROM items ORDER BY post_id")
        else:
            rows = await self._all(
                f"SELECT {_ITEM_COLS} FROM items WHERE status = ? ORDER BY post_id", (status,)
            )
        return [Item(*r) for r in rows]

    async def status_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) FROM items GROUP BY status")
        counts = {s.value: 0 for s in ItemStatus}
        counts.update({status: n for status, n in rows})
        return counts

    async def count_created_posts(self) -> int:
        row = await self._one("SELECT COUNT(*) FROM items WHERE wp_post_id IS NOT NULL OR post_intent = 1")
        return int(row[0])

    # ------------------------------------------------------------------ image assets
    async def get_asset(self, asset_id: int) -> Asset | None:
        return _row(
            Asset, await self._one(f"SELECT {_ASSET_COLS} FROM image_assets WHERE id = ?", (asset_id,))
        )

    async def asset_for_source(
        self, *, source_key: str, source_url: str, kind: str, item_id: int, job_id: int
    ) -> Asset:
        """The asset row for a source (created pending if new), linked to the item that uses it."""
        rows = await self._returning(
            "INSERT INTO image_assets (source_key, source_url, kind, status, owner_item_id, job_id, updated_at) "
            "VALUES (?,?,?,'pending',?,?,?) ON CONFLICT(source_key) DO UPDATE SET source_key = excluded.source_key "
            f"RETURNING {_ASSET_COLS}",
            (source_key, source_url, kind, item_id, job_id, time.time()),
        )
        asset = Asset(*rows[0])
        await self._exec(
            "INSERT OR IGNORE INTO item_assets (item_id, asset_id) VALUES (?, ?)", (item_id, asset.id)
        )
        return asset

    async def uploaded_asset_by_hash(self, content_hash: str) -> Asset | None:
        row = await self._one(
            f"SELECT {_ASSET_COLS} FROM image_assets WHERE content_hash = ? AND status = 'uploaded' "
            "AND media_id IS NOT NULL ORDER BY id LIMIT 1",
            (content_hash,),
        )
        return _row(Asset, row)

    async def mark_asset_uploading(
        self, asset_id: int, *, content_hash: str, owner_item_id: int, job_id: int, filename: str
    ) -> None:
        """Written BEFORE the upload request: a crash after this may have left media in WordPress."""
        await self._exec(
            "UPDATE image_assets SET status = 'uploading', content_hash = ?, owner_item_id = ?, job_id = ?, "
            "filename = ?, error = NULL, updated_at = ? WHERE id = ?",
            (content_hash, owner_item_id, job_id, filename, time.time(), asset_id),
        )

    async def mark_asset_uploaded(
        self,
        asset_id: int,
        *,
        media_id: int,
        media_url: str,
        content_hash: str | None = None,
        reused_from: int | None = None,
        owner_item_id: int | None = None,
    ) -> None:
        await self._exec(
            "UPDATE image_assets SET status = 'uploaded', media_id = ?, media_url = ?, "
            "content_hash = COALESCE(?, content_hash), reused_from = ?, "
            "owner_item_id = COALESCE(?, owner_item_id), error = NULL, updated_at = ? WHERE id = ?",
            (media_id, media_url, content_hash, reused_from, owner_item_id, time.time(), asset_id),
        )

    async def reset_asset(self, asset_id: int, *, error: str | None = None) -> None:
        """The media is gone from WordPress (rolled back, or never created): upload again when needed."""
        await self._exec(
            "UPDATE image_assets SET status = ?, media_id = NULL, media_url = NULL, reused_from = NULL, "
            "error = ?, updated_at = ? WHERE id = ?",
            ("failed" if error else "pending", error, time.time(), asset_id),
        )

    async def reset_assets_of_media(self, media_id: int) -> None:
        await self._exec(
            "UPDATE image_assets SET status = 'pending', media_id = NULL, media_url = NULL, reused_from = NULL, "
            "updated_at = ? WHERE media_id = ?",
            (time.time(), media_id),
        )

    async def assets_with_media(self, media_id: int) -> list[Asset]:
        """Every asset row that resolves to this WordPress media (its own upload and hash reuses)."""
        rows = await self._all(
            f"SELECT {_ASSET_COLS} FROM image_assets WHERE media_id = ? ORDER BY id", (media_id,)
        )
        return [Asset(*r) for r in rows]

    async def transfer_media_owner(self, media_id: int, item_id: int) -> None:
        await self._exec(
            "UPDATE image_assets SET owner_item_id = ?, updated_at = ? WHERE media_id = ?",
            (item_id, time.time(), media_id),
        )

    async def assets_of_item(self, item_id: int) -> list[Asset]:
        rows = await self._all(
            f"SELECT {', '.join('a.' + c for c in Asset.__slots__)} FROM image_assets a "  # type: ignore[attr-defined]
            "JOIN item_assets ia ON ia.asset_id = a.id WHERE ia.item_id = ? ORDER BY a.id",
            (item_id,),
        )
        return [Asset(*r) for r in rows]

    async def unlink_item_assets(self, item_id: int) -> None:
        await self._exec("DELETE FROM item_assets WHERE item_id = ?", (item_id,))

    async def other_users_of_media(self, media_id: int, item_id: int) -> list[Item]:
        """Items other than `item_id` (completed or in progress) whose content uses this media."""
        rows = await self._all(
            f"SELECT DISTINCT {', '.join('i.' + c for c in Item.__slots__)} FROM items i "  # type: ignore[attr-defined]
            "JOIN item_assets ia ON ia.item_id = i.id JOIN image_assets a ON a.id = ia.asset_id "
            "WHERE a.media_id = ? AND i.id != ? AND i.status IN ('completed','running') ORDER BY i.id",
            (media_id, item_id),
        )
        return [Item(*r) for r in rows]

    # ------------------------------------------------------------------ missing files (issue 8)
    async def replace_missing_files(self, item_id: int, files: Sequence[MissingFile]) -> None:
        """What this post lacks now (an empty list: nothing; the post is then fully migrated)."""
        now = time.time()
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM missing_files WHERE item_id = ?", (item_id,))
            await conn.executemany(
                "INSERT OR REPLACE INTO missing_files (item_id, source_key, url, kind, reason, updated_at) "
                "VALUES (?,?,?,?,?,?)",
                [(item_id, f.source_key, f.url, f.kind, f.reason[:500], now) for f in files],
            )

    async def missing_files(self, item_id: int | None = None) -> list[tuple[int, MissingFile]]:
        """(item id, file) for every missing file of completed posts (of one post when given)."""
        where = "WHERE i.status = 'completed'" + (" AND m.item_id = ?" if item_id is not None else "")
        rows = await self._all(
            "SELECT m.item_id, m.source_key, m.url, m.reason, m.kind FROM missing_files m "
            f"JOIN items i ON i.id = m.item_id {where} ORDER BY i.post_id, m.url",
            () if item_id is None else (item_id,),
        )
        return [(r[0], MissingFile(r[1], r[2], r[3], r[4])) for r in rows]

    async def has_missing_files(self, item_id: int) -> bool:
        return await self._one("SELECT 1 FROM missing_files WHERE item_id = ? LIMIT 1", (item_id,)) is not None

    async def items_with_missing_files(self) -> list[Item]:
        """Completed posts that still lack files: the next run tries those files again."""
        rows = await self._all(
            f"SELECT {', '.join('i.' + c for c in Item.__slots__)} FROM items i "  # type: ignore[attr-defined]
            "WHERE i.status = 'completed' AND EXISTS (SELECT 1 FROM missing_files m WHERE m.item_id = i.id) "
            "ORDER BY i.post_id"
        )
        return [Item(*r) for r in rows]

    async def asset_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) FROM image_assets GROUP BY status")
        return {status: n for status, n in rows}

    # ------------------------------------------------------------------ internal links
    async def replace_links(self, item_id: int, source_url: str, links: Iterable[LinkRow]) -> None:
        # Recorded before the post is finished; a crash between the two statements is repaired when
        # the unfinished post is processed again.
        await self._exec("DELETE FROM internal_links WHERE item_id = ?", (item_id,))
        await self._many(
            "INSERT OR IGNORE INTO internal_links (item_id, source_url, href, target_url, target_post_id, "
            "target_slug, fragment) VALUES (?,?,?,?,?,?,?)",
            [
                (item_id, source_url, ln.href, ln.target_url, ln.target_post_id, ln.target_slug, ln.fragment)
                for ln in links
            ],
        )

    async def links_of_item(self, item_id: int) -> list[LinkRow]:
        rows = await self._all(
            "SELECT href, target_url, target_post_id, target_slug, fragment FROM internal_links "
            "WHERE item_id = ? ORDER BY href",
            (item_id,),
        )
        return [LinkRow(*r) for r in rows]

    async def count_links(self) -> int:
        row = await self._one("SELECT COUNT(*) FROM internal_links")
        return int(row[0])

    # ------------------------------------------------------------------ post map
    async def post_map(self) -> list[tuple[str, int | None, str | None, int, str | None, str | None]]:
        """(source_url, tistory post id, tistory slug, wp post id, wp slug, wp link) per migrated post."""
        return [
            tuple(r)  # type: ignore[misc]
            for r in await self._all(
                "SELECT source_url, post_id, slug, wp_post_id, wp_slug, wp_link FROM post_map ORDER BY post_id"
            )
        ]

    # ------------------------------------------------------------------ terms
    async def get_term(self, taxonomy: str, key: str) -> int | None:
        row = await self._one("SELECT wp_id FROM terms WHERE taxonomy = ? AND key = ?", (taxonomy, key))
        return int(row[0]) if row else None

    async def put_term(self, taxonomy: str, key: str, wp_id: int, *, created_by_job: int | None) -> None:
        await self._exec(
            "INSERT INTO terms (taxonomy, key, wp_id, created_by_job) VALUES (?,?,?,?) "
            "ON CONFLICT(taxonomy, key) DO UPDATE SET wp_id = excluded.wp_id",
            (taxonomy, key, wp_id, created_by_job),
        )

    async def forget_term(self, taxonomy: str, key: str) -> None:
        await self._exec("DELETE FROM terms WHERE taxonomy = ? AND key = ?", (taxonomy, key))

    # ---- issue 5: link rewriting, undo, status (SQL of migrator/rewrite.py, undo.py, status.py)
    async def item_by_slug(self, slug: str) -> Item | None:
        """The item of a Tistory /entry/ slug (decoded, NFC), or None."""
        import unicodedata

        wanted = unicodedata.normalize("NFC", slug)
        row = await self._one(f"SELECT {_ITEM_COLS} FROM items WHERE slug = ? ORDER BY id LIMIT 1", (wanted,))
        return _row(Item, row)

    async def items_with_links(self) -> list[Item]:
        """Migrated posts (completed, with a WordPress post) whose body links to posts of the blog."""
        rows = await self._all(
            f"SELECT {_ITEM_COLS} FROM items WHERE status = 'completed' AND wp_post_id IS NOT NULL "
            "AND id IN (SELECT item_id FROM internal_links) ORDER BY post_id"
        )
        return [Item(*r) for r in rows]

    async def link_pass(self, item_id: int) -> LinkPass | None:
        row = await self._one(
            "SELECT item_id, wp_post_id, item_finished_at, checked_at FROM link_passes WHERE item_id = ?",
            (item_id,),
        )
        return _row(LinkPass, row)

    async def link_rewrites(self, item_id: int | None = None) -> list[LinkRewrite]:
        """The recorded state of every internal link (of one post, or of all)."""
        sql = "SELECT item_id, href, written_href, target_item_id, reason FROM link_rewrites"
        if item_id is None:
            rows = await self._all(sql + " ORDER BY item_id, href")
        else:
            rows = await self._all(sql + " WHERE item_id = ? ORDER BY href", (item_id,))
        return [LinkRewrite(*r) for r in rows]

    async def record_link_pass(
        self, item_id: int, *, wp_post_id: int, item_finished_at: float | None, rows: Iterable[LinkRewrite]
    ) -> None:
        """After a post's content was checked (and updated if needed): what it holds now, atomically."""
        now = time.time()
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM link_rewrites WHERE item_id = ?", (item_id,))
            await conn.executemany(
                "INSERT INTO link_rewrites (item_id, href, written_href, target_item_id, reason, updated_at) "
                "VALUES (?,?,?,?,?,?)",
                [(item_id, r.href, r.written_href, r.target_item_id, r.reason, now) for r in rows],
            )
            await conn.execute(
                "INSERT INTO link_passes (item_id, wp_post_id, item_finished_at, checked_at) "
                "VALUES (?,?,?,?) "
                "ON CONFLICT(item_id) DO UPDATE SET wp_post_id = excluded.wp_post_id, "
                "item_finished_at = excluded.item_finished_at, checked_at = excluded.checked_at",
                (item_id, wp_post_id, item_finished_at, now),
            )

    async def rewrites_into(self, target_item_ids: Iterable[int]) -> list[LinkRewrite]:
        """Links rewritten to point at these posts (undo puts the Tistory links back)."""
        ids = list(target_item_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._all(
            "SELECT item_id, href, written_href, target_item_id, reason FROM link_rewrites "
            f"WHERE written_href IS NOT NULL AND target_item_id IN ({marks}) ORDER BY item_id, href",
            ids,
        )
        return [LinkRewrite(*r) for r in rows]

    async def items_linking_to_unmigrated(self) -> list[int]:
        """Posts whose content holds a link rewritten to a post that is no longer migrated (undone)."""
        rows = await self._all(
            "SELECT DISTINCT r.item_id FROM link_rewrites r JOIN items t ON t.id = r.target_item_id "
            "WHERE r.written_href IS NOT NULL AND (t.status != 'completed' OR t.wp_post_id IS NULL) "
            "ORDER BY r.item_id"
        )
        return [int(r[0]) for r in rows]

    async def link_counts(self) -> dict[str, int]:
        """rewritten / left / posts_checked, for `migrate status`."""
        row = await self._one(
            "SELECT COUNT(*) FILTER (WHERE written_href IS NOT NULL), "
            "COUNT(*) FILTER (WHERE written_href IS NULL), "
            "(SELECT COUNT(*) FROM link_passes) FROM link_rewrites"
        )
        return {"rewritten": int(row[0] or 0), "left": int(row[1] or 0), "posts_checked": int(row[2] or 0)}

    async def items_created_by_job(self, job_id: int) -> list[Item]:
        """Posts whose WordPress draft this job created (or may have: an intent without a recorded id)."""
        rows = await self._all(
            f"SELECT {_ITEM_COLS} FROM items WHERE created_by_job = ? "
            "AND (wp_post_id IS NOT NULL OR post_intent = 1) "
            "ORDER BY post_id",
            (job_id,),
        )
        return [Item(*r) for r in rows]

    async def media_uploaded_by_job(self, job_id: int) -> list[Asset]:
        """Assets whose file this job uploaded (not reused from an earlier upload), one per media id."""
        rows = await self._all(
            f"SELECT {_ASSET_COLS} FROM image_assets WHERE job_id = ? AND reused_from IS NULL "
            "AND status IN ('uploaded','uploading') ORDER BY id",
            (job_id,),
        )
        return [Asset(*r) for r in rows]

    async def items_using_media(self, media_id: int) -> list[Item]:
        """Items whose content uses this media (through any asset row carrying its id)."""
        rows = await self._all(
            f"SELECT DISTINCT {', '.join('i.' + c for c in Item.__slots__)} FROM items i "  # type: ignore[attr-defined]
            "JOIN item_assets ia ON ia.item_id = i.id JOIN image_assets a ON a.id = ia.asset_id "
            "WHERE a.media_id = ? ORDER BY i.id",
            (media_id,),
        )
        return [Item(*r) for r in rows]

    async def reassign_media(self, media_id: int, *, owner_item_id: int, job_id: int | None) -> None:
        """Media kept by an undo because another job's post uses it now belongs to that post and job."""
        await self._exec(
            "UPDATE image_assets SET owner_item_id = ?, job_id = ?, updated_at = ? WHERE media_id = ? "
            "AND reused_from IS NULL",
            (owner_item_id, job_id, time.time(), media_id),
        )

    async def terms_created_by_job(self, job_id: int) -> list[TermRow]:
        rows = await self._all(
            "SELECT taxonomy, key, wp_id, created_by_job FROM terms WHERE created_by_job = ? "
            "ORDER BY taxonomy, key",
            (job_id,),
        )
        return [TermRow(*r) for r in rows]

    async def reset_item_for_undo(self, item_id: int) -> None:
        """The post was deleted from WordPress by an undo: pending again, as if never migrated."""
        now = time.time()
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE items SET status = 'pending', attempts = 0, error = NULL, skip_reason = NULL, "
                "post_intent = 0, marker = NULL, wp_post_id = NULL, wp_slug = NULL, wp_link = NULL, "
                "created_by_job = NULL, images = 0, started_at = NULL, finished_at = NULL, updated_at = ? "
                "WHERE id = ?",
                (now, item_id),
            )
            await conn.execute("DELETE FROM item_assets WHERE item_id = ?", (item_id,))
            await conn.execute("DELETE FROM link_rewrites WHERE item_id = ?", (item_id,))
            await conn.execute("DELETE FROM link_passes WHERE item_id = ?", (item_id,))
            await conn.execute("DELETE FROM missing_files WHERE item_id = ?", (item_id,))

    async def mark_job_undone(self, job_id: int) -> None:
        await self._exec("UPDATE jobs SET undone_at = ? WHERE id = ?", (time.time(), job_id))

    async def undone_jobs(self) -> dict[int, float]:
        """job id -> when it was undone."""
        rows = await self._all("SELECT id, undone_at FROM jobs WHERE undone_at IS NOT NULL")
        return {int(job_id): float(at) for job_id, at in rows}

    async def job_item_counts(self) -> dict[int, dict[str, int]]:
        """Per job: how many items it last worked on ended in each status."""
        rows = await self._all(
            "SELECT job_id, status, COUNT(*) FROM items WHERE job_id IS NOT NULL GROUP BY 1, 2"
        )
        counts: dict[int, dict[str, int]] = {}
        for job_id, status, n in rows:
            counts.setdefault(int(job_id), {})[status] = int(n)
        return counts

    async def blog_urls_known(self) -> list[str]:
        """Every URL the database holds for posts of the blog (to learn all of its host names)."""
        rows = await self._all(
            "SELECT blog_url FROM jobs UNION SELECT canonical_url FROM items "
            "UNION SELECT url FROM url_aliases "
            "UNION SELECT href FROM internal_links"
        )
        return [str(r[0]) for r in rows if r[0]]

    async def aliases_of_item(self, item_id: int) -> list[str]:
        rows = await self._all("SELECT url FROM url_aliases WHERE item_id = ? ORDER BY url", (item_id,))
        return [str(r[0]) for r in rows]

    async def asset_by_source_key(self, source_key: str) -> Asset | None:
        """The asset row of an image source (read only; `asset_for_source` creates)."""
        row = await self._one(f"SELECT {_ASSET_COLS} FROM image_assets WHERE source_key = ?", (source_key,))
        return _row(Asset, row)

    async def get_meta(self, key: str) -> str | None:
        row = await self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self._exec(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # ---- end issue 5 queries


@contextlib.contextmanager
def _state_errors() -> Iterator[None]:
    """A database that fails (disk full, I/O error, corruption) must stop the run: without its state
    a run cannot stay duplicate-free."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StateError(f"the job database failed: {exc.__class__.__name__}: {exc}") from exc


class _Tx:
    """The statements of one transaction; each closes its cursor on aiosqlite's thread."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._store._run(self._store._conn.execute(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            await self._store._run(self._store._conn.executemany(sql, rows))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await self._store._conn.execute_fetchall(sql, params))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (ours to signal or not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
