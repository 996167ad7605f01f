"""Rolling back a failed post: remove from WordPress what it created (its draft, and media no other
post uses), so a failure leaves nothing half-made and the next run starts the post afresh.

Safe to repeat (404 = already gone) and safe after a crash: intents and markers find objects whose
create was never recorded. A rollback cut short is finished at the next run.
"""

from __future__ import annotations

import asyncio

import structlog

from migrator.core.markers import media_marker
from migrator.core.media import MediaSync
from migrator.errors import PostError
from migrator.state.store import Asset, Item, StateStore
from migrator.wordpress.client import WordPressClient

__all__ = ["Rollback"]

log = structlog.get_logger(__name__)


class Rollback:
    """Undoes one post's creations; shares the media locks of the run's `MediaSync`."""

    def __init__(self, *, store: StateStore, wp: WordPressClient, media: MediaSync) -> None:
        self.store = store
        self.wp = wp
        self.media = media

    async def safely(self, item_id: int, timeout_s: float = 120.0) -> bool:
        """Roll back, reporting instead of raising: a failed rollback is retried at the next run
        (the intents and markers are still recorded)."""
        try:
            async with asyncio.timeout(timeout_s):
                await self.run(item_id)
            return True
        except (PostError, TimeoutError) as exc:
            log.warning("rollback_incomplete", error=exc.__class__.__name__, error_msg=str(exc))
            return False

    async def run(self, item_id: int) -> None:
        """Remove from WordPress what this post created: its draft, and media no other post uses."""
        item = await self.store.get_item(item_id)
        if item is None:
            return
        kept: set[int] = set()
        for asset in await self.store.assets_of_item(item.id):
            if asset.owner_item_id != item.id:
                continue
            if asset.status == "uploaded" and asset.media_id:
                await self._release_media(item, asset, kept)
            elif asset.status == "uploading":
                async with self.media.asset_locks.hold("src:" + asset.source_key):
                    for media in await self.wp.find_media_by_marker(media_marker(asset.source_key)):
                        await self.wp.delete_media(media.id)
                    await self.store.reset_asset(asset.id)
        if item.wp_post_id:
            await self.wp.delete_post(item.wp_post_id, kind=item.kind)
        if item.post_intent and item.marker:
            # A create whose answer we never recorded may still have succeeded.
            for post in await self.wp.find_posts_by_marker(item.marker, kind=item.kind):
                await self.wp.delete_post(post.id, kind=item.kind)
        await self.store.unlink_item_assets(item.id)
        await self.store.replace_missing_files(item.id, [])
        await self.store.clear_wp_post(item.id)
        log.info("post_rolled_back", wp_post_id=item.wp_post_id)

    async def _release_media(self, item: Item, asset: Asset, kept: set[int]) -> None:
        """Delete an uploaded media item this post owns, or hand it to a post that still uses it."""
        assert asset.media_id is not None
        # Decide and delete while holding every lock through which another post could pick this
        # media up (its sources, its content hash): otherwise a post could reuse it between our
        # "nobody else uses it" and the delete.
        async with self.media.locks_for(asset):
            current = await self.store.get_asset(asset.id)
            if current is None or current.status != "uploaded" or current.media_id != asset.media_id:
                return
            users = await self.store.other_users_of_media(asset.media_id, item.id)
            if users:
                kept.add(asset.media_id)  # shared: it stays, owned by a post that still uses it
                await self.store.transfer_media_owner(asset.media_id, users[0].id)
                return
            await self.wp.delete_media(asset.media_id)
            await self.store.reset_assets_of_media(asset.media_id)
