"""Internal links: the links of each post to other posts of the blog, and what the rewriting of the
WordPress content made of them.

`internal_links` is what the Tistory body links to (recorded while the post is migrated);
`link_rewrites` is what its WordPress content holds now, and `link_passes` when that was checked.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from migrator.state.connection import StoreBase
from migrator.state.items import ITEM_COLS, Item

__all__ = ["LinkPass", "LinkRewrite", "LinkRow", "LinksMixin"]


@dataclass(frozen=True, slots=True)
class LinkRow:
    href: str
    target_url: str
    target_post_id: int | None
    target_slug: str | None
    fragment: str


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


class LinksMixin(StoreBase):
    # ---- the links of a Tistory body
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

    async def items_with_links(self) -> list[Item]:
        """Migrated posts (completed, with a WordPress post) whose body links to posts of the blog."""
        rows = await self._all(
            f"SELECT {ITEM_COLS} FROM items WHERE status = 'completed' AND wp_post_id IS NOT NULL "
            "AND id IN (SELECT item_id FROM internal_links) ORDER BY post_id"
        )
        return [Item(*r) for r in rows]

    # ---- what the WordPress content holds
    async def link_pass(self, item_id: int) -> LinkPass | None:
        row = await self._one(
            "SELECT item_id, wp_post_id, item_finished_at, checked_at FROM link_passes WHERE item_id = ?",
            (item_id,),
        )
        return None if row is None else LinkPass(*row)

    async def link_rewrites(self, item_id: int | None = None) -> list[LinkRewrite]:
        """The recorded state of every internal link (of one post, or of all)."""
        sql = "SELECT item_id, href, written_href, target_item_id, reason FROM link_rewrites"
        if item_id is None:
            rows = await self._all(sql + " ORDER BY item_id, href")
        else:
            rows = await self._all(sql + " WHERE item_id = ? ORDER BY href", (item_id,))
        return [LinkRewrite(*r) for r in rows]

    async def record_link_pass(
        self, item_id: int, *, wp_post_id: int, item_finished_at: float | None, rows: Iterable[LinkRewrite],
        at_creation: bool = False,
    ) -> None:
        """After a post's content was checked (and updated if needed): what it holds now, atomically.
        `at_creation`: the links were written when the post was created; the next pass reports them
        (`checked_at` 0 until then)."""
        now = 0.0 if at_creation else time.time()
        async with self.transaction() as tx:
            await tx.execute("DELETE FROM link_rewrites WHERE item_id = ?", (item_id,))
            await tx.executemany(
                "INSERT INTO link_rewrites (item_id, href, written_href, target_item_id, reason, updated_at) "
                "VALUES (?,?,?,?,?,?)",
                [(item_id, r.href, r.written_href, r.target_item_id, r.reason, now) for r in rows],
            )
            await tx.execute(
                "INSERT INTO link_passes (item_id, wp_post_id, item_finished_at, checked_at) "
                "VALUES (?,?,?,?) "
                "ON CONFLICT(item_id) DO UPDATE SET wp_post_id = excluded.wp_post_id, "
                "item_finished_at = excluded.item_finished_at, checked_at = excluded.checked_at",
                (item_id, wp_post_id, item_finished_at, now),
            )

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
        rewritten, left, checked = row if row is not None else (0, 0, 0)
        return {"rewritten": int(rewritten or 0), "left": int(left or 0), "posts_checked": int(checked or 0)}
