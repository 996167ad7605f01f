"""Assets: the images and attached files of posts, the WordPress media they became, and the files a
migrated post could not get.

One asset row per source file (its `source_key` survives re-signed links), shared by every post that
uses it (`item_assets`); rows with the same content share one WordPress media (`reused_from`). A
completed post with rows in `missing_files` is "migrated with missing files": its content keeps their
original addresses, and the next run tries them again.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass

from migrator.models import MissingFile
from migrator.state.connection import StoreBase, columns
from migrator.state.items import Item, item_cols

__all__ = ["Asset", "AssetStatus", "AssetsMixin"]


class AssetStatus(enum.StrEnum):
    PENDING = "pending"        # known, not uploaded (new, or its media is gone)
    UPLOADING = "uploading"    # written before the upload request: media may exist in WordPress
    UPLOADED = "uploaded"      # media_id / media_url hold the WordPress media
    FAILED = "failed"          # the last upload failed; `error` says why, the next run tries again


@dataclass(frozen=True, slots=True)
class Asset:
    id: int
    source_key: str
    source_url: str
    kind: str
    content_hash: str | None
    status: AssetStatus
    owner_item_id: int | None
    job_id: int | None
    media_id: int | None
    media_url: str | None
    reused_from: int | None
    filename: str | None
    error: str | None
    updated_at: float

    def __post_init__(self) -> None:
        # SQLite hands back the plain string; callers get the member (equal to that string).
        object.__setattr__(self, "status", AssetStatus(self.status))


_ASSET_COLS = columns(Asset)


class AssetsMixin(StoreBase):
    # ---- finding an asset
    async def get_asset(self, asset_id: int) -> Asset | None:
        return await self._asset(f"SELECT {_ASSET_COLS} FROM image_assets WHERE id = ?", (asset_id,))

    async def asset_by_source_key(self, source_key: str) -> Asset | None:
        """The asset row of an image source (read only; `asset_for_source` creates)."""
        return await self._asset(f"SELECT {_ASSET_COLS} FROM image_assets WHERE source_key = ?", (source_key,))

    async def uploaded_asset_by_hash(self, content_hash: str) -> Asset | None:
        return await self._asset(
            f"SELECT {_ASSET_COLS} FROM image_assets WHERE content_hash = ? AND status = ? "
            "AND media_id IS NOT NULL ORDER BY id LIMIT 1",
            (content_hash, AssetStatus.UPLOADED),
        )

    async def uploading_assets_by_hash(self, content_hash: str, *, other_than: int) -> list[Asset]:
        """Other sources with the same bytes whose upload was started (by a run that may have been
        killed after WordPress created the media, before the answer was recorded)."""
        return await self._assets(
            f"SELECT {_ASSET_COLS} FROM image_assets WHERE content_hash = ? AND status = ? AND id != ? "
            "ORDER BY id",
            (content_hash, AssetStatus.UPLOADING, other_than),
        )

    async def assets_with_media(self, media_id: int) -> list[Asset]:
        """Every asset row that resolves to this WordPress media (its own upload and hash reuses)."""
        return await self._assets(
            f"SELECT {_ASSET_COLS} FROM image_assets WHERE media_id = ? ORDER BY id", (media_id,)
        )

    async def assets_of_item(self, item_id: int) -> list[Asset]:
        return await self._assets(
            f"SELECT {columns(Asset, 'a')} FROM image_assets a "
            "JOIN item_assets ia ON ia.asset_id = a.id WHERE ia.item_id = ? ORDER BY a.id",
            (item_id,),
        )

    async def _asset(self, sql: str, params: tuple[object, ...]) -> Asset | None:
        row = await self._one(sql, params)
        return None if row is None else Asset(*row)

    async def _assets(self, sql: str, params: tuple[object, ...] = ()) -> list[Asset]:
        return [Asset(*r) for r in await self._all(sql, params)]

    # ---- an upload and its outcome
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

    async def mark_asset_uploading(
        self, asset_id: int, *, content_hash: str, owner_item_id: int, job_id: int, filename: str
    ) -> None:
        """Written BEFORE the upload request: a crash after this may have left media in WordPress."""
        await self._exec(
            "UPDATE image_assets SET status = ?, content_hash = ?, owner_item_id = ?, job_id = ?, "
            "filename = ?, error = NULL, updated_at = ? WHERE id = ?",
            (AssetStatus.UPLOADING, content_hash, owner_item_id, job_id, filename, time.time(), asset_id),
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
            "UPDATE image_assets SET status = ?, media_id = ?, media_url = ?, "
            "content_hash = COALESCE(?, content_hash), reused_from = ?, "
            "owner_item_id = COALESCE(?, owner_item_id), error = NULL, updated_at = ? WHERE id = ?",
            (AssetStatus.UPLOADED, media_id, media_url, content_hash, reused_from, owner_item_id, time.time(),
             asset_id),
        )

    async def reset_asset(self, asset_id: int, *, error: str | None = None) -> None:
        """The media is gone from WordPress (rolled back, or never created): upload again when needed."""
        await self._exec(
            "UPDATE image_assets SET status = ?, media_id = NULL, media_url = NULL, reused_from = NULL, "
            "error = ?, updated_at = ? WHERE id = ?",
            (AssetStatus.FAILED if error else AssetStatus.PENDING, error, time.time(), asset_id),
        )

    async def reset_assets_of_media(self, media_id: int) -> None:
        await self._exec(
            "UPDATE image_assets SET status = ?, media_id = NULL, media_url = NULL, reused_from = NULL, "
            "updated_at = ? WHERE media_id = ?",
            (AssetStatus.PENDING, time.time(), media_id),
        )

    async def transfer_media_owner(self, media_id: int, item_id: int) -> None:
        await self._exec(
            "UPDATE image_assets SET owner_item_id = ?, updated_at = ? WHERE media_id = ?",
            (item_id, time.time(), media_id),
        )

    async def unlink_item_assets(self, item_id: int) -> None:
        await self._exec("DELETE FROM item_assets WHERE item_id = ?", (item_id,))

    # ---- who uses a media (rollback and undo keep media another post shows)
    async def other_users_of_media(self, media_id: int, item_id: int) -> list[Item]:
        """Items other than `item_id` (completed or in progress) whose content uses this media."""
        rows = await self._all(
            f"SELECT DISTINCT {item_cols('i')} FROM items i "
            "JOIN item_assets ia ON ia.item_id = i.id JOIN image_assets a ON a.id = ia.asset_id "
            "WHERE a.media_id = ? AND i.id != ? AND i.status IN ('completed','running') ORDER BY i.id",
            (media_id, item_id),
        )
        return [Item(*r) for r in rows]

    async def items_using_media(self, media_id: int) -> list[Item]:
        """Items whose content uses this media (through any asset row carrying its id)."""
        rows = await self._all(
            f"SELECT DISTINCT {item_cols('i')} FROM items i "
            "JOIN item_assets ia ON ia.item_id = i.id JOIN image_assets a ON a.id = ia.asset_id "
            "WHERE a.media_id = ? ORDER BY i.id",
            (media_id,),
        )
        return [Item(*r) for r in rows]

    async def media_uploaded_by_job(self, job_id: int) -> list[Asset]:
        """Assets whose file this job uploaded (not reused from an earlier upload), one per media id."""
        return await self._assets(
            f"SELECT {_ASSET_COLS} FROM image_assets WHERE job_id = ? AND reused_from IS NULL "
            "AND status IN (?, ?) ORDER BY id",
            (job_id, AssetStatus.UPLOADED, AssetStatus.UPLOADING),
        )

    async def reassign_media(self, media_id: int, *, owner_item_id: int, job_id: int | None) -> None:
        """Media kept by an undo because another job's post uses it now belongs to that post and job."""
        await self._exec(
            "UPDATE image_assets SET owner_item_id = ?, job_id = ?, updated_at = ? WHERE media_id = ? "
            "AND reused_from IS NULL",
            (owner_item_id, job_id, time.time(), media_id),
        )

    async def asset_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) FROM image_assets GROUP BY status")
        return {status: n for status, n in rows}

    # ---- files a migrated post lacks
    async def replace_missing_files(self, item_id: int, files: Sequence[MissingFile]) -> None:
        """What this post lacks now (an empty list: nothing; the post is then fully migrated)."""
        now = time.time()
        async with self.transaction() as tx:
            await tx.execute("DELETE FROM missing_files WHERE item_id = ?", (item_id,))
            await tx.executemany(
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
            f"SELECT {item_cols('i')} FROM items i "
            "WHERE i.status = 'completed' AND EXISTS (SELECT 1 FROM missing_files m WHERE m.item_id = i.id) "
            "ORDER BY i.post_id"
        )
        return [Item(*r) for r in rows]
