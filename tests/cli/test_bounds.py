"""Absurd numbers, instants, durations, NUL bytes and hostile YAML: exit 2 naming the field,
nothing written, on SQLite and PostgreSQL; values at the edges of the bounds work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from storage.tables import BookingRow, WorkspaceRow
from tests.cli.conftest import Run
from tests.services.config_samples import small_config_text

NOW = ("--now", "2026-12-07T09:00:00Z")
SLOTS = ("slots", "--master-page", "demo", "--event-type", "intro")
BOOK = ("book", "--master-page", "demo", "--event-type", "intro")


@pytest.fixture
def applied(run: Run, db_url: str, tmp_path: Path) -> str:
    """The database URL of a workspace holding the small sample configuration."""
    path = tmp_path / "small.yml"
    path.write_text(small_config_text())
    assert run("--db", db_url, "config", "apply", str(path)).exit_code == 0
    return db_url


def _rows(db_url: str, table: Any) -> int:
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()
    finally:
        engine.dispose()


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "hostile.yml"
    path.write_text(text)
    return str(path)


def _page(data: dict[str, Any]) -> dict[str, Any]:
    page: dict[str, Any] = data["booking_pages"][0]
    return page


def _event_type(data: dict[str, Any]) -> dict[str, Any]:
    kind: dict[str, Any] = data["event_types"][0]
    return kind


ABSURD = [
    ("event_types[0].max_days_ahead", lambda d: _event_type(d).update(max_days_ahead=10**12)),
    ("event_types[0].duration", lambda d: _event_type(d).update(duration="99999999999w")),
    ("event_types[0].duration", lambda d: _event_type(d).update(duration="8d")),
    ("event_types[0].buffer_after", lambda d: _event_type(d).update(buffer_after="2w")),
    ("event_types[0].min_notice", lambda d: _event_type(d).update(min_notice="731d")),
    ("event_types[0].reminders[0]", lambda d: _event_type(d).update(reminders=["9w"])),
    ("booking_pages[0].max_per_day", lambda d: _page(d).update(max_per_day=10**30)),
    ("booking_pages[0].max_per_week", lambda d: _page(d).update(max_per_week=10_001)),
    (
        "booking_pages[0].overrides.9999-12-31",
        lambda d: _page(d).update(overrides={"9999-12-31": []}),
    ),
    ("booking_pages[0].name", lambda d: _page(d).update(name="Ali\x00ce")),
    ("busy[0].end", lambda d: d["busy"][0].update(end="9999-12-31T23:59:59Z")),
    ("busy[0].start", lambda d: d["busy"][0].update(start="0001-01-01T00:00:00+14:00")),
]


@pytest.mark.parametrize(("field", "change"), ABSURD, ids=[f for f, _ in ABSURD])
def test_config_apply_refuses_an_absurd_value_naming_its_field_and_writes_nothing(
    run: Run, db_url: str, tmp_path: Path, field: str, change: Any
) -> None:
    result = run("--db", db_url, "config", "apply", _file(tmp_path, small_config_text(change)))

    assert result.exit_code == 2, result.output
    assert f": {field}: " in result.stderr
    assert "Traceback" not in result.output
    assert _rows(db_url, WorkspaceRow) == 0


def _deep() -> str:
    return "workspace: " + "[" * 10_000 + "]" * 10_000 + "\n"


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(_deep(), "nested more than 50 levels deep", id="10,000 levels deep"),
        pytest.param(_alias_bomb(), "once its aliases are expanded", id="a billion laughs"),
        pytest.param("a: &a [*a]\n", "alias *a is used inside its own anchor", id="recursive"),
    ],
)
def test_config_apply_reads_yaml_safely_against_nesting_and_alias_expansion(
    run: Run, db_url: str, tmp_path: Path, text: str, problem: str
) -> None:
    result = run("--db", db_url, "config", "apply", _file(tmp_path, text))

    assert result.exit_code == 2, result.output
    assert problem in result.stderr
    assert _rows(db_url, WorkspaceRow) == 0


def test_values_at_the_edges_of_the_bounds_apply_and_are_read_back(
    run: Run, db_url: str, tmp_path: Path
) -> None:
    def edges(data: dict[str, Any]) -> None:
        _event_type(data).update(max_days_ahead=730, min_notice="730d", buffer_after="1w")
        _page(data).update(max_per_day=10_000, overrides={"2099-12-31": []})
        data["busy"][0].update(start="2000-01-01T00:00:00Z", end="2100-01-01T00:00:00Z")

    applied = run("--db", db_url, "config", "apply", _file(tmp_path, small_config_text(edges)))
    edge = ("--now", "2099-12-31T23:59:59Z")
    slots = run("--db", db_url, *edge, *SLOTS, "--from", "2000-01-01", "--to", "2099-12-31")

    assert applied.exit_code == 0, applied.output
    assert slots.exit_code == 0, slots.output
    assert slots.stdout == "0 slots.\n"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        pytest.param(["--now", "9999-12-31T23:59:59Z", "config", "show"], "--now", id="now"),
        pytest.param(
            [*NOW, *SLOTS, "--from", "0001-01-01", "--to", "9999-12-31"], "--from", id="from"
        ),
        pytest.param([*NOW, *SLOTS, "--from", "2026-12-08", "--to", "9999-12-31"], "--to", id="to"),
        pytest.param(
            [*NOW, *BOOK, "--start", "9999-12-31T23:00:00Z", "--customer-slack", "U0KIM"],
            "--start",
            id="start",
        ),
        pytest.param(
            [*NOW, "link", "create", "--master-page", "demo", "--expires-in", "9000000d"],
            "--expires-in",
            id="expires-in",
        ),
    ],
)
def test_an_instant_date_or_duration_out_of_bounds_exits_2_naming_the_option(
    run: Run, applied: str, args: list[str], option: str
) -> None:
    db_url = applied
    result = run("--db", db_url, *args)

    assert result.exit_code == 2, result.output
    assert option in result.stderr
    assert "Traceback" not in result.output
    assert _rows(db_url, BookingRow) == 0


def test_a_nul_byte_in_a_guest_name_exits_2_naming_it(run: Run, applied: str) -> None:
    db_url = applied
    book = [*NOW, *BOOK, "--start", "2026-12-08T15:00:00Z"]

    named = run("--db", db_url, *book, "--customer-name", "Jo\x00", "--customer-email", "j@x.io")
    linked = run("--db", db_url, *NOW, "link", "create", "--master-page", "demo", "--name", "J\x00")

    assert named.exit_code == 2, named.output
    assert named.stderr.startswith("error: customer_name: must not contain control characters")
    assert linked.exit_code == 2, linked.output
    assert linked.stderr.startswith("error: name: must not contain control characters")
    assert _rows(db_url, BookingRow) == 0
