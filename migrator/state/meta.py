"""Choices remembered between commands (e.g. the link style of rewrite-links), as key/value pairs."""

from __future__ import annotations

from migrator.state.connection import StoreBase

__all__ = ["MetaMixin"]


class MetaMixin(StoreBase):
    async def get_meta(self, key: str) -> str | None:
        row = await self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self._exec(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
