"""`migrate report`: one line per post (source, state, WordPress id and address, images, missing
files, error), as a table, CSV or JSON. It only reads, and works while a run is going on."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from migrator.commands.tables import clip, open_read_only, plural, render_missing, text_table
from migrator.safe_output import csv_cell, terminal_safe
from migrator.state.store import CommentCountsRow

__all__ = ["MISSING_FILES_STATE", "REPORT_FORMATS", "ReportRow", "load_report", "render_report"]

REPORT_FORMATS = ("table", "csv", "json")


@dataclass(frozen=True, slots=True)
class ReportRow:
    source_url: str
    post_id: int | None
    title: str
    state: str
    wp_post_id: int | None
    wp_url: str
    images: int
    attempts: int
    job_id: int | None
    error: str
    links_rewritten: int
    links_left: int
    missing_files: tuple[tuple[str, str], ...] = ()  # (file url, reason)
    comments_migrated: int | None = None   # None: no comment pass yet
    comments_secret: int | None = None
    comments_unreadable: int | None = None
    comments_note: str = ""                # "waiting" (a draft) or why the last pass stopped
    kind: str = "post"                     # "page": a static page, migrated as a WordPress page

    @property
    def comments_text(self) -> str:
        if self.comments_migrated is None:
            return ""
        text = f"{self.comments_migrated}/{self.comments_secret}/{self.comments_unreadable}"
        return f"{text} {self.comments_note}".strip()


MISSING_FILES_STATE = "completed_missing_files"  # a completed post some of whose files are missing


async def load_report(db_path: Path, *, status: str | None = None) -> list[ReportRow]:
    """`status` "missing_files" selects the completed posts with missing files."""
    store = await open_read_only(db_path)
    try:
        items = await store.items(status="completed" if status == "missing_files" else status)
        rewrites = await store.link_rewrites()
        comment_counts = await store.comment_counts()
        missing: dict[int, list[tuple[str, str]]] = {}
        for item_id, f in await store.missing_files():
            missing.setdefault(item_id, []).append((f.url, f.reason))
    finally:
        await store.close()
    if status == "missing_files":
        items = [i for i in items if i.id in missing]
    rewritten: dict[int, int] = {}
    left: dict[int, int] = {}
    for r in rewrites:
        bucket = rewritten if r.written_href else left
        bucket[r.item_id] = bucket.get(r.item_id, 0) + 1
    return [
        ReportRow(
            source_url=i.canonical_url,
            post_id=i.post_id,
            title=i.title or "",
            state=MISSING_FILES_STATE if i.id in missing and i.status == "completed" else i.status,
            wp_post_id=i.wp_post_id,
            wp_url=i.wp_link or "",
            images=i.images,
            attempts=i.attempts,
            job_id=i.job_id,
            error=i.error or i.skip_reason or "",
            links_rewritten=rewritten.get(i.id, 0),
            links_left=left.get(i.id, 0),
            missing_files=tuple(missing.get(i.id, ())),
            **_comment_fields(comment_counts.get(i.id)),
            kind=i.kind,
        )
        for i in items
    ]


def _comment_fields(counts: CommentCountsRow | None) -> dict[str, Any]:
    if counts is None:
        return {}
    return {
        "comments_migrated": counts.migrated,
        "comments_secret": counts.secret,
        "comments_unreadable": counts.unreadable,
        "comments_note": "waiting (draft)" if counts.waiting else (counts.error or ""),
    }


_REPORT_COLUMNS = (
    "source_url",
    "post_id",
    "title",
    "state",
    "wp_post_id",
    "wp_url",
    "images",
    "attempts",
    "job_id",
    "error",
    "links_rewritten",
    "links_left",
    "missing_files",
    "comments_migrated",
    "comments_secret",
    "comments_unreadable",
    "comments_note",
    "kind",
)


def render_report(rows: Sequence[ReportRow], fmt: str) -> str:
    if fmt == "json":
        records = [
            {**asdict(r), "missing_files": [{"url": u, "reason": why} for u, why in r.missing_files]}
            for r in rows
        ]
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(_REPORT_COLUMNS)
        for r in rows:
            cells = {c: "" if getattr(r, c) is None else getattr(r, c) for c in _REPORT_COLUMNS}
            cells["missing_files"] = "; ".join(f"{u} ({why})" for u, why in r.missing_files)
            writer.writerow([csv_cell(cells[c]) for c in _REPORT_COLUMNS])
        return buf.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown report format {fmt!r}")
    header = (
        "source", "state", "wp id", "wordpress url", "images", "comments m/s/u", "error / reason", "title", "kind"
    )
    body = [
        (
            r.source_url,
            r.state,
            "" if r.wp_post_id is None else str(r.wp_post_id),
            r.wp_url,
            str(r.images),
            clip(r.comments_text, 40),
            clip(r.error, 60),
            clip(r.title, 40),
            r.kind,
        )
        for r in rows
    ]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    summary = f"{plural(len(rows), 'post')}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    lines = [*text_table(header, body), summary]
    lines.extend(
        render_missing([(r.source_url, r.title, r.missing_files) for r in rows if r.missing_files], max_listed=10**6)
    )
    if any(r.comments_migrated is not None for r in rows):
        lines.append("comments m/s/u: migrated / secret (not readable by guests) / unreadable, per post.")
    if any("?p=" in r.wp_url for r in rows):
        lines.append(
            "Drafts show WordPress's ?p=<id> link until they are published; "
            "`migrate redirects --format csv` lists the addresses they will have."
        )
    return terminal_safe("\n".join(lines)) + "\n"
