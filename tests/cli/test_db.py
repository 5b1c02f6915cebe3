"""``roundtable db upgrade``."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, inspect

from tests.cli.conftest import Run


def test_db_upgrade_creates_the_schema_of_a_new_database(run: Run, sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Database {sqlite_url} is at the newest schema.\n"
    engine = create_engine(sqlite_url)
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def test_db_upgrade_leaves_an_upgraded_database_as_it_is(run: Run, db_url: str) -> None:
    result = run("--db", db_url, "--json", "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["database"]["schema"] == "newest"
