"""`migrate status` and `migrate report`: what the job database says, rendered for people or programs.

Both only read. They work while a run is going on: SQLite in WAL mode lets readers in while the
run writes, and whether a run holds the database is asked of its lock file, never waited for.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from migrator.commands.summary import duration_text
from migrator.errors import StateError
from migrator.safe_output import csv_cell, terminal_safe
from migrator.state.store import Job, StateStore, pid_alive

__all__ = [
    "REPORT_FORMATS",
    "JobLine",
    "ReportRow",
    "StatusSnapshot",
    "load_report",
    "load_status",
    "render_report",
    "render_status",
    "run_holder",
]

REPORT_FORMATS = ("table", "csv", "json")


@dataclass(frozen=True, slots=True)
class JobLine:
    id: int
    kind: str
    status: str  # the jobs row's status, or "undone"
    started_at: float
    ended_at: float | None
    discovered: int
    completed: int
    failed: int
    skipped: int
    already_done: int
    images_uploaded: int
    images_reused: int
    error: str | None
    pid: int | None
    live: bool  # this job's process is running now

    @property
    def settled(self) -> int:
        return self.completed + self.failed + self.skipped + self.already_done


@dataclass(slots=True)
class StatusSnapshot:
    db_path: str
    running_pid: int | None  # a process holds the database lock
    jobs: list[JobLine] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)
    assets: dict[str, int] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)
    # Posts migrated with missing files: (source url, title, [(file url, reason), ...]).
    missing: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "missing_files": [
                {"source_url": u, "title": t, "files": [{"url": f, "reason": r} for f, r in files]}
                for u, t, files in self.missing
            ],
            "db_path": self.db_path,
            "running_pid": self.running_pid,
            "jobs": [asdict(j) for j in self.jobs],
            "items": self.items,
            "images": self.assets,
            "links": self.links,
        }


def run_holder(db_path: Path) -> int | None:
    """The pid of the `migrate` process holding the database lock, or None when none does.

    Asks the lock without waiting and without creating anything.
    """
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        handle = open(lock_path)  # closed below
    except OSError:
        return None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None
    finally:
        handle.close()


async def _open(db_path: Path) -> StateStore:
    if not os.path.exists(db_path):  # noqa: ASYNC240 - one stat call
        raise StateError(f"there is no job database at {db_path} yet (nothing has been migrated with it)")
    return await StateStore.open(db_path, read_only=True)


def _job_line(job: Job, undone: dict[int, float], running_pid: int | None) -> JobLine:
    live = job.status == "running" and running_pid is not None and job.pid == running_pid
    status = "undone" if job.id in undone else job.status
    if job.status == "running" and not live:
        alive = bool(job.pid) and pid_alive(job.pid or 0)
        status = "running" if alive else "stopped (crash or kill; the next run resumes it)"
    return JobLine(
        id=job.id,
        kind=job.kind,
        status=status,
        started_at=job.started_at,
        ended_at=job.ended_at,
        discovered=job.discovered,
        completed=job.completed,
        failed=job.failed,
        skipped=job.skipped,
        already_done=job.already_done,
        images_uploaded=job.images_uploaded,
        images_reused=job.images_reused,
        error=job.error,
        pid=job.pid,
        live=live,
    )


async def load_status(db_path: Path) -> StatusSnapshot:
    """Raises StateError when there is no usable database."""
    running = run_holder(db_path)
    store = await _open(db_path)
    try:
        undone = await store.undone_jobs()
        snapshot = StatusSnapshot(str(db_path), running)
        snapshot.jobs = [_job_line(j, undone, running) for j in await store.list_jobs()]
        snapshot.items = await store.status_counts()
        snapshot.assets = await store.asset_counts()
        snapshot.links = await store.link_counts()
        snapshot.missing = await _missing_by_post(store)
    finally:
        await store.close()
    return snapshot


async def _missing_by_post(store: StateStore) -> list[tuple[str, str, list[tuple[str, str]]]]:
    rows = await store.missing_files()
    items = {i.id: i for i in await store.items_with_missing_files()}
    grouped: dict[int, list[tuple[str, str]]] = {}
    for item_id, f in rows:
        grouped.setdefault(item_id, []).append((f.url, f.reason))
    return [
        (items[i].canonical_url, items[i].title or "", files) for i, files in grouped.items() if i in items
    ]


def render_missing(missing: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], *, max_listed: int = 20) -> list[str]:
    """Posts migrated with missing files, each file with its reason (shared by status and summary)."""
    if not missing:
        return []
    count = sum(len(files) for _, _, files in missing)
    lines = [
        f"Migrated with missing files: {_n(len(missing), 'post')}, {_n(count, 'file')} "
        "(the posts are in WordPress; those links keep their Tistory address; the next run tries them again):"
    ]
    for url, title, files in missing[:max_listed]:
        lines.append(f"  {url}" + (f"  {_clip(title, 40)}" if title else ""))
        for file_url, reason in files:
            lines.append(f"    {file_url}: {reason}")
    if len(missing) > max_listed:
        lines.append(f"  … and {len(missing) - max_listed} more (see `migrate report --state missing_files`)")
    return lines


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def render_status(s: StatusSnapshot, *, now: float | None = None) -> str:
    now = time.time() if now is None else now
    lines = [f"Job database: {s.db_path}"]
    if s.running_pid:
        live = next((j for j in reversed(s.jobs) if j.live), None)
        if live is not None:
            progress = (
                f"{live.settled} of {live.discovered} posts found so far" if live.discovered else "starting"
            )
            lines.append(
                f"A run is going on: job {live.id} (pid {s.running_pid}), {progress}, "
                f"running for {duration_text(now - live.started_at)}."
            )
        else:
            lines.append(f"The database is in use by another migrate command (pid {s.running_pid}).")
    else:
        lines.append("No run is going on.")
    if not s.jobs:
        lines.append("No job has run yet.")
    else:
        header = (
            "job",
            "kind",
            "status",
            "started",
            "took",
            "found",
            "done",
            "earlier",
            "failed",
            "skipped",
            "images",
        )
        rows = []
        for j in s.jobs:
            took = duration_text((j.ended_at or now) - j.started_at)
            rows.append(
                (
                    str(j.id),
                    j.kind,
                    j.status,
                    _when(j.started_at),
                    took,
                    str(j.discovered),
                    str(j.completed),
                    str(j.already_done),
                    str(j.failed),
                    str(j.skipped),
                    f"{j.images_uploaded} new, {j.images_reused} reused",
                )
            )
        lines.append("")
        lines.extend(_table(header, rows))
        for j in s.jobs:
            if j.error:
                lines.append(f"  job {j.id}: {j.error}")
    total = sum(s.items.values())
    lines.append("")
    lines.append(f"Posts: {total} known — " + ", ".join(f"{k} {v}" for k, v in s.items.items()))
    if s.missing:
        lines.extend(render_missing(s.missing))
    if s.assets:
        lines.append("Images and files: " + ", ".join(f"{k} {v}" for k, v in sorted(s.assets.items())))
    if s.links.get("posts_checked"):
        lines.append(
            f"Internal links: {s.links['rewritten']} point at WordPress, {s.links['left']} left "
            f"as they are ({_n(s.links['posts_checked'], 'post')} checked)"
        )
    return terminal_safe("\n".join(lines))  # errors and titles come from pages anyone can write


# --------------------------------------------------------------------------- per-post report
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


MISSING_FILES_STATE = "completed_missing_files"  # a completed post some of whose files are missing


async def load_report(db_path: Path, *, status: str | None = None) -> list[ReportRow]:
    """`status` "missing_files" selects the completed posts with missing files."""
    store = await _open(db_path)
    try:
        items = await store.items(status="completed" if status == "missing_files" else status)
        rewrites = await store.link_rewrites()
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
        )
        for i in items
    ]


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
    header = ("source", "state", "wp id", "wordpress url", "images", "error / reason", "title")
    body = [
        (
            r.source_url,
            r.state,
            "" if r.wp_post_id is None else str(r.wp_post_id),
            r.wp_url,
            str(r.images),
            _clip(r.error, 60),
            _clip(r.title, 40),
        )
        for r in rows
    ]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    summary = f"{_n(len(rows), 'post')}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    lines = [*_table(header, body), summary]
    lines.extend(
        render_missing([(r.source_url, r.title, r.missing_files) for r in rows if r.missing_files], max_listed=10**6)
    )
    if any("?p=" in r.wp_url for r in rows):
        lines.append(
            "Drafts show WordPress's ?p=<id> link until they are published; "
            "`migrate redirects --format csv` lists the addresses they will have."
        )
    return terminal_safe("\n".join(lines)) + "\n"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --------------------------------------------------------------------------- text tables
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _clip(text: str, limit: int) -> str:
    text = " ".join(terminal_safe(text, keep_newlines=False).split())
    if _width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    rows = [[terminal_safe(c, keep_newlines=False) for c in r] for r in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
