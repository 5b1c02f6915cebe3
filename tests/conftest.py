"""Database fixtures shared by every test folder.

``db_engine`` runs a test once on SQLite (a fresh file) and once on PostgreSQL (a fresh
schema on the server named by env ``ROUNDTABLE_TEST_PG``, default 127.0.0.1:5432 db ``test``),
both migrated to the newest schema. Without a reachable server the PostgreSQL runs skip,
unless env ``CI=true`` or ``ROUNDTABLE_REQUIRE_POSTGRES=1`` makes them fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import storage.tables  # noqa: F401 - the tables of SQLModel.metadata
from storage.db import database_url, make_engine, upgrade

DEFAULT_TEST_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("ROUNDTABLE_REQUIRE_POSTGRES") == "1"
    )


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """Connect to the test PostgreSQL server, or skip (fail on CI) when it is not reachable."""
    url = database_url(os.environ.get("ROUNDTABLE_TEST_PG") or DEFAULT_TEST_PG)
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as connection:
            # btree_gist lives in public, shared by the per-test schemas; the lock keeps
            # parallel workers from creating it twice.
            connection.execute(text("SELECT pg_advisory_xact_lock(7461)"))
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
    except OperationalError as error:
        engine.dispose()
        where = make_url(url).render_as_string(hide_password=True)
        message = (
            f"PostgreSQL not reachable at {where}; set ROUNDTABLE_TEST_PG or start the server "
            f"({error.orig})"
        )
        if _postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the newest schema, copied for each test that wants one.

    Migrating takes about 0.2 s and copying the file a millisecond. The copy is the same
    database: the migrations write no value that differs from one run to the next.
    """
    path = tmp_path_factory.mktemp("sqlite-template") / "roundtable.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    assert not path.with_name("roundtable.db-wal").exists(), "the template is not one file"
    return path


@contextmanager
def _sqlite_engine(directory: Path, template: Path | None = None) -> Iterator[Engine]:
    """An engine on ``directory``'s migrated SQLite file: a copy of ``template``, if given."""
    path = directory / "roundtable.db"
    if template is not None:
        shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        if template is None:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _schema_url(admin: Engine, schema: str) -> str:
    """The URL of ``schema`` on ``admin``'s server, under a name of its own (a URL no
    process-wide cache has seen)."""
    url = admin.url.update_query_dict(
        {"options": f"-csearch_path={schema},public", "application_name": uuid.uuid4().hex}
    )
    return url.render_as_string(hide_password=False)


def _migrated_schema(admin: Engine) -> str:
    """Create a schema and migrate it to the newest revision; return its name."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(_schema_url(admin, schema))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return schema


@contextmanager
def _postgres_engine(admin: Engine) -> Iterator[Engine]:
    """An engine on a fresh migrated schema, dropped afterwards (the benchmarks')."""
    schema = _migrated_schema(admin)
    engine = make_engine(_schema_url(admin, schema))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """Yield an engine on a fresh, migrated SQLite file."""
    with _sqlite_engine(tmp_path, sqlite_template) as engine:
        yield engine


class PostgresSchemas:
    """Migrated PostgreSQL schemas a worker lends to one test at a time, emptied in between.

    Migrating a schema costs 0.3–1.5 s (a hundred DDL statements under one server-wide
    lock) and dropping it 0.2 s; checking and emptying it costs a few tens of milliseconds.
    A schema goes back to the pool only when it still has the migrations' revision and
    shape (``_SHAPE``: its numbers of relations, columns, checks, constraints, enabled
    triggers and functions) and its rows could be deleted within 2 s: a test that created,
    altered or dropped something, or left a table locked, gets its schema dropped instead.
    Each loan's engine has its own URL (``application_name``), so no process-wide cache
    keyed by the URL carries one test's data into the next.
    """

    _SHAPE = text(
        """
        SELECT (SELECT count(*) || '/' || sum(relnatts) || '/' || sum(relchecks)
                FROM pg_class WHERE relnamespace = n.oid)
            || '/' || (SELECT count(*) FROM pg_constraint WHERE connamespace = n.oid)
            || '/' || (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                       WHERE c.relnamespace = n.oid AND t.tgenabled <> 'D')
            || '/' || (SELECT count(*) FROM pg_proc WHERE pronamespace = n.oid)
        FROM pg_namespace n WHERE n.nspname = :schema
        """
    )

    def __init__(self, admin: Engine) -> None:
        self._admin = create_engine(admin.url, pool_size=1)  # one warm connection, reused
        self._free: list[str] = []
        self._shape: str | None = None
        self._head: str | None = None

    def _state(self, schema: str) -> tuple[str, str | None]:
        with self._admin.connect() as connection:
            shape = connection.execute(self._SHAPE, {"schema": schema}).scalar_one()
            head = connection.execute(
                text(f"SELECT string_agg(version_num, ',') FROM {schema}.alembic_version")
            ).scalar_one()
        return shape, head

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """Yield an engine on an empty schema at the newest revision, for one test."""
        schema = self._free.pop() if self._free else _migrated_schema(self._admin)
        if self._shape is None:
            self._shape, self._head = self._state(schema)
        engine = make_engine(_schema_url(self._admin, schema))
        try:
            yield engine
        finally:
            engine.dispose()
            self._give_back(schema)

    def _give_back(self, schema: str) -> None:
        if self._reusable(schema):
            self._free.append(schema)
            return
        with self._admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    def _reusable(self, schema: str) -> bool:
        """Empty the schema's tables if its structure is still the migrations'."""
        tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
        try:
            if self._state(schema) != (self._shape, self._head):
                return False
            with self._admin.begin() as connection:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                connection.exec_driver_sql(
                    "; ".join(f"DELETE FROM {schema}.{table}" for table in tables)
                )
        except SQLAlchemyError:  # a table gone, or still locked by the test's threads
            return False
        return True

    def close(self) -> None:
        """Drop every schema of the pool."""
        with self._admin.begin() as connection:
            for schema in self._free:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        self._free.clear()
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_schemas(postgres_admin: Engine) -> Iterator[PostgresSchemas]:
    """This worker's pool of migrated PostgreSQL schemas (``PostgresSchemas``)."""
    schemas = PostgresSchemas(postgres_admin)
    yield schemas
    schemas.close()


@pytest.fixture
def postgres_engine(postgres_schemas: PostgresSchemas) -> Iterator[Engine]:
    """Yield an engine on an empty, migrated PostgreSQL schema (mark the test ``postgres``)."""
    with postgres_schemas.engine() as engine:
        yield engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Yield an engine on a fresh, migrated database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        context = _sqlite_engine(tmp_path, request.getfixturevalue("sqlite_template"))
    else:
        context = request.getfixturevalue("postgres_schemas").engine()
    with context as engine:
        yield engine
