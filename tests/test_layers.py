"""Dependencies point one way: surfaces (bot, web, cli) -> services -> storage -> engine.

The surfaces reach the database only through services: they never import ``storage``,
except the composition root, where a process names and opens its database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package must never import: the layers above it, and storage for the surfaces.
FORBIDDEN = {
    "services": {"bot", "web", "cli"},
    "storage": {"services", "bot", "web", "cli"},
    "engine": {"services", "storage", "bot", "web", "cli"},
    "bot": {"cli", "storage"},
    "web": {"bot", "cli", "storage"},
    "cli": {"storage"},
}
COMPOSITION_ROOT = {
    "cli/runtime.py": "opens the database every command and `roundtable serve` use",
    "bot/settings.py": "reads and checks the server's DATABASE_URL",
}
"""The surface modules allowed to import ``storage``, and why."""


def imports_of(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def forbidden_for(package: str, source: Path) -> set[str]:
    if str(source.relative_to(ROOT)) in COMPOSITION_ROOT:
        return FORBIDDEN[package] - {"storage"}
    return FORBIDDEN[package]


CASES = [
    (package, source) for package in FORBIDDEN for source in sorted((ROOT / package).rglob("*.py"))
]


@pytest.mark.parametrize(
    ("package", "source"), CASES, ids=[str(s.relative_to(ROOT)) for _, s in CASES]
)
def test_a_module_never_imports_a_layer_above_its_own(package, source):
    assert imports_of(source) & forbidden_for(package, source) == set()


def test_the_layer_scan_sees_every_package():
    assert {package for package, _ in CASES} == set(FORBIDDEN)


@pytest.mark.parametrize("module", sorted(COMPOSITION_ROOT))
def test_each_composition_root_module_exists_and_needs_its_exception(module):
    assert "storage" in imports_of(ROOT / module)


HANDLERS = ROOT / "bot" / "handlers"
FEATURES = sorted(
    source.stem for source in HANDLERS.glob("*.py") if "def register(" in source.read_text()
)
"""The Slack feature modules (each adds its listeners with ``register(app)``)."""


def handler_modules_imported_by(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("bot.handlers."):
                names.add(node.module.removeprefix("bot.handlers."))
            elif node.module == "bot.handlers":
                names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("feature", FEATURES)
def test_a_slack_feature_never_imports_another(feature):
    # What several features share lives in the shared handler modules (modals, refusals,
    # screens), and the use cases they call in bot.caller.Caller.
    assert handler_modules_imported_by(HANDLERS / f"{feature}.py") & set(FEATURES) == set()


def test_the_feature_scan_sees_every_feature():
    assert {"booking", "links", "admin", "home", "reassign", "calendars", "timeoff"} <= set(
        FEATURES
    )
