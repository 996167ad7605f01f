"""Items: one row per Tistory post found, its URLs, its attempts and what it became in WordPress.

An item is pending until a run takes it (running), then completed, failed (attempts left or not) or
skipped (not readable: deleted, private, protected). The post map is a view over the completed items,
so it can never disagree with them.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from migrator.models import ItemStatus
from migrator.state.connection import StoreBase, columns

__all__ = ["ITEM_COLS", "Item", "ItemsMixin", "PostMapRow", "item_cols"]


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    post_id: int | None
    canonical_url: str
    slug: str | None
    title: str | None
    status: ItemStatus
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
    wp_address: str | None = None  # the permalink it will have once published (see core/links.public_url)
    kind: str = "post"  # "post", or "page": a Tistory static page, a WordPress page

    def __post_init__(self) -> None:
        # SQLite hands back the plain string; callers get the member (equal to that string).
        object.__setattr__(self, "status", ItemStatus(self.status))


ITEM_COLS = columns(Item)


def item_cols(alias: str) -> str:
    """The item columns for a query that names the items table `alias` (joins)."""
    return columns(Item, alias)


# (source_url, tistory post id, tistory slug, wp post id, wp slug, wp link)
PostMapRow = tuple[str, int | None, str | None, int, str | None, str | None]


class ItemsMixin(StoreBase):
    # ---- finding an item
    async def get_item(self, item_id: int) -> Item | None:
        return await self._item(f"SELECT {ITEM_COLS} FROM items WHERE id = ?", (item_id,))

    async def item_by_post_id(self, post_id: int) -> Item | None:
        return await self._item(f"SELECT {ITEM_COLS} FROM items WHERE post_id = ?", (post_id,))

    async def item_by_url(self, url: str) -> Item | None:
        """By canonical URL or by a recorded alias (e.g. the /entry/<slug> URL it was found under)."""
        found = await self._item(f"SELECT {ITEM_COLS} FROM items WHERE canonical_url = ?", (url,))
        if found is None:
            found = await self._item(
                f"SELECT {item_cols('i')} FROM items i JOIN url_aliases a ON a.item_id = i.id WHERE a.url = ?",
                (url,),
            )
        return found

    async def item_by_slug(self, slug: str) -> Item | None:
        """The item of a Tistory /entry/ slug (decoded, NFC), or None."""
        wanted = unicodedata.normalize("NFC", slug)
        return await self._item(
            f"SELECT {ITEM_COLS} FROM items WHERE slug = ? AND kind = 'post' ORDER BY id LIMIT 1", (wanted,)
        )

    async def aliases_of_item(self, item_id: int) -> list[str]:
        rows = await self._all("SELECT url FROM url_aliases WHERE item_id = ? ORDER BY url", (item_id,))
        return [str(r[0]) for r in rows]

    async def _item(self, sql: str, params: tuple[object, ...]) -> Item | None:
        row = await self._one(sql, params)
        return None if row is None else Item(*row)

    async def _items(self, sql: str, params: tuple[object, ...] = ()) -> list[Item]:
        return [Item(*r) for r in await self._all(sql, params)]

    # ---- recording what discovery found
    async def upsert_item(
        self,
        *,
        post_id: int | None,
        canonical_url: str,
        slug: str | None,
        discovered_by: str | None,
        aliases: Iterable[str] = (),
        kind: str = "post",
    ) -> Item:
        """A post by its id; a page by its canonical URL (`post_id` None: pages are known by slug)."""
        conflict = "post_id" if post_id is not None else "canonical_url"
        rows = await self._returning(
            "INSERT INTO items (post_id, canonical_url, slug, discovered_by, kind, updated_at) VALUES (?,?,?,?,?,?) "
            f"ON CONFLICT({conflict}) DO UPDATE SET slug = COALESCE(excluded.slug, items.slug), kind = excluded.kind "
            f"RETURNING {ITEM_COLS}",
            (post_id, canonical_url, slug, discovered_by, kind, time.time()),
        )
        item = Item(*rows[0])
        # An alias lost to a crash right here only costs a later lookup by id; no transaction needed.
        await self._many(
            "INSERT OR IGNORE INTO url_aliases (url, item_id) VALUES (?, ?)",
            [(alias, item.id) for alias in dict.fromkeys(aliases) if alias and alias != canonical_url],
        )
        return item

    async def record_unreadable(
        self, url: str, *, post_id: int | None, reason: str, job_id: int, discovered_by: str | None,
        kind: str = "post",
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
                "INSERT INTO items (canonical_url, status, skip_reason, job_id, discovered_by, kind, finished_at, "
                "updated_at) VALUES (?,'skipped',?,?,?,?,?,?) ON CONFLICT(canonical_url) DO UPDATE SET "
                "status = 'skipped', "
                "skip_reason = excluded.skip_reason, job_id = excluded.job_id, updated_at = excluded.updated_at "
                "WHERE items.status != 'completed'",
                (url, reason, job_id, discovered_by, kind, now, now),
            )

    # ---- one attempt at a post
    async def begin_attempt(self, item_id: int, job_id: int, *, title: str | None = None) -> Item:
        now = time.time()
        rows = await self._returning(
            "UPDATE items SET status = 'running', attempts = attempts + 1, job_id = ?, started_at = ?, "
            f"finished_at = NULL, title = COALESCE(?, title), updated_at = ? WHERE id = ? RETURNING {ITEM_COLS}",
            (job_id, now, title, now, item_id),
        )
        return Item(*rows[0])

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
            "UPDATE items SET wp_post_id = NULL, wp_slug = NULL, wp_link = NULL, wp_address = NULL, post_intent = 0, "
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
        wp_address: str | None = None,
        finished_at: float | None = None,
    ) -> None:
        now = time.time()
        await self._exec(
            "UPDATE items SET status = 'completed', error = NULL, skip_reason = NULL, wp_post_id = ?, "
            "wp_slug = ?, wp_link = ?, wp_address = COALESCE(?, wp_address), title = ?, images = ?, "
            "finished_at = ?, updated_at = ? WHERE id = ?",
            (wp_post_id, wp_slug, wp_link, wp_address, title, images, finished_at or now, now, item.id),
        )

    async def fail_item(self, item_id: int, error: str) -> None:
        await self._exec(
            "UPDATE items SET status = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ?",
            (error[:2000], time.time(), time.time(), item_id),
        )

    async def release_item(self, item_id: int) -> None:
        """Interrupted by the operator: back to pending, and the attempt does not count."""
        await self._exec(
            "UPDATE items SET status = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ? WHERE id = ?",
            (time.time(), item_id),
        )

    # ---- what a run takes up again
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
        statuses: tuple[ItemStatus, ...] = (ItemStatus.PENDING, ItemStatus.RUNNING)
        if include_failed:
            statuses += (ItemStatus.FAILED,)
        marks = ",".join("?" * len(statuses))
        return await self._items(
            f"SELECT {ITEM_COLS} FROM items WHERE status IN ({marks}) AND "
            "(status != 'failed' OR attempts < ?) ORDER BY post_id",
            (*statuses, max_attempts),
        )

    async def skipped_items(self) -> list[Item]:
        """Items recorded as not readable (protected, private, deleted), to be read again each run."""
        return await self._items(
            f"SELECT {ITEM_COLS} FROM items WHERE status = 'skipped' ORDER BY post_id, canonical_url"
        )

    # ---- status and reports
    async def items(self, *, status: str | None = None) -> list[Item]:
        if status is None:
            return await self._items(f"SELECT {ITEM_COLS} FROM items ORDER BY post_id")
        return await self._items(f"SELECT {ITEM_COLS} FROM items WHERE status = ? ORDER BY post_id", (status,))

    async def status_counts(self, *, kind: str | None = None) -> dict[str, int]:
        """Items by status (only posts or only pages with `kind`)."""
        if kind is None:
            rows = await self._all("SELECT status, COUNT(*) FROM items GROUP BY status")
        else:
            rows = await self._all("SELECT status, COUNT(*) FROM items WHERE kind = ? GROUP BY status", (kind,))
        counts = {s.value: 0 for s in ItemStatus}
        counts.update({status: n for status, n in rows})
        return counts

    async def count_created_posts(self) -> int:
        return await self._count("SELECT COUNT(*) FROM items WHERE wp_post_id IS NOT NULL OR post_intent = 1")

    async def post_map(self) -> list[PostMapRow]:
        """(source_url, tistory post id, tistory slug, wp post id, wp slug, wp link) per migrated post."""
        rows = await self._all(
            "SELECT source_url, post_id, slug, wp_post_id, wp_slug, wp_link FROM post_map ORDER BY post_id"
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    async def blog_urls_known(self) -> list[str]:
        """Every URL the database holds for posts of the blog (to learn all of its host names)."""
        rows = await self._all(
            "SELECT blog_url FROM jobs UNION SELECT canonical_url FROM items "
            "UNION SELECT url FROM url_aliases "
            "UNION SELECT href FROM internal_links"
        )
        return [str(r[0]) for r in rows if r[0]]

    # ---- undo
    async def items_created_by_job(self, job_id: int) -> list[Item]:
        """Posts whose WordPress draft this job created (or may have: an intent without a recorded id)."""
        return await self._items(
            f"SELECT {ITEM_COLS} FROM items WHERE created_by_job = ? "
            "AND (wp_post_id IS NOT NULL OR post_intent = 1) "
            "ORDER BY post_id",
            (job_id,),
        )

    async def reset_item_for_undo(self, item_id: int) -> None:
        """The post was deleted from WordPress by an undo: pending again, as if never migrated (its
        files, link records and missing files are forgotten with it)."""
        now = time.time()
        async with self.transaction() as tx:
            await tx.execute(
                "UPDATE items SET status = 'pending', attempts = 0, error = NULL, skip_reason = NULL, "
                "post_intent = 0, marker = NULL, wp_post_id = NULL, wp_slug = NULL, wp_link = NULL, "
                "created_by_job = NULL, images = 0, started_at = NULL, finished_at = NULL, updated_at = ? "
                "WHERE id = ?",
                (now, item_id),
            )
            await tx.execute("DELETE FROM item_assets WHERE item_id = ?", (item_id,))
            await tx.execute("DELETE FROM link_rewrites WHERE item_id = ?", (item_id,))
            await tx.execute("DELETE FROM link_passes WHERE item_id = ?", (item_id,))
            await tx.execute("DELETE FROM missing_files WHERE item_id = ?", (item_id,))
