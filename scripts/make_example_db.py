#!/usr/bin/env python3
"""Write migration.db.example: the job database schema with a few illustrative rows.

    python3 scripts/make_example_db.py            # regenerates ./migration.db.example
    python3 scripts/make_example_db.py OUT.db     # somewhere else

Open it with `sqlite3 migration.db.example .schema` or `migrate status --db migration.db.example`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrator.models import JobStatus  # noqa: E402
from migrator.state.store import LinkRow, StateStore  # noqa: E402

BLOG = "https://example-blog.tistory.com"
WP = "https://wordpress.example.com"


async def build(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = await StateStore.open(path)
    job = await store.start_job("all", blog_url=BLOG, wp_base_url=WP)

    first = await store.upsert_item(post_id=12, canonical_url=f"{BLOG}/12", slug="첫-글", discovered_by="mobile_api",
                                    aliases=[f"{BLOG}/entry/%EC%B2%AB-%EA%B8%80"])
    first = await store.begin_attempt(first.id, job)
    await store.record_post_intent(first.id, job, "tistory-post-1f6b9c0e2a4d8e31")
    await store.record_wp_post(first.id, 101, "첫-글", f"{WP}/?p=101")
    asset = await store.asset_for_source(source_key="blog.kakaocdn.net/dna/aB1/cD2/eF3/img.png",
                                         source_url="https://blog.kakaocdn.net/dna/aB1/cD2/eF3/img.png?expires=1767193199",
                                         kind="image", item_id=first.id, job_id=job)
    await store.mark_asset_uploading(asset.id, content_hash="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                                     owner_item_id=first.id, job_id=job, filename="바다-사진.png")
    await store.mark_asset_uploaded(asset.id, media_id=102, media_url=f"{WP}/wp-content/uploads/2026/11/바다-사진.png")
    await store.replace_links(first.id, first.canonical_url, [LinkRow(f"{BLOG}/13#section", f"{BLOG}/13", 13, None, "section")])
    await store.put_term("categories", "여행", 5, created_by_job=job)
    await store.put_term("categories", "여행/부산", 6, created_by_job=job)
    await store.put_term("tags", "바다", 7, created_by_job=job)
    first = await store.get_item(first.id)
    await store.complete_item(first, wp_post_id=101, wp_slug="첫-글", wp_link=f"{WP}/?p=101", title="첫 글", images=1)

    second = await store.upsert_item(post_id=13, canonical_url=f"{BLOG}/13", slug=None, discovered_by="sitemap")
    second = await store.begin_attempt(second.id, job)
    await store.fail_item(second.id, "PermanentError: the file could not be downloaded (HTTP 404) "
                                     "[https://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806?original]")
    await store.record_unreadable(f"{BLOG}/14", post_id=14, reason="protected (password)", job_id=job,
                                  discovered_by="list")
    await store.finish_job(job, JobStatus.COMPLETED_WITH_FAILURES, discovered=3, completed=1, failed=1, skipped=1,
                           images_uploaded=1)
    await store.close()
    # A self-contained file: fold the WAL back in.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    Path(str(path) + "-wal").unlink(missing_ok=True)
    Path(str(path) + "-shm").unlink(missing_ok=True)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "migration.db.example"
    asyncio.run(build(out))
    print(f"wrote {out}")
