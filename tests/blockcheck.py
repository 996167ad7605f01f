"""The block editor's own validator, for tests: tests/blocks_validator/validate.cjs run by Node.

    with block_validator_or_skip() as check:
        results = check({"post-1": markup, "post-2": markup})   # one round trip for the batch
        assert results["post-1"].problems == []

One Node process serves the whole session (loading the editor's packages takes seconds), each call
sends a batch as one line. Policy, as for the real WordPress (tests/realwp.py): when Node or the npm
packages are missing, skip with a hint, or fail under MIGRATOR_REQUIRE_WP=1 (CI), where `.ci/run`
installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["VALIDATOR_DIR", "BlockResult", "BlockValidator", "block_validator_or_skip"]

VALIDATOR_DIR = Path(__file__).resolve().parent / "blocks_validator"
ENABLE_HINT = (
    "Block validation needs Node (>= 20) and the editor's packages: run "
    "`npm ci --prefix tests/blocks_validator`, then re-run. CI sets MIGRATOR_REQUIRE_WP=1 so that "
    "this becomes a failure instead of a skip."
)


@dataclass(frozen=True)
class BlockResult:
    counts: dict[str, int]          # block name -> how many (inner blocks included)
    problems: list[dict[str, str]]  # {"block", "path", "reason"}: invalid, freeform, unknown blocks


class ValidatorUnavailable(RuntimeError):
    pass


class BlockValidator:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise ValidatorUnavailable("`node` is not on PATH")
        if not (VALIDATOR_DIR / "node_modules" / "@wordpress" / "block-library").is_dir():
            raise ValidatorUnavailable(f"the npm packages are not installed in {VALIDATOR_DIR}")
        self._proc = subprocess.Popen(
            [node, str(VALIDATOR_DIR / "validate.cjs"), "--lines"], cwd=VALIDATOR_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8",
        )
        ready = self._proc.stdout.readline() if self._proc.stdout else ""
        if '"ready"' not in ready:
            self.close()
            raise ValidatorUnavailable(f"validate.cjs did not start (said {ready!r})")

    def __call__(self, markups: Mapping[str, str]) -> dict[str, BlockResult]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        batch = [{"id": key, "markup": markup} for key, markup in markups.items()]
        self._proc.stdin.write(json.dumps(batch) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the block validator stopped (node process ended)")
        return {r["id"]: BlockResult(r["counts"], r["problems"]) for r in json.loads(line)}

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout:
            self._proc.stdout.close()


@contextmanager
def block_validator_or_skip() -> Iterator[Callable[[Mapping[str, str]], dict[str, BlockResult]]]:
    import pytest

    try:
        validator = BlockValidator()
    except ValidatorUnavailable as exc:
        if os.environ.get("MIGRATOR_REQUIRE_WP") == "1":
            pytest.fail(f"MIGRATOR_REQUIRE_WP=1 but the block validator is unavailable: {exc}", pytrace=False)
        pytest.skip(f"block validator unavailable: {exc}\n{ENABLE_HINT}")
    try:
        yield validator
    finally:
        validator.close()


def problems_of(results: Mapping[str, BlockResult]) -> dict[str, list[dict[str, str]]]:
    """Only the entries that have problems (an empty dict means every block is valid)."""
    return {key: result.problems for key, result in results.items() if result.problems}
