"""The schema of the job database: its versions, and bringing an older database up to date.

The version is SQLite's `user_version`. A database written by an older migrator is migrated when it
is opened; one written by a newer migrator is refused rather than misread.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from migrator.errors import StateError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

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
    # 1 -> 2: internal-link rewriting state per post, and undone jobs.
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
    # 2 -> 3: files a migrated post could not get. A completed post with rows here is
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
    # 3 -> 4: comments. One row per Tistory comment this tool created (or is creating) in
    # WordPress: 'creating' is the intent written before the request, 'created' carries the id.
    # comment_counts holds, per post, what its last comment pass found.
    """
    CREATE TABLE comments (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        source_id INTEGER NOT NULL,
        parent_source_id INTEGER,
        status TEXT NOT NULL CHECK (status IN ('creating','created')),
        wp_comment_id INTEGER,
        wp_post_id INTEGER NOT NULL,
        job_id INTEGER REFERENCES jobs(id),
        updated_at REAL NOT NULL,
        PRIMARY KEY (item_id, source_id)
    );
    CREATE INDEX comments_job ON comments(job_id);
    CREATE TABLE comment_counts (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        found INTEGER NOT NULL DEFAULT 0,
        migrated INTEGER NOT NULL DEFAULT 0,
        secret INTEGER NOT NULL DEFAULT 0,
        unreadable INTEGER NOT NULL DEFAULT 0,
        waiting INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        checked_at REAL NOT NULL
    );
    """,
    # 4 -> 5: the address readers will use for a migrated post once it is published (decided from
    # WordPress's answer when the post was created), so links to it are written right the first time.
    """
    ALTER TABLE items ADD COLUMN wp_address TEXT;
    """,
    # 5 -> 6: static pages. An item is a post or a page (a WordPress page, created on /wp/v2/pages);
    # a page is known by its canonical `/pages/<slug>` URL (post_id NULL unless its page carries one).
    """
    ALTER TABLE items ADD COLUMN kind TEXT NOT NULL DEFAULT 'post' CHECK (kind IN ('post','page'));
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


async def migrate(conn: aiosqlite.Connection, path: Path) -> None:
    """Apply the migrations this database lacks. Raises StateError for a newer schema."""
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StateError(
            f"the job database {path} was written by a newer migrator (schema {version}, "
            f"this one knows {SCHEMA_VERSION})"
        )
    for target in range(version, SCHEMA_VERSION):
        script = MIGRATIONS[target]
        # executescript commits; the version bump is in the same script so a crash cannot
        # leave a half-applied migration recorded as done.
        await conn.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {target + 1};\nCOMMIT;"
        )
