"""A real WordPress from scripts/wp-local.sh: start, stop, CPU time of its processes, SQL counts.

CPU: php -S runs as one process group (its id in DIR/php.pid: the master and its workers; a worker
that exited and was reaped counts in the master's cutime) and MariaDB as one process (DIR/mariadbd.pid,
its threads included). Read from /proc/<pid>/stat (utime, stime, cutime, cstime).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WP_LOCAL = ROOT / "scripts" / "wp-local.sh"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class WordPress:
    base_url: str
    user: str
    password: str
    dir: Path
    start_s: float


def start() -> WordPress:
    started = time.monotonic()
    out = subprocess.run(["bash", str(WP_LOCAL), "start"], capture_output=True, text=True, timeout=300)
    values = {}
    for line in out.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key] = value.strip("'")
    if out.returncode != 0 or "WP_LOCAL_DIR" not in values:
        if "WP_LOCAL_DIR" in values:
            stop(Path(values["WP_LOCAL_DIR"]))
        raise RuntimeError(f"wp-local.sh start failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return WordPress(values["WP_BASE_URL"], values["WP_APP_USER"], values["WP_APP_PASSWORD"],
                     Path(values["WP_LOCAL_DIR"]), time.monotonic() - started)


def stop(directory: Path) -> None:
    subprocess.run(["bash", str(WP_LOCAL), "stop", str(directory)], capture_output=True, timeout=120)


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    return text.rsplit(") ", 1)[1].split()  # fields from 3 (state) on: [0] = field 3


def _cpu_of(fields: list[str]) -> float:
    # fields 14-17: utime stime cutime cstime (in clock ticks)
    return sum(int(x) for x in fields[11:15]) / TICK


def cpu_seconds(wp: WordPress) -> dict[str, float]:
    """CPU seconds used so far by php -S (its process group) and by mariadbd."""
    php_group = int((wp.dir / "php.pid").read_text().strip())
    db_pid = int((wp.dir / "mariadbd.pid").read_text().strip())
    php = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[2]) == php_group:  # zombies too: their time is not yet in the master's cutime
                php += _cpu_of(fields)
    db_fields = _stat(db_pid)
    return {"php": php, "mariadb": _cpu_of(db_fields) if db_fields else 0.0}


def sql(wp: WordPress, query: str) -> list[list[str]]:
    out = subprocess.run(
        ["mariadb", "--no-defaults", f"--socket={wp.dir / 'mysqld.sock'}", "-uroot", "-N", "-B", "wordpress",
         "-e", query],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return [line.split("\t") for line in out.stdout.splitlines()]


def post_counts(wp: WordPress) -> dict[str, int]:
    """Rows of wp_posts by type (revision, attachment, post...)."""
    return {t: int(n) for t, n in sql(wp, "SELECT post_type, COUNT(*) FROM wp_posts GROUP BY post_type")}
