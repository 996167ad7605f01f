"""The job database remembers the files a migrated post lacks (issue 8), also in databases written
before that existed."""

from __future__ import annotations

import sqlite3

from migrator.models import MissingFile
from migrator.state.store import MIGRATIONS, StateStore


async def test_an_older_database_gains_the_missing_files_table(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:2], start=1):
        conn.executescript(f"{script}\nPRAGMA user_version = {version};")
    conn.execute(
        "INSERT INTO items (post_id, canonical_url, status, wp_post_id, updated_at) "
        "VALUES (7, 'https://b.tistory.com/7', 'completed', 70, 0)"
    )
    conn.commit()
    conn.close()

    store = await StateStore.open(path)
    try:
        item = await store.item_by_post_id(7)
        assert item.status == "completed" and not await store.has_missing_files(item.id)
        gone = MissingFile("cdn/x.png", "https://cdn/x.png", "the file could not be downloaded (HTTP 404)")
        await store.replace_missing_files(item.id, [gone])
        assert await store.missing_files() == [(item.id, gone)]
        assert [i.post_id for i in await store.items_with_missing_files()] == [7]
        await store.replace_missing_files(item.id, [])
        assert await store.items_with_missing_files() == []
    finally:
        await store.close()
