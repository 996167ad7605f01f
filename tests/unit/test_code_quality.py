"""The house rules that a tool can check: lint (with a complexity cap), types, and the import graph.

They run as tests so that the README's one test command checks them too (CI runs it verbatim).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "migrator"


def _tool(name: str) -> list[str]:
    # The tool next to this interpreter (the .venv the README makes), else on PATH.
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is a test dependency (pip install -e '.[test]')")
    return [found]


def test_ruff_finds_nothing() -> None:
    run = subprocess.run([*_tool("ruff"), "check", "migrator"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_finds_nothing() -> None:
    run = subprocess.run(
        [*_tool("mypy"), "--no-error-summary"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _imports_of(path: Path) -> set[str]:
    """Modules of the package that `path` imports, at any depth of the file (function bodies too)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("migrator"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("migrator"))
    return {m for m in found if m != module}


def _module_graph() -> dict[str, set[str]]:
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")}
    names = {n.removesuffix(".__init__") for n in files}
    return {
        name.removesuffix(".__init__"): {m for m in _imports_of(path) if m in names}
        for name, path in files.items()
    }


# Which folder may import which: cli → commands → wiring/core → tistory, wordpress, state → base.
_LAYER = {
    "migrator.cli": 5,
    "migrator.__main__": 6,
    "migrator.commands": 4,
    "migrator.wiring": 3,
    "migrator.core": 3,
    "migrator.tistory": 2,
    "migrator.wordpress": 2,
    "migrator.state": 2,
}


def _layer(module: str) -> int:
    for prefix, layer in _LAYER.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return 1  # config, errors, models, logs, http: the base every layer may use


def test_imports_point_one_way() -> None:
    upward = [
        f"{src} imports {dst}"
        for src, dsts in _module_graph().items()
        for dst in dsts
        if _layer(dst) > _layer(src) and not (src == "migrator" and dst.startswith("migrator."))
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    graph = _module_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_modules_stay_small() -> None:
    big = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert big == {}
