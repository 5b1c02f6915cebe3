"""Running ``roundtable`` in-process against a database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from cli.main import cli

Run = Callable[..., Result]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Return the URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def db_url(db_engine: Engine) -> str:
    """Return the URL of ``db_engine``'s fresh database (SQLite, then PostgreSQL)."""
    return db_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def run() -> Run:
    """Return a function that runs ``roundtable ARGS…`` and returns click's result."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    return invoke
