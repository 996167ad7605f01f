"""Terms: the WordPress category or tag each Tistory category path and tag resolved to, and which job
created it (undo deletes only what a job created)."""

from __future__ import annotations

from dataclasses import dataclass

from migrator.state.connection import StoreBase

__all__ = ["TermRow", "TermsMixin"]


@dataclass(frozen=True, slots=True)
class TermRow:
    taxonomy: str           # "categories" or "tags" (the WordPress REST route)
    key: str
    wp_id: int
    created_by_job: int | None


class TermsMixin(StoreBase):
    async def get_term(self, taxonomy: str, key: str) -> int | None:
        row = await self._one("SELECT wp_id FROM terms WHERE taxonomy = ? AND key = ?", (taxonomy, key))
        return int(row[0]) if row else None

    async def put_term(self, taxonomy: str, key: str, wp_id: int, *, created_by_job: int | None) -> None:
        await self._exec(
            "INSERT INTO terms (taxonomy, key, wp_id, created_by_job) VALUES (?,?,?,?) "
            "ON CONFLICT(taxonomy, key) DO UPDATE SET wp_id = excluded.wp_id",
            (taxonomy, key, wp_id, created_by_job),
        )

    async def forget_term(self, taxonomy: str, key: str) -> None:
        await self._exec("DELETE FROM terms WHERE taxonomy = ? AND key = ?", (taxonomy, key))

    async def terms_created_by_job(self, job_id: int) -> list[TermRow]:
        rows = await self._all(
            "SELECT taxonomy, key, wp_id, created_by_job FROM terms WHERE created_by_job = ? "
            "ORDER BY taxonomy, key",
            (job_id,),
        )
        return [TermRow(*r) for r in rows]
