"""Fixtures of the end-to-end tests: ONE real WordPress for the whole session, fake blogs per test.

`real_wp` starts WordPress through scripts/wp-local.sh (tests/realwp.py) with the site time zone
Asia/Seoul, and stops it at the end. Policy (tests/realwp.py): skip with a hint when WordPress
cannot be started, fail instead under MIGRATOR_REQUIRE_WP=1 (CI), skip without trying under
MIGRATOR_E2E=0. This is a separate instance from the contract tests' `real_wp`: the two
directories can run alone, and a fresh instance costs ~2-4 s. Tests take the `site` fixture (the
real WordPress, or a FakeWordPress when parametrized so) and `floor` (ids above it are the test's).

The fake blog, CDN and killing proxy of a test run in a background thread (`servers`), because the
tests block on the real `migrate` subprocess. `timings` collects how long each scenario took and
where it killed migrate; the numbers are printed at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.proxy import KillingProxy
from tests.e2e.servers import BackgroundLoop
from tests.e2e.wpread import WPReader
from tests.fakes.wordpress import FakeWordPress
from tests.realwp import RealWordPress, real_wordpress_or_skip

TIMEZONE = "Asia/Seoul"


@dataclass
class Timing:
    """One scenario: wall time of the whole test, time spent in migrate runs, the kills it made."""

    scenario: str
    wall_s: float = 0.0
    migrate_s: float = 0.0
    runs: int = 0
    kills: list[str] = field(default_factory=list)

    def add_run(self, elapsed_s: float) -> None:
        self.runs += 1
        self.migrate_s += elapsed_s


_TIMINGS: list[Timing] = []


@pytest.fixture(scope="session")
def real_wp() -> Iterator[RealWordPress]:
    with real_wordpress_or_skip(timezone=TIMEZONE) as wp:
        yield wp


@pytest.fixture(scope="session")
def reader(real_wp: RealWordPress) -> WPReader:
    return WPReader(real_wp.url, real_wp.user, real_wp.app_password)


@pytest.fixture(scope="session")
def real_wp_plain() -> Iterator[RealWordPress]:
    """A second real WordPress with "Plain" permalinks (REST API only at ?rest_route=), started
    only by the tests that ask for it (the full migration runs once against it: ~3 s to start)."""
    with real_wordpress_or_skip(timezone=TIMEZONE, permalinks="plain") as wp:
        yield wp


@dataclass(frozen=True)
class Site:
    """The WordPress a test migrates into: the real one, or (param "fake") a FakeWordPress."""

    kind: str
    url: str
    user: str
    app_password: str
    reader: WPReader


@pytest.fixture
def site(request: pytest.FixtureRequest, servers: BackgroundLoop) -> Site:
    """The real WordPress; `parametrize("site", ["fake"], indirect=True)` runs the same test
    against FakeWordPress, which keeps the fake honest: it must pass the same checks. "real-plain"
    and "fake-plain" are the same with "Plain" permalinks (REST API at ?rest_route= only)."""
    kind = getattr(request, "param", "real")
    if kind in ("fake", "fake-plain"):
        fake = FakeWordPress(timezone=TIMEZONE, permalinks="plain" if kind == "fake-plain" else "pretty")
        url = servers.serve(fake.app()).url
        reader = WPReader(url, fake.user, fake.app_password, rest_route=kind == "fake-plain")
        return Site(kind, url, fake.user, fake.app_password, reader)
    if kind == "real-plain":
        plain: RealWordPress = request.getfixturevalue("real_wp_plain")
        reader = WPReader(plain.url, plain.user, plain.app_password, rest_route=True)
        return Site(kind, plain.url, plain.user, plain.app_password, reader)
    wp: RealWordPress = request.getfixturevalue("real_wp")
    return Site("real", wp.url, wp.user, wp.app_password, request.getfixturevalue("reader"))


@pytest.fixture(scope="session")
def _loop() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    try:
        yield loop
    finally:
        loop.stop()


@pytest.fixture
def servers(_loop: BackgroundLoop) -> Iterator[BackgroundLoop]:
    """The background loop; every app a test serves is stopped when the test ends."""
    try:
        yield _loop
    finally:
        _loop.close_all()


@pytest.fixture
def token(request: pytest.FixtureRequest) -> str:
    """A host-safe name unique to this test (blog host, titles, CDN paths)."""
    name = request.node.originalname.removeprefix("test_").replace("_", "-")[:24].strip("-")
    return f"{name}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def floor(site: Site) -> int:
    """The largest WordPress object id before the test: what the test creates lies above it."""
    return site.reader.floor_id()


@pytest.fixture
def proxy(
    request: pytest.FixtureRequest, servers: BackgroundLoop, site: Site, tmp_path: Path
) -> Iterator[tuple[KillingProxy, str]]:
    """A counting/killing reverse proxy in front of the test's WordPress (0-20 ms of random delay
    per request, seeded by the test's name), and its URL."""
    killer = KillingProxy(site.url, jitter_s=0.02, seed=request.node.name)
    yield killer, servers.serve(killer.app()).url
    # For the post-mortem of a failed test (see _keep_artifacts).
    lines = [f"{method} {path} {status}" for method, path, status in killer.log]
    (tmp_path / "proxy-writes.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.longreprtext if report.failed else ""


_FAILED = pytest.StashKey[str]()


@pytest.fixture(autouse=True)
def _keep_artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """When a test fails, copy its migrate logs, job database, proxy log and the failure out of
    pytest's temporary folders (which other pytest sessions on the machine rotate away) to
    $E2E_ARTIFACTS or /tmp/e2e-artifacts."""
    yield
    failure = request.node.stash.get(_FAILED, "")
    if not failure:
        return
    target = Path(os.environ.get("E2E_ARTIFACTS", "/tmp/e2e-artifacts")) / request.node.name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(tmp_path, target, ignore=shutil.ignore_patterns("*.lock"), dirs_exist_ok=True)
    (target / "failure.txt").write_text(failure, encoding="utf-8")
    print(f"\ne2e artifacts of {request.node.name}: {target}")


@pytest.fixture
def timings(request: pytest.FixtureRequest) -> Iterator[Timing]:
    timing = Timing(request.node.name)
    started = time.monotonic()
    yield timing
    timing.wall_s = time.monotonic() - started
    _TIMINGS.append(timing)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TIMINGS:
        return
    terminalreporter.section("end-to-end scenarios (real WordPress)")
    kills = 0
    for t in _TIMINGS:
        kills += len(t.kills)
        where = f"; SIGKILL at {', '.join(t.kills)}" if t.kills else ""
        terminalreporter.write_line(
            f"{t.scenario}: {t.wall_s:.1f} s ({t.migrate_s:.1f} s in {t.runs} migrate runs){where}"
        )
    terminalreporter.write_line(f"SIGKILL points tried: {kills}")
