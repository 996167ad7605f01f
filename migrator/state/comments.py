"""Comments: the Tistory comments created in WordPress (intent first), and per post what the last
comment pass found (migrated / secret / unreadable / waiting for the post to be published)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from migrator.state.connection import StoreBase, columns

__all__ = ["CommentCountsRow", "CommentRow", "CommentsMixin"]


@dataclass(frozen=True, slots=True)
class CommentRow:
    item_id: int
    source_id: int
    parent_source_id: int | None
    status: str             # 'creating' (intent written, answer not recorded) or 'created'
    wp_comment_id: int | None
    wp_post_id: int
    job_id: int | None


@dataclass(frozen=True, slots=True)
class CommentCountsRow:
    item_id: int
    found: int              # public comments read from Tistory
    migrated: int           # of them, in WordPress
    secret: int             # secret comments (not readable by guests)
    unreadable: int         # items that could not be read or threaded, or that WordPress refused
    waiting: int            # 1: the post's status takes no comments yet (a draft)
    error: str | None       # why the last pass stopped early, if it did
    checked_at: float


_COMMENT_COLS = columns(CommentRow)
_COUNT_COLS = columns(CommentCountsRow)


class CommentsMixin(StoreBase):
    async def comments_of_item(self, item_id: int) -> dict[int, CommentRow]:
        rows = await self._all(f"SELECT {_COMMENT_COLS} FROM comments WHERE item_id = ?", (item_id,))
        return {int(r[1]): CommentRow(*r) for r in rows}

    async def record_comment_intent(
        self, item_id: int, source_id: int, parent_source_id: int | None, *, wp_post_id: int, job_id: int
    ) -> None:
        """Written (durably) before the create request: a resume looks such a comment up first."""
        await self._exec(
            "INSERT INTO comments (item_id, source_id, parent_source_id, status, wp_post_id, job_id, updated_at) "
            "VALUES (?,?,?,'creating',?,?,?) ON CONFLICT(item_id, source_id) DO UPDATE SET "
            "status = 'creating', wp_comment_id = NULL, wp_post_id = excluded.wp_post_id, "
            "job_id = excluded.job_id, updated_at = excluded.updated_at",
            (item_id, source_id, parent_source_id, wp_post_id, job_id, time.time()),
        )

    async def record_comment_created(self, item_id: int, source_id: int, wp_comment_id: int) -> None:
        await self._exec(
            "UPDATE comments SET status = 'created', wp_comment_id = ?, updated_at = ? "
            "WHERE item_id = ? AND source_id = ?",
            (wp_comment_id, time.time(), item_id, source_id),
        )

    async def forget_comment(self, item_id: int, source_id: int) -> None:
        await self._exec("DELETE FROM comments WHERE item_id = ? AND source_id = ?", (item_id, source_id))

    async def forget_comments_of_item(self, item_id: int) -> None:
        """The post is gone (undo, rollback): WordPress deleted its comments with it."""
        async with self.transaction() as tx:
            await tx.execute("DELETE FROM comments WHERE item_id = ?", (item_id,))
            await tx.execute("DELETE FROM comment_counts WHERE item_id = ?", (item_id,))

    async def mark_comment_pass_started(self, item_id: int, note: str) -> None:
        """The post's comment pass begins: until its counts are recorded, it reads as unfinished."""
        await self._exec(
            "INSERT INTO comment_counts (item_id, error, checked_at) VALUES (?,?,?) "
            "ON CONFLICT(item_id) DO UPDATE SET error = excluded.error, checked_at = excluded.checked_at",
            (item_id, note, time.time()),
        )

    async def clear_comment_counts(self, item_id: int) -> None:
        await self._exec("DELETE FROM comment_counts WHERE item_id = ?", (item_id,))

    async def comments_created_by_job(self, job_id: int) -> list[CommentRow]:
        """Children first, so that deleting them in this order never leaves a reply without its parent."""
        rows = await self._all(
            f"SELECT {_COMMENT_COLS} FROM comments WHERE job_id = ? ORDER BY item_id, source_id DESC", (job_id,)
        )
        return [CommentRow(*r) for r in rows]

    async def record_comment_counts(
        self, item_id: int, *, found: int, migrated: int, secret: int, unreadable: int, waiting: bool,
        error: str | None,
    ) -> None:
        await self._exec(
            f"INSERT INTO comment_counts ({_COUNT_COLS}) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT(item_id) DO UPDATE SET found = excluded.found, migrated = excluded.migrated, "
            "secret = excluded.secret, unreadable = excluded.unreadable, waiting = excluded.waiting, "
            "error = excluded.error, checked_at = excluded.checked_at",
            (item_id, found, migrated, secret, unreadable, int(waiting), error, time.time()),
        )

    async def items_with_unfinished_comments(self) -> set[int]:
        """Posts whose last comment pass did not finish (killed: an intent without its answer, or the
        pass's "started" mark still there) or stopped on an error."""
        rows = await self._all(
            "SELECT item_id FROM comments WHERE status = 'creating' "
            "UNION SELECT item_id FROM comment_counts WHERE error IS NOT NULL"
        )
        return {int(r[0]) for r in rows}

    async def comment_counts(self) -> dict[int, CommentCountsRow]:
        rows = await self._all(f"SELECT {_COUNT_COLS} FROM comment_counts")
        return {int(r[0]): CommentCountsRow(*r) for r in rows}

    async def comment_count_of_item(self, item_id: int) -> CommentCountsRow | None:
        row = await self._one(f"SELECT {_COUNT_COLS} FROM comment_counts WHERE item_id = ?", (item_id,))
        return CommentCountsRow(*row) if row else None
