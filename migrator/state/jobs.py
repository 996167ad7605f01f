"""Jobs: one row per run of a command (migrate, dry run), its counters, its end and its undo."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from migrator.models import JobStatus
from migrator.state.connection import StoreBase, columns

__all__ = ["Job", "JobsMixin", "pid_alive"]


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    status: JobStatus
    blog_url: str
    wp_base_url: str
    pid: int | None
    started_at: float
    ended_at: float | None
    discovered: int
    completed: int
    failed: int
    skipped: int
    already_done: int
    images_uploaded: int
    images_reused: int
    discovery_json: str | None
    error: str | None

    def __post_init__(self) -> None:
        # SQLite hands back the plain string; callers get the member (equal to that string).
        object.__setattr__(self, "status", JobStatus(self.status))


_JOB_COLS = columns(Job)
# What `update_job` may set: the counters and notes of a running job, never its identity or status.
_JOB_COUNTERS = frozenset(
    {
        "discovered",
        "completed",
        "failed",
        "skipped",
        "already_done",
        "images_uploaded",
        "images_reused",
        "discovery_json",
        "error",
    }
)


class JobsMixin(StoreBase):
    async def start_job(self, kind: str, *, blog_url: str, wp_base_url: str) -> int:
        return await self._exec(
            "INSERT INTO jobs (kind, status, blog_url, wp_base_url, pid, started_at) VALUES (?,?,?,?,?,?)",
            (kind, JobStatus.RUNNING, blog_url, wp_base_url, os.getpid(), time.time()),
        )

    async def update_job(self, job_id: int, **counts: Any) -> None:
        cols = [k for k in counts if k in _JOB_COUNTERS]
        if not cols:
            return
        sql = "UPDATE jobs SET " + ", ".join(f"{c} = ?" for c in cols) + " WHERE id = ?"
        await self._exec(sql, [counts[c] for c in cols] + [job_id])

    async def finish_job(self, job_id: int, status: JobStatus, **counts: Any) -> None:
        await self.update_job(job_id, **counts)
        await self._exec(
            "UPDATE jobs SET status = ?, ended_at = ? WHERE id = ?", (status, time.time(), job_id)
        )

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._one(f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else Job(*row)

    async def list_jobs(self) -> list[Job]:
        return [Job(*r) for r in await self._all(f"SELECT {_JOB_COLS} FROM jobs ORDER BY id")]

    async def close_dead_jobs(self) -> int:
        """Jobs left 'running' by a process that no longer exists were interrupted (crash, kill)."""
        rows = await self._all("SELECT id, pid FROM jobs WHERE status = ?", (JobStatus.RUNNING,))
        closed = 0
        for job_id, pid in rows:
            if pid == os.getpid() or (pid and pid_alive(pid)):
                continue
            await self._exec(
                "UPDATE jobs SET status = ?, ended_at = COALESCE(ended_at, ?), "
                "error = COALESCE(error, 'the process stopped without finishing (crash or kill)') WHERE id = ?",
                (JobStatus.INTERRUPTED, time.time(), job_id),
            )
            closed += 1
        return closed

    async def mark_job_undone(self, job_id: int) -> None:
        await self._exec("UPDATE jobs SET undone_at = ? WHERE id = ?", (time.time(), job_id))

    async def undone_jobs(self) -> dict[int, float]:
        """job id -> when it was undone."""
        rows = await self._all("SELECT id, undone_at FROM jobs WHERE undone_at IS NOT NULL")
        return {int(job_id): float(at) for job_id, at in rows}


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (ours to signal or not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
