"""Running the real `migrate --all` command as a subprocess, and killing it.

Each run gets its own session (process group), so a SIGKILL takes down migrate together with the
parse worker processes it may have started: nothing survives a simulated crash, and nothing is left
running after a test. Output goes to files (not pipes) so a killed or chatty run cannot block.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RUN_TIMEOUT_S", "MigrateResult", "Migration", "Running", "exited", "kill_group"]

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 150.0


@dataclass(frozen=True)
class MigrateResult:
    code: int  # exit code; -9 when killed by SIGKILL
    output: str  # stdout + stderr
    elapsed_s: float

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL


@dataclass(frozen=True)
class Running:
    """A started run: the process (its pid is its process group id), its log file, its start time."""

    proc: subprocess.Popen[bytes]
    log: Path
    started_at: float

    @property
    def pid(self) -> int:
        return self.proc.pid


class Migration:
    """The `migrate` command of one test: its settings (environment) and its job database in `tmp`."""

    def __init__(
        self,
        tmp: Path,
        *,
        blog_url: str,
        wp_url: str,
        wp_user: str,
        wp_password: str,
        workers: int = 4,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.tmp = tmp
        self.runs = 0
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(REPO),
            "TISTORY_BLOG_URL": blog_url,
            "WP_BASE_URL": wp_url,
            "WP_APP_USER": wp_user,
            "WP_APP_PASSWORD": wp_password,
            "WORKER_COUNT": str(workers),
            "RATE_LIMIT": "0",
            "MIGRATION_DB_PATH": str(tmp / "migration.db"),
            # Kill-and-resume scenarios re-run the same posts many times; never give up on them.
            "MAX_ATTEMPTS": "50",
            # The fake blog and CDN live on 127.0.0.1 (issue 8's address guard would refuse them).
            "ALLOW_PRIVATE_FILE_HOSTS": "1",
            **(extra_env or {}),
        }

    def start(self, *args: str) -> Running:
        """Start `migrate --all` (or `migrate <args>`) in a new session (its pid is also its process
        group id)."""
        self.runs += 1
        log = self.tmp / f"run{self.runs}.log"
        # cwd = tmp: no stray `.env` of the checkout is read.
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "migrator", "-q", *(args or ("--all", "--no-progress"))],
                cwd=self.tmp,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Running(proc, log, time.monotonic())

    def wait(self, run: Running, timeout: float = RUN_TIMEOUT_S) -> MigrateResult:
        if not exited(run, timeout):
            kill_group(run)
            run.proc.wait(timeout=10)
            raise AssertionError(f"migrate did not finish within {timeout:.0f} s:\n{_read(run)}")
        # Whatever the outcome, no process of this run may outlive it (parse workers included).
        # The leader is not reaped yet, so its pid, which names the group, cannot have been reused.
        kill_group(run)
        code = run.proc.wait(timeout=10)
        return MigrateResult(code, _read(run), time.monotonic() - run.started_at)

    def run(self, *args: str, timeout: float = RUN_TIMEOUT_S) -> MigrateResult:
        return self.wait(self.start(*args), timeout)


def exited(run: Running, timeout: float) -> bool:
    """Wait up to `timeout` s for the run's leader to exit WITHOUT reaping it (waitid WNOWAIT).

    A reaped pid can be given to a new process at once (pid_max is often 32768, and other test
    sessions start MariaDB servers with setsid, i.e. as group leaders): a later killpg on it would
    hit a stranger. An exited but unreaped leader keeps its pid, so killpg stays safe until
    `proc.wait()`.
    """
    deadline = time.monotonic() + timeout
    while True:
        if run.proc.returncode is not None:  # already reaped elsewhere
            return True
        if os.waitid(os.P_PID, run.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def kill_group(run: Running) -> None:
    """SIGKILL the run's process group (a simulated crash of the machine running migrate).

    Only while the leader is unreaped (see `exited`); after `proc.wait()` it does nothing."""
    if run.proc.returncode is not None:
        return
    try:
        os.killpg(run.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read(run: Running) -> str:
    return run.log.read_bytes().decode("utf-8", "replace")
