"""Database setup: the URL, the engine and schema migrations.

SQLite is the default (one process, WAL). Its driver's own transaction handling is turned
off and SQLAlchemy emits ``BEGIN`` itself (the "sqlite transactions" recipe of the SQLAlchemy
SQLite dialect docs), so DDL is transactional, SAVEPOINT works and a unit of work can open a
write transaction with ``BEGIN IMMEDIATE``. PostgreSQL goes through psycopg 3.

``open_database`` upgrades the schema on both back-ends when it is behind: concurrent
upgrades are serialized (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so
several app processes may start at once. ``roundtable db upgrade`` does the same explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

DEFAULT_URL = "sqlite:///roundtable.db"
BEGIN_IMMEDIATE = "roundtable_begin_immediate"
"""Execution option: on SQLite, open the transaction with ``BEGIN IMMEDIATE`` (a write lock)."""

_MIGRATIONS = Path(__file__).parent / "migrations"
_SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any constant shared by every Roundtable process; it names the advisory lock of upgrades.
_PG_UPGRADE_LOCK = 0x526F756E64


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Roundtable than this one."""


def database_url(explicit: str | None = None) -> str:
    """Return the database URL: ``explicit``, else env ``DATABASE_URL``, else the SQLite file."""
    url = explicit or os.environ.get("DATABASE_URL") or DEFAULT_URL
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the connection settings Roundtable relies on."""
    url = database_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Stop the sqlite3 module from issuing BEGIN on its own; _begin_sqlite_transaction does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(BEGIN_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def upgrade(engine: Engine) -> None:
    """Migrate the schema to the newest revision (an empty database gets every table).

    Raises:
        SchemaTooNew: the database carries a revision this version does not know.
    """
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(**{BEGIN_IMMEDIATE: True})
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_UPGRADE_LOCK})")
        current = _current_revision(connection)
        script = _script()
        if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
            raise SchemaTooNew(
                f"the database schema is at revision {current}, unknown to this version "
                "of Roundtable; install a newer Roundtable"
            )
        if current != script.get_current_head():
            config = Config()
            config.set_main_option("script_location", str(_MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


def open_database(url: str | None = None) -> Engine:
    """Make the engine for ``url`` (see ``database_url``) and upgrade an outdated schema.

    Raises:
        SchemaTooNew: the database carries a revision this version does not know.
    """
    engine = make_engine(database_url(url))
    try:
        # A plain read first: an up-to-date database is opened without taking a write lock.
        with engine.connect() as connection:
            current = _current_revision(connection)
        if current != _script().get_current_head():
            upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(_MIGRATIONS))


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
