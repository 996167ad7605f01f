"""`migrate status`: the jobs, their state and progress, and the posts with missing files.

It only reads, and works while a run is going on: SQLite in WAL mode lets readers in while the run
writes, and whether a run holds the database is asked of its lock file, never waited for.
"""

from __future__ import annotations

import fcntl
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from migrator.commands.summary import duration_text
from migrator.commands.tables import open_read_only, plural, render_missing, text_table
from migrator.safe_output import terminal_safe
from migrator.state.store import Job, StateStore, pid_alive

__all__ = [
    "JobLine",
    "StatusSnapshot",
    "load_status",
    "render_status",
    "run_holder",
]

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
    pages: dict[str, int] = field(default_factory=dict)  # the static pages among `items`, by status
    assets: dict[str, int] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)
    # Posts migrated with missing files: (source url, title, [(file url, reason), ...]).
    missing: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    # Per migrated post with comments on Tistory: what the last comment pass found.
    comments: list[PostComments] = field(default_factory=list)

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
            "pages": self.pages,
            "images": self.assets,
            "links": self.links,
            "comments": [asdict(c) for c in self.comments],
        }


@dataclass(frozen=True, slots=True)
class PostComments:
    source_url: str
    migrated: int
    secret: int
    unreadable: int
    waiting: bool     # a draft: WordPress takes its comments once it is published
    error: str | None


async def comments_by_post(store: StateStore) -> list[PostComments]:
    counts = await store.comment_counts()
    return [
        PostComments(i.canonical_url, c.migrated, c.secret, c.unreadable, bool(c.waiting), c.error)
        for i in await store.items(status="completed")
        if (c := counts.get(i.id)) is not None and (c.found or c.secret or c.unreadable or c.migrated or c.error)
    ]


def render_comments(rows: list[PostComments], *, max_listed: int = 30) -> list[str]:
    if not rows:
        return []
    total = (sum(r.migrated for r in rows), sum(r.secret for r in rows), sum(r.unreadable for r in rows))
    lines = [
        f"Comments: {total[0]} migrated, {total[1]} secret (not readable by guests), {total[2]} unreadable, "
        f"on {plural(len(rows), 'post')} (migrated / secret / unreadable per post):"
    ]
    for r in rows[:max_listed]:
        note = "  (draft: added once published, by `migrate comments`)" if r.waiting else ""
        note += f"  ({r.error})" if r.error else ""
        lines.append(f"  {r.source_url}  {r.migrated} / {r.secret} / {r.unreadable}{note}")
    if len(rows) > max_listed:
        lines.append(f"  … and {len(rows) - max_listed} more (see `migrate report`)")
    return lines


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
    store = await open_read_only(db_path)
    try:
        undone = await store.undone_jobs()
        snapshot = StatusSnapshot(str(db_path), running)
        snapshot.jobs = [_job_line(j, undone, running) for j in await store.list_jobs()]
        snapshot.items = await store.status_counts()
        snapshot.pages = await store.status_counts(kind="page")
        snapshot.assets = await store.asset_counts()
        snapshot.links = await store.link_counts()
        snapshot.missing = await _missing_by_post(store)
        snapshot.comments = await comments_by_post(store)
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
        lines.extend(text_table(header, rows))
        for j in s.jobs:
            if j.error:
                lines.append(f"  job {j.id}: {j.error}")
    total = sum(s.items.values())
    lines.append("")
    lines.append(f"Posts: {total} known — " + ", ".join(f"{k} {v}" for k, v in s.items.items()))
    if sum(s.pages.values()):
        lines.append(
            f"  of which static pages: {sum(s.pages.values())} — "
            + ", ".join(f"{k} {v}" for k, v in s.pages.items() if v)
        )
    if s.missing:
        lines.extend(render_missing(s.missing))
    if s.assets:
        lines.append("Images and files: " + ", ".join(f"{k} {v}" for k, v in sorted(s.assets.items())))
    if s.links.get("posts_checked"):
        lines.append(
            f"Internal links: {s.links['rewritten']} point at WordPress, {s.links['left']} left "
            f"as they are ({plural(s.links['posts_checked'], 'post')} checked)"
        )
    lines.extend(render_comments(s.comments))
    return terminal_safe("\n".join(lines))  # errors and titles come from pages anyone can write


# --------------------------------------------------------------------------- per-post report
