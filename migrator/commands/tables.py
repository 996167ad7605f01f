"""Helpers shared by `status` and `report`: opening the job database to read, and text tables."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from migrator.errors import StateError
from migrator.safe_output import terminal_safe
from migrator.state.store import StateStore

__all__ = ["clip", "open_read_only", "plural", "render_missing", "text_table"]


async def open_read_only(db_path: Path) -> StateStore:
    if not os.path.exists(db_path):  # noqa: ASYNC240 - one stat call
        raise StateError(f"there is no job database at {db_path} yet (nothing has been migrated with it)")
    return await StateStore.open(db_path, read_only=True)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def clip(text: str, limit: int) -> str:
    text = " ".join(terminal_safe(text, keep_newlines=False).split())
    if _width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    rows = [[terminal_safe(c, keep_newlines=False) for c in r] for r in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_missing(missing: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], *, max_listed: int = 20) -> list[str]:
    """Posts migrated with missing files, each file with its reason (shared by status and summary)."""
    if not missing:
        return []
    count = sum(len(files) for _, _, files in missing)
    lines = [
        f"Migrated with missing files: {plural(len(missing), 'post')}, {plural(count, 'file')} "
        "(the posts are in WordPress; those links keep their Tistory address; the next run tries them again):"
    ]
    for url, title, files in missing[:max_listed]:
        lines.append(f"  {url}" + (f"  {clip(title, 40)}" if title else ""))
        for file_url, reason in files:
            lines.append(f"    {file_url}: {reason}")
    if len(missing) > max_listed:
        lines.append(f"  … and {len(missing) - max_listed} more (see `migrate report --state missing_files`)")
    return lines
