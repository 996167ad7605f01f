"""Categories and tags: each one found or created in WordPress once per blog, whatever the number of
workers asking for it at the same time.

A term is keyed by its normalised name (and, for categories, the path of its parents). The job
database remembers the WordPress id, and which run created it (so `undo` removes only those); a
cache spares the database for the terms of this run.
"""

from __future__ import annotations

import unicodedata

import structlog

from migrator.core.locks import KeyedLocks
from migrator.state.store import StateStore
from migrator.wordpress.client import WordPressClient
from migrator.wordpress.text import as_plain_field

__all__ = ["TermResolver", "term_key"]

log = structlog.get_logger(__name__)


def term_key(name: str) -> str:
    """How a category/tag name is keyed in the database (WordPress compares names case-insensitively)."""
    return unicodedata.normalize("NFC", name).strip().casefold()


class TermResolver:
    """WordPress ids for the terms of posts; shared by all workers of a run."""

    def __init__(self, *, store: StateStore, wp: WordPressClient, job_id: int) -> None:
        self.store = store
        self.wp = wp
        self.job_id = job_id
        self.locks = KeyedLocks()
        self._cache: dict[tuple[str, str], int] = {}

    async def categories(self, path: tuple[str, ...]) -> list[int]:
        """The id of the deepest category of `path` (its parents are created on the way), or none."""
        parent = 0
        key = ""
        for name in path:
            key = f"{key}/{term_key(name)}" if key else term_key(name)
            parent = await self.ensure("categories", name, parent=parent, key=key)
        return [parent] if path else []

    async def tags(self, names: tuple[str, ...]) -> list[int]:
        return [await self.ensure("tags", name) for name in names]

    async def ensure(self, taxonomy: str, name: str, *, parent: int = 0, key: str | None = None) -> int:
        key = key or term_key(name)
        cached = self._cache.get((taxonomy, key))
        if cached is not None:
            return cached
        async with self.locks.hold(f"{taxonomy}:{key}"):
            term_id = await self.store.get_term(taxonomy, key)
            if term_id is None:
                term_id, created = await self.wp.ensure_term(taxonomy, as_plain_field(name), parent=parent)
                await self.store.put_term(
                    taxonomy, key, term_id, created_by_job=self.job_id if created else None
                )
                log.debug("term_ready", taxonomy=taxonomy, name=name, term_id=term_id, created=created)
            self._cache[(taxonomy, key)] = term_id
            return term_id
