"""StateStore on a real SQLite file: schema, migrations, intents, asset sharing, requeue."""

from __future__ import annotations

import sqlite3

import pytest

from migrator.errors import StateError
from migrator.models import JobStatus
from migrator.state.store import SCHEMA_VERSION, LinkRow, StateStore


@pytest.fixture
async def store(tmp_path):
    s = await StateStore.open(tmp_path / "m.db")
    yield s
    await s.close()


async def test_schema_is_versioned_and_wal(tmp_path, store):
    conn = sqlite3.connect(tmp_path / "m.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"jobs", "items", "image_assets", "item_assets", "internal_links", "terms"} <= tables
    views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}
    assert "post_map" in views


async def test_reopen_does_not_migrate_twice(tmp_path, store):
    job = await store.start_job("all", blog_url="https://b.tistory.com", wp_base_url="https://wp")
    await store.close()
    again = await StateStore.open(tmp_path / "m.db")
    assert (await again.get_job(job)).kind == "all"
    await again.close()


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StateError, match="newer migrator"):
        await StateStore.open(path)


async def test_garbage_file_is_a_state_error(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError):
        await StateStore.open(path)


async def test_item_lifecycle_and_post_map(store):
    job = await store.start_job("all", blog_url="b", wp_base_url="w")
    item = await store.upsert_item(post_id=7, canonical_url="https://b/7", slug="hello",
                                   discovered_by="sitemap", aliases=["https://b/entry/hello"])
    assert (await store.item_by_url("https://b/entry/hello")).id == item.id
    item = await store.begin_attempt(item.id, job)
    assert item.status == "running" and item.attempts == 1
    await store.record_post_intent(item.id, job, "tistory-post-x")
    await store.record_wp_post(item.id, 55, "hello", "http://wp/?p=55")
    item = await store.get_item(item.id)
    await store.complete_item(item, wp_post_id=55, wp_slug="hello", wp_link="http://wp/?p=55", title="T", images=2)
    assert await store.post_map() == [("https://b/7", 7, "hello", 55, "hello", "http://wp/?p=55")]
    assert (await store.status_counts())["completed"] == 1
    # upserting the same post again keeps its state
    again = await store.upsert_item(post_id=7, canonical_url="https://b/7", slug=None, discovered_by="list")
    assert again.status == "completed" and again.slug == "hello"


async def test_requeue_stale_keeps_intents_and_release_uncounts(store):
    job = await store.start_job("all", blog_url="b", wp_base_url="w")
    item = await store.upsert_item(post_id=1, canonical_url="https://b/1", slug=None, discovered_by=None)
    await store.begin_attempt(item.id, job)
    await store.record_post_intent(item.id, job, "m")
    assert await store.requeue_stale() == 1
    item = await store.get_item(item.id)
    assert item.status == "pending" and item.post_intent == 1 and item.marker == "m" and item.attempts == 1
    await store.begin_attempt(item.id, job)
    await store.release_item(item.id)
    assert (await store.get_item(item.id)).attempts == 1


async def test_unfinished_items_respects_attempts(store):
    job = await store.start_job("all", blog_url="b", wp_base_url="w")
    a = await store.upsert_item(post_id=1, canonical_url="https://b/1", slug=None, discovered_by=None)
    b = await store.upsert_item(post_id=2, canonical_url="https://b/2", slug=None, discovered_by=None)
    for _ in range(3):
        await store.begin_attempt(b.id, job)
    await store.fail_item(b.id, "boom")
    got = {i.post_id for i in await store.unfinished_items(max_attempts=3, include_failed=True)}
    assert got == {1}
    got = {i.post_id for i in await store.unfinished_items(max_attempts=4, include_failed=True)}
    assert got == {1, 2}
    got = {i.post_id for i in await store.unfinished_items(max_attempts=4, include_failed=False)}
    assert got == {1}
    await store.reset_failed_attempts()
    assert (await store.get_item(b.id)).attempts == 0
    assert a.id != b.id


async def test_assets_are_shared_by_source_and_hash(store):
    job = await store.start_job("all", blog_url="b", wp_base_url="w")
    one = await store.upsert_item(post_id=1, canonical_url="https://b/1", slug=None, discovered_by=None)
    two = await store.upsert_item(post_id=2, canonical_url="https://b/2", slug=None, discovered_by=None)
    a1 = await store.asset_for_source(source_key="k", source_url="u", kind="image", item_id=one.id, job_id=job)
    a2 = await store.asset_for_source(source_key="k", source_url="u2", kind="image", item_id=two.id, job_id=job)
    assert a1.id == a2.id and a1.owner_item_id == one.id
    await store.mark_asset_uploading(a1.id, content_hash="h", owner_item_id=one.id, job_id=job, filename="f.png")
    assert (await store.get_asset(a1.id)).status == "uploading"
    await store.mark_asset_uploaded(a1.id, media_id=9, media_url="http://wp/f.png", content_hash="h")
    assert (await store.uploaded_asset_by_hash("h")).media_id == 9
    await store.begin_attempt(two.id, job)
    users = await store.other_users_of_media(9, one.id)
    assert [u.id for u in users] == [two.id]
    await store.reset_assets_of_media(9)
    assert (await store.get_asset(a1.id)).status == "pending"


async def test_links_replace_and_terms(store):
    item = await store.upsert_item(post_id=3, canonical_url="https://b/3", slug=None, discovered_by=None)
    await store.replace_links(item.id, "https://b/3", [LinkRow("/4#x", "https://b/4", 4, None, "x")])
    await store.replace_links(item.id, "https://b/3", [LinkRow("/5", "https://b/5", 5, None, "")])
    assert [ln.target_url for ln in await store.links_of_item(item.id)] == ["https://b/5"]
    await store.put_term("tags", "python", 12, created_by_job=None)
    assert await store.get_term("tags", "python") == 12
    assert await store.get_term("categories", "python") is None


async def test_dead_jobs_are_closed(store):
    job = await store.start_job("all", blog_url="b", wp_base_url="w")
    await store._exec("UPDATE jobs SET pid = 999999 WHERE id = ?", (job,))
    assert await store.close_dead_jobs() == 1
    assert (await store.get_job(job)).status == "interrupted"
    job2 = await store.start_job("all", blog_url="b", wp_base_url="w")
    await store.finish_job(job2, JobStatus.COMPLETED, completed=3)
    assert (await store.get_job(job2)).completed == 3
