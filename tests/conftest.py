"""Database fixtures shared by every test folder.

``db_engine`` runs a test once on SQLite (a fresh file) and once on PostgreSQL (a fresh
schema on the server named by env ``ROUNDTABLE_TEST_PG``, default 127.0.0.1:5432 db ``test``),
both migrated to the newest schema. Without a reachable server the PostgreSQL runs skip,
unless env ``CI=true`` or ``ROUNDTABLE_REQUIRE_POSTGRES=1`` makes them fail.
"""

from __future__ import annotations

import os
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


@contextmanager
def _sqlite_engine(directory: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{directory / 'roundtable.db'}")
    try:
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
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """Yield an engine on a fresh, migrated SQLite file."""
    with _sqlite_engine(tmp_path) as engine:
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
        context = _sqlite_engine(tmp_path)
    else:
        context = _postgres_engine(request.getfixturevalue("postgres_admin"))
    with context as engine:
        yield engine
