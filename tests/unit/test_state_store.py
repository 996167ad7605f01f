"""The state store split by table family: an older database still opens, statuses come back as enums."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from migrator.models import ItemStatus, JobStatus, MissingFile
from migrator.state.store import SCHEMA_VERSION, AssetStatus, LinkRewrite, StateStore

EXAMPLE_DB = Path(__file__).resolve().parents[2] / "migration.db.example"


async def test_the_example_database_of_an_older_schema_opens_and_migrates(tmp_path):
    path = tmp_path / "example.db"
    shutil.copyfile(EXAMPLE_DB, path)
    with sqlite3.connect(path) as conn:
        older = conn.execute("PRAGMA user_version").fetchone()[0]
    assert older < SCHEMA_VERSION  # the example is of a previous version: this test migrates it

    store = await StateStore.open(path)
    try:
        items = await store.items()
        assert sorted(i.status for i in items) == ["completed", "failed", "skipped"]
        done = next(i for i in items if i.status == ItemStatus.COMPLETED)
        assert [row[0] for row in await store.post_map()] == [done.canonical_url]
        assert await store.asset_counts() == {"uploaded": 1}
        assert len(await store.links_of_item(done.id)) == 1
        # the tables of the newer schema work on it
        gone = MissingFile("cdn/x.png", "https://cdn/x.png", "the file could not be downloaded (HTTP 404)")
        await store.replace_missing_files(done.id, [gone])
        assert [i.id for i in await store.items_with_missing_files()] == [done.id]
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_statuses_come_back_as_enum_members_equal_to_the_stored_strings(tmp_path):
    store = await StateStore.open(tmp_path / "m.db")
    try:
        job_id = await store.start_job("all", blog_url="b", wp_base_url="w")
        item = await store.upsert_item(post_id=1, canonical_url="https://b/1", slug=None, discovered_by=None)
        asset = await store.asset_for_source(source_key="k", source_url="u", kind="image", item_id=item.id,
                                             job_id=job_id)
        await store.mark_asset_uploading(asset.id, content_hash="h", owner_item_id=item.id, job_id=job_id,
                                         filename="f.png")
        job, item, asset = await store.get_job(job_id), await store.get_item(item.id), await store.get_asset(asset.id)
        assert job.status is JobStatus.RUNNING and job.status == "running"
        assert item.status is ItemStatus.PENDING and item.status == "pending"
        assert asset.status is AssetStatus.UPLOADING and asset.status == "uploading"
        await store.reset_asset(asset.id, error="HTTP 500")
        assert (await store.get_asset(asset.id)).status is AssetStatus.FAILED
        assert [a.id for a in await store.media_uploaded_by_job(job_id)] == []
    finally:
        await store.close()


async def test_an_undo_reset_forgets_the_post_in_every_family(tmp_path):
    store = await StateStore.open(tmp_path / "m.db")
    try:
        job = await store.start_job("all", blog_url="b", wp_base_url="w")
        item = await store.upsert_item(post_id=2, canonical_url="https://b/2", slug=None, discovered_by=None)
        item = await store.begin_attempt(item.id, job)
        await store.asset_for_source(source_key="k", source_url="u", kind="image", item_id=item.id, job_id=job)
        await store.complete_item(item, wp_post_id=20, wp_slug="s", wp_link="l", title="T", images=1)
        await store.record_link_pass(item.id, wp_post_id=20, item_finished_at=None,
                                     rows=[LinkRewrite(item.id, "/3", "/?p=30", None, None)])
        await store.replace_missing_files(item.id, [MissingFile("k2", "https://cdn/y.png", "gone")])

        await store.reset_item_for_undo(item.id)

        again = await store.get_item(item.id)
        assert again.status == ItemStatus.PENDING and again.wp_post_id is None and again.attempts == 0
        assert await store.assets_of_item(item.id) == []
        assert await store.link_rewrites(item.id) == [] and await store.link_pass(item.id) is None
        assert not await store.has_missing_files(item.id)
    finally:
        await store.close()
