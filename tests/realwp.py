"""Start and stop a real local WordPress for tests, through scripts/wp-local.sh.

    wp = start_real_wordpress(timezone="Asia/Seoul")   # raises WordPressUnavailable
    try:
        ... wp.url, wp.user, wp.app_password ...
    finally:
        stop_real_wordpress(wp)

or `with real_wordpress() as wp: ...`. `real_wordpress_or_skip()` is the policy the pytest
fixtures use: skip with a hint when WordPress cannot be started, or fail when
MIGRATOR_REQUIRE_WP=1 (CI); MIGRATOR_E2E=0 skips without trying.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SCRIPT",
    "RealWordPress",
    "WordPressUnavailable",
    "parse_env_lines",
    "real_wordpress",
    "real_wordpress_or_skip",
    "start_real_wordpress",
    "stop_real_wordpress",
]

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "wp-local.sh"
# A cold start installs Debian packages (~45 s on 2 cores); a warm one takes ~3 s.
START_TIMEOUT_S = 600.0

ENABLE_HINT = (
    "Real WordPress tests need Debian's wordpress/mariadb/php packages: run "
    "`sudo scripts/wp-local.sh install-deps` (or any `scripts/wp-local.sh start` as root), "
    "then re-run. CI sets MIGRATOR_REQUIRE_WP=1 so that this becomes a failure instead of a skip."
)


class WordPressUnavailable(RuntimeError):
    """scripts/wp-local.sh could not start WordPress; `output` holds what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class RealWordPress:
    """A running instance (the values scripts/wp-local.sh printed)."""

    url: str
    user: str
    app_password: str
    dir: Path
    timezone: str
    subscriber_user: str
    subscriber_password: str
    permalinks: str = "pretty"

    @property
    def api(self) -> str:
        return f"{self.url}/wp-json/wp/v2"


def parse_env_lines(text: str) -> dict[str, str]:
    """Parse the `KEY='value'` lines printed by `wp-local.sh start` (ignores anything else)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, raw = line.partition("=")
        if not sep or not key.isidentifier():
            continue
        parts = shlex.split(raw)
        values[key] = parts[0] if parts else ""
    return values


def start_real_wordpress(
    *,
    timezone: str = "Asia/Seoul",
    port: int | None = None,
    directory: Path | None = None,
    permalinks: str = "pretty",
) -> RealWordPress:
    """Start a fresh instance; raise WordPressUnavailable (with the script's output) on failure."""
    if not SCRIPT.exists():
        raise WordPressUnavailable(f"{SCRIPT} is missing")
    cmd = ["bash", str(SCRIPT), "start", "--timezone", timezone, "--permalinks", permalinks]
    if port is not None:
        cmd += ["--port", str(port)]
    if directory is not None:
        cmd += ["--dir", str(directory)]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise WordPressUnavailable(
            f"wp-local.sh start timed out after {START_TIMEOUT_S:.0f} s",
            _text(exc.stdout) + _text(exc.stderr),
        ) from exc
    output = f"{proc.stdout}{proc.stderr}"
    if proc.returncode != 0:
        raise WordPressUnavailable(f"wp-local.sh start exited {proc.returncode}", output)
    env = parse_env_lines(proc.stdout)
    try:
        return RealWordPress(
            url=env["WP_BASE_URL"],
            user=env["WP_APP_USER"],
            app_password=env["WP_APP_PASSWORD"],
            dir=Path(env["WP_LOCAL_DIR"]),
            timezone=env.get("WP_TIMEZONE", timezone),
            subscriber_user=env.get("WP_SUBSCRIBER_USER", ""),
            subscriber_password=env.get("WP_SUBSCRIBER_PASSWORD", ""),
            permalinks=env.get("WP_PERMALINKS", permalinks),
        )
    except KeyError as exc:
        raise WordPressUnavailable(f"wp-local.sh start printed no {exc}", output) from exc


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def stop_real_wordpress(wp: RealWordPress, *, keep: bool = False) -> None:
    """Stop the instance (every process it started) and delete its directory unless keep."""
    cmd = ["bash", str(SCRIPT), "stop", str(wp.dir)] + (["--keep"] if keep else [])
    subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)


@contextmanager
def real_wordpress(**kwargs: object) -> Iterator[RealWordPress]:
    wp = start_real_wordpress(**kwargs)  # type: ignore[arg-type]
    try:
        yield wp
    finally:
        stop_real_wordpress(wp)


@contextmanager
def real_wordpress_or_skip(*, timezone: str = "Asia/Seoul", permalinks: str = "pretty") -> Iterator[RealWordPress]:
    """For pytest fixtures: a running instance, or skip (fail under MIGRATOR_REQUIRE_WP=1)."""
    import pytest  # only needed by test code; keeps this module importable without pytest

    required = os.environ.get("MIGRATOR_REQUIRE_WP") == "1"
    if os.environ.get("MIGRATOR_E2E") == "0" and not required:
        pytest.skip("real WordPress tests disabled by MIGRATOR_E2E=0")
    try:
        wp = start_real_wordpress(timezone=timezone, permalinks=permalinks)
    except WordPressUnavailable as exc:
        message = f"real WordPress unavailable: {exc}\n{exc.output[-4000:]}"
        if required:
            pytest.fail(f"MIGRATOR_REQUIRE_WP=1 but {message}", pytrace=False)
        pytest.skip(f"{message}\n{ENABLE_HINT}")
    try:
        yield wp
    finally:
        stop_real_wordpress(wp)
