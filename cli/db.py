"""``roundtable db upgrade``: schema migrations."""

from __future__ import annotations

import click

from cli.runtime import Runtime, pass_runtime


@click.group("db")
def group() -> None:
    """The database: schema migrations."""


@group.command("upgrade")
@pass_runtime
def upgrade(runtime: Runtime) -> None:
    """Migrate the database to the newest schema (a new database gets every table)."""
    runtime.engine()  # opening the database migrates it to the newest schema
    runtime.emit(
        {"database": {"url": runtime.safe_db_url, "schema": "newest"}},
        f"Database {runtime.safe_db_url} is at the newest schema.",
    )
