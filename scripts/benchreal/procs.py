"""Run the tool as a user would (`python3 -m migrator`), and measure its whole process tree.

Peak RSS: every 100 ms, the RSS of the tool and all its descendants (parse pool included), summed
(shared pages counted once per process, as `ps` would). CPU: the rusage wait4() returns for the tool,
which includes every descendant the tool waited for; the per-process times last seen by the sampler
are kept as a cross-check for descendants it did not wait for.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all processes of the machine have used since boot (/proc/stat, idle and iowait excluded)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def _table() -> dict[int, tuple[int, int, float]]:
    """pid -> (ppid, rss bytes, cpu seconds) for every process."""
    rows = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().decode(errors="replace").rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields[0] = stat field 3; ppid = 4, utime/stime = 14/15, rss = 24
        rows[int(entry)] = (int(fields[1]), int(fields[21]) * PAGE, (int(fields[11]) + int(fields[12])) / TICK)
    return rows


@dataclass
class TreeSampler:
    root: int
    interval_s: float = 0.1
    exclude: frozenset[int] = frozenset()   # processes (and their subtrees) that are not the tool's
    peak_rss: int = 0
    peak_processes: int = 0
    cpu_seen: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        table = _table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            if pid in table and pid not in self.exclude:
                tree.append(pid)
                todo.extend(children.get(pid, ()))
        rss = sum(table[pid][1] for pid in tree)
        if rss > self.peak_rss:
            self.peak_rss, self.peak_processes = rss, len(tree)
        for pid in tree:
            self.cpu_seen[pid] = table[pid][2]

    def run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class ToolRun:
    exit_code: int
    wall_s: float
    cpu_s: float              # the tool and the descendants it waited for (wait4 rusage)
    cpu_seen_s: float         # sum over the tree's processes of the last CPU time sampled
    peak_rss: int             # bytes, summed over the tree
    peak_processes: int
    max_single_rss: int       # ru_maxrss of the largest process (kernel figure)
    started_at: float         # time.time() at spawn
    stdout: str
    log_path: Path


def run_tool(env: dict[str, str], cwd: Path, log_path: Path, args: list[str]) -> ToolRun:
    """`python3 -m migrator ARGS` in its own process group, stderr (JSON logs) to `log_path`."""
    started_at = time.time()
    t0 = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(["python3", "-m", "migrator", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                   stderr=log, start_new_session=True)
        try:
            with TreeSampler(process.pid) as sampler:
                assert process.stdout is not None
                stdout = process.stdout.read().decode(errors="replace")
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = os.waitstatus_to_exitcode(status)
        except BaseException:
            # Ctrl-C or an error here: stop the tool's whole group (it is ours), then re-raise.
            if process.returncode is None:
                try:
                    os.killpg(process.pid, 9)
                except ProcessLookupError:
                    pass
                process.wait()
            raise
    return ToolRun(
        exit_code=process.returncode, wall_s=time.monotonic() - t0, cpu_s=usage.ru_utime + usage.ru_stime,
        cpu_seen_s=sum(sampler.cpu_seen.values()), peak_rss=sampler.peak_rss,
        peak_processes=sampler.peak_processes, max_single_rss=usage.ru_maxrss * 1024, started_at=started_at,
        stdout=stdout, log_path=log_path,
    )
