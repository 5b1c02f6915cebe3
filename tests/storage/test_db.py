from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storage.db import (
    _MIGRATIONS,
    HEAD_REVISION,
    SchemaTooNew,
    current_revision,
    database_url,
    is_migrated,
    open_database,
    upgrade,
)
from storage.uow import UnitOfWork
from tests.storage.conftest import T0, make_booking, sample_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_of_postgres_use_psycopg_3(given, expected):
    assert database_url(given) == expected


def test_the_database_url_falls_back_to_the_environment_then_a_sqlite_file(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://env/db")
    assert database_url(None) == "postgresql+psycopg://env/db"
    monkeypatch.delenv("DATABASE_URL")
    assert database_url(None) == "sqlite:///roundtable.db"


def test_migrations_build_exactly_the_tables_of_the_models(db_engine):
    with db_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


def test_autogenerate_leaves_slack_sdks_oauth_tables_alone(db_engine):
    with db_engine.begin() as connection:
        connection.execute(text("CREATE TABLE slack_bots (id INTEGER PRIMARY KEY)"))
    with db_engine.connect() as connection:
        unfiltered = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        filtered = compare_metadata(
            MigrationContext.configure(connection, opts={"include_name": is_migrated}),
            SQLModel.metadata,
        )
    assert [diff[0] for diff in unfiltered] == ["remove_table"]
    assert filtered == []


def test_opening_a_new_sqlite_file_creates_the_schema(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with UnitOfWork(engine) as uow:
            uow.config.save(sample_config(), now=T0)
            uow.commit()
        with engine.connect() as connection:
            pragmas = [
                connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("foreign_keys", "journal_mode")
            ]
        assert pragmas == [1, "wal"]
    finally:
        engine.dispose()


def test_a_database_from_a_newer_version_is_refused(sqlite_engine):
    with sqlite_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'fffffff'"))

    with pytest.raises(SchemaTooNew, match="fffffff"):
        upgrade(sqlite_engine)


def test_the_head_revision_constant_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory(str(_MIGRATIONS)).get_current_head() == HEAD_REVISION


def test_the_revision_read_without_alembic_is_alembics(db_engine):
    with db_engine.connect() as connection:
        assert current_revision(connection) == HEAD_REVISION
        assert MigrationContext.configure(connection).get_current_revision() == HEAD_REVISION


def test_an_up_to_date_database_opens_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'current.db'}"
    open_database(url).dispose()
    code = (
        "import sys; from storage.db import open_database; open_database(sys.argv[1]).dispose(); "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'alembic'], 'alembic imported'"
    )
    subprocess.run([sys.executable, "-c", code, url], check=True, cwd=ROOT)


def test_migration_0006_copies_each_bookings_buffers_onto_its_participants(configured):
    """Bookings stored before 0006 get their buffers on every participant, both ways back."""
    booking = make_booking(buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=10))
    with UnitOfWork(configured) as uow:
        uow.bookings.add("T0001", booking)
        uow.commit()
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))

    def migrate(step, revision):
        with configured.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    migrate(command.downgrade, "0005")
    with configured.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("booking_participants")}
    assert "buffer_before_min" not in columns

    migrate(command.upgrade, "head")
    with configured.connect() as connection:
        copied = connection.execute(
            text("SELECT buffer_before_min, buffer_after_min FROM booking_participants")
        ).all()
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    assert [tuple(row) for row in copied] == [(15, 10), (15, 10)]
    with UnitOfWork(configured) as uow:
        schedule = uow.schedules.load("T0001", T0, T0 + timedelta(hours=1), now=T0)
    assert {o.buffer_before for o in schedule.occupancy["alice"]} == {timedelta(minutes=15)}
