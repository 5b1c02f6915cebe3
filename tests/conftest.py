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
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

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


@contextmanager
def _postgres_engine(admin: Engine) -> Iterator[Engine]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema},public"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
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


@pytest.fixture
def postgres_engine(postgres_admin: Engine) -> Iterator[Engine]:
    """Yield an engine on a fresh, migrated PostgreSQL schema (mark the test ``postgres``)."""
    with _postgres_engine(postgres_admin) as engine:
        yield engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Yield an engine on a fresh, migrated database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        context = _sqlite_engine(tmp_path, request.getfixturevalue("sqlite_template"))
    else:
        context = _postgres_engine(request.getfixturevalue("postgres_admin"))
    with context as engine:
        yield engine
