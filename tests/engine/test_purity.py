"""The engine is pure: standard library only, and it never reads the clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"
SOURCES = sorted(ENGINE.glob("*.py"))
CLOCK_READS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def imported_modules(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_engine_modules_import_only_the_standard_library_and_the_engine(source):
    tree = ast.parse(source.read_text(), str(source))
    foreign = [
        name
        for name in imported_modules(tree)
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "engine"
    ]
    assert foreign == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_engine_modules_never_read_the_clock(source):
    tree = ast.parse(source.read_text(), str(source))
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_READS
    ]
    assert calls == []


def test_the_purity_scan_sees_every_engine_module():
    assert {path.name for path in SOURCES} >= {
        "intervals.py",
        "availability.py",
        "seats.py",
        "distribution.py",
        "rules.py",
    }
