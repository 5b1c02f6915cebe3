"""Dependencies point one way: surfaces (bot, web, cli) -> services -> engine, storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package must never import: the layers above it.
FORBIDDEN = {
    "services": {"bot", "web", "cli"},
    "storage": {"services", "bot", "web", "cli"},
    "engine": {"services", "storage", "bot", "web", "cli"},
    "bot": {"cli"},
    "web": {"bot", "cli"},
}


def imports_of(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


CASES = [
    (package, source) for package in FORBIDDEN for source in sorted((ROOT / package).rglob("*.py"))
]


@pytest.mark.parametrize(
    ("package", "source"), CASES, ids=[str(s.relative_to(ROOT)) for _, s in CASES]
)
def test_a_module_never_imports_a_layer_above_its_own(package, source):
    assert imports_of(source) & FORBIDDEN[package] == set()


def test_the_layer_scan_sees_every_package():
    assert {package for package, _ in CASES} == set(FORBIDDEN)
