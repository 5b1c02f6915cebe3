"""Applying, exporting and showing configuration files against a real database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.errors import BadInput, NotFound
from engine.model import Workspace
from services.config import (
    apply_config,
    choose_workspace,
    export_config,
    load_config,
    start_workspace,
)
from services.config_file import read_config
from services.config_problems import ConfigInvalid
from storage.db import open_database
from tests.services.config_samples import ACME, small_config_text

Change = Callable[[dict[str, Any]], object]


def _seat(pool: str) -> dict[str, str]:
    return {"pool": pool}


# Each case breaks the small sample file one way; the messages are exactly what the user reads.
BROKEN: list[tuple[str, Change, list[str]]] = [
    (
        "unknown key",
        lambda c: c["pools"][0].update(colour="red"),
        ["acme.yml: pools[0].colour: unknown key"],
    ),
    (
        "unknown page in a pool",
        lambda c: c["pools"][1]["members"][0].update(page="zed"),
        ["acme.yml: pools[1].members[0].page: unknown booking page 'zed'"],
    ),
    (
        "unknown page in an event type",
        lambda c: c["event_types"][0]["pages"].append("zed"),
        ["acme.yml: event_types[0].pages[2]: unknown booking page 'zed'"],
    ),
    (
        "unknown page in a rule seat",
        lambda c: c["master_pages"][0]["rules"][0].update(additional=[{"page": "zed"}]),
        ["acme.yml: master_pages[0].rules[0].additional[0].page: unknown booking page 'zed'"],
    ),
    (
        "unknown pool in a rule seat",
        lambda c: c["master_pages"][0]["rules"][0].update(primary=_seat("marketing")),
        ["acme.yml: master_pages[0].rules[0].primary.pool: unknown pool 'marketing'"],
    ),
    (
        "unknown event type of a rule",
        lambda c: c["master_pages"][0]["rules"][0].update(event_type="outro"),
        ["acme.yml: master_pages[0].rules[0].event_type: unknown event type 'outro'"],
    ),
    (
        "unknown event type of a master page",
        lambda c: c["master_pages"][1]["event_types"].append("outro"),
        ["acme.yml: master_pages[1].event_types[1]: unknown event type 'outro'"],
    ),
    (
        "unknown page of a busy block",
        lambda c: c["busy"][0].update(page="zed"),
        ["acme.yml: busy[0].page: unknown booking page 'zed'"],
    ),
    (
        "duplicate id",
        lambda c: c["booking_pages"].append(dict(c["booking_pages"][0], name="Alice again")),
        ["acme.yml: booking_pages[3].id: duplicate id 'alice', first used by booking_pages[0]"],
    ),
    (
        "malformed id",
        lambda c: c["pools"][0].update(id="Sales Team"),
        [
            "acme.yml: pools[0].id: 'Sales Team' is not an id "
            "(a-z, 0-9, '-' and '_', starting a-z or 0-9)",
            "acme.yml: master_pages[0].rules[0].primary.pool: unknown pool 'sales'",
        ],
    ),
    (
        "bad duration",
        lambda c: c["event_types"][0].update(duration="30 minutes"),
        [
            "acme.yml: event_types[0].duration: "
            "'30 minutes' is not a duration like 30m, 2h, 1h30m or 1d"
        ],
    ),
    (
        "zero duration and step",
        lambda c: c["event_types"][0].update(duration="0m", step="0h"),
        [
            "acme.yml: event_types[0].duration: must be more than 0m",
            "acme.yml: event_types[0].step: must be more than 0m",
        ],
    ),
    (
        "max_days_ahead of zero",
        lambda c: c["event_types"][0].update(max_days_ahead=0),
        ["acme.yml: event_types[0].max_days_ahead: must be more than 0"],
    ),
    (
        "missing required key",
        lambda c: c["event_types"][0].pop("duration"),
        ["acme.yml: event_types[0].duration: missing required key"],
    ),
    (
        "bad time zone",
        lambda c: c["booking_pages"][1].update(timezone="Mars/Olympus"),
        [
            "acme.yml: booking_pages[1].timezone: unknown time zone 'Mars/Olympus' "
            "(use an IANA name like Europe/London)"
        ],
    ),
    (
        "hours without minutes",
        lambda c: c["booking_pages"][0].update(hours={"mon-fri": ["9-17"]}),
        ["acme.yml: booking_pages[0].hours.mon-fri[0]: '9-17' is not a range like 09:00-17:00"],
    ),
    (
        "hours past the end of the day",
        lambda c: c["booking_pages"][0].update(hours={"mon": ["25:00-26:00"]}),
        [
            "acme.yml: booking_pages[0].hours.mon[0]: "
            "'25:00-26:00' is not a range of times from 00:00 to 24:00"
        ],
    ),
    (
        "hours crossing midnight",
        lambda c: c["booking_pages"][0].update(hours={"fri": ["22:00-02:00"]}),
        [
            "acme.yml: booking_pages[0].hours.fri[0]: '22:00-02:00' crosses midnight; "
            "write two ranges: '22:00-24:00' and '00:00-02:00'"
        ],
    ),
    (
        "overlapping hours",
        lambda c: c["booking_pages"][0].update(hours={"mon-fri": ["09:00-12:00", "11:00-13:00"]}),
        ["acme.yml: booking_pages[0].hours.mon-fri: '09:00-12:00' overlaps '11:00-13:00'"],
    ),
    (
        "a day under two keys",
        lambda c: c["booking_pages"][0]["hours"].update(mon=["18:00-19:00"]),
        ["acme.yml: booking_pages[0].hours.mon: mon already listed under 'mon-fri'"],
    ),
    (
        "overlapping overrides",
        lambda c: c["booking_pages"][0].update(
            overrides={"2026-12-24": ["10:00-12:00", "08:00-11:00"]}
        ),
        ["acme.yml: booking_pages[0].overrides.2026-12-24: '08:00-11:00' overlaps '10:00-12:00'"],
    ),
    (
        "a day range that starts and ends on one day",
        lambda c: c["booking_pages"][2].update(hours={"mon-mon": ["08:00-18:00"]}),
        [
            "acme.yml: booking_pages[2].hours.mon-mon: "
            "'mon-mon' starts and ends on the same day; write 'mon'"
        ],
    ),
    (
        "an unknown day",
        lambda c: c["booking_pages"][2].update(hours={"monday": ["08:00-18:00"]}),
        [
            "acme.yml: booking_pages[2].hours.monday: "
            "'monday' is not a day (mon … sun) or a range of days like mon-fri"
        ],
    ),
    (
        "a pool both primary and additional",
        lambda c: c["master_pages"][0]["rules"][0]["additional"].append(_seat("sales")),
        [
            "acme.yml: master_pages[0].rules[0].additional[1].pool: pool 'sales' is already "
            "the primary; a pool may not be both primary and additional"
        ],
    ),
    (
        "a page in two seats",
        lambda c: c["master_pages"][0]["rules"][0].update(
            primary={"page": "alice"}, additional=[{"page": "alice"}]
        ),
        [
            "acme.yml: master_pages[0].rules[0].additional[0].page: "
            "booking page 'alice' already fills a seat"
        ],
    ),
    (
        "a seat naming a page and a pool",
        lambda c: c["master_pages"][0]["rules"][0].update(
            primary={"page": "alice", "pool": "sales"}
        ),
        ["acme.yml: master_pages[0].rules[0].primary: name a page or a pool, not both"],
    ),
    (
        "one-time links only on a static page",
        lambda c: c["master_pages"][1].update(one_time_links_only=True),
        [
            "acme.yml: master_pages[1].one_time_links_only: "
            "one-time links are only for dynamic pages"
        ],
    ),
    (
        "a static page without a method",
        lambda c: c["master_pages"][1].pop("method"),
        [
            "acme.yml: master_pages[1].method: a static page needs a method: "
            "one of pooled, pooled_priority, find_member_by_time"
        ],
    ),
    (
        "a static page offering an event type without pages",
        lambda c: c["event_types"][0].pop("pages"),
        ["acme.yml: master_pages[1].event_types[0]: event type 'intro' lists no booking pages"],
    ),
    (
        "a dynamic page without rules",
        lambda c: c["master_pages"][0].update(rules=[]),
        ["acme.yml: master_pages[0].rules: a dynamic page needs at least one rule"],
    ),
    (
        "two rules for one event type",
        lambda c: c["master_pages"][0]["rules"].append(
            {"event_type": "intro", "primary": {"page": "bob"}}
        ),
        [
            "acme.yml: master_pages[0].rules[1].event_type: event type 'intro' is listed twice; "
            "a dynamic page has one rule per event type"
        ],
    ),
    (
        "a priority not in the list",
        lambda c: c["pools"][0]["members"][1].update(priority="urgent"),
        [
            "acme.yml: pools[0].members[1].priority: "
            "expected 'highest', 'high', 'medium', 'low' or 'lowest', got 'urgent'"
        ],
    ),
    (
        "an unknown method and cycle",
        lambda c: c["pools"][0].update(method="random", cycle="yearly"),
        [
            "acme.yml: pools[0].method: expected 'round_robin', 'pooled' or 'pooled_priority', "
            "got 'random'",
            "acme.yml: pools[0].cycle: expected 'weekly', 'monthly', 'quarterly' or 'continuous', "
            "got 'yearly'",
        ],
    ),
    (
        "a member page without its Slack user",
        lambda c: c["booking_pages"][1].pop("slack_user"),
        ["acme.yml: booking_pages[1].slack_user: a member page needs the Slack user it books"],
    ),
    (
        "a busy block without an offset that ends before it starts",
        lambda c: (
            c["busy"].append(
                {"page": "bob", "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T14:00:00+00:00"}
            )
            or c["busy"][0].update(end="2026-12-01T15:00:00")
        ),
        [
            "acme.yml: busy[0].end: needs a UTC offset, like 2026-12-01T14:00:00Z",
            "acme.yml: busy[1].end: must be after start",
        ],
    ),
    (
        "a Slack user that is not an id",
        lambda c: c["workspace"].update(admins=["@boss"]),
        ["acme.yml: workspace.admins[0]: '@boss' is not a Slack user id like U0123ABCD"],
    ),
    (
        "text where a number belongs",
        lambda c: c["booking_pages"][2].update(capacity="eight"),
        ["acme.yml: booking_pages[2].capacity: expected a whole number, got 'eight'"],
    ),
]


@pytest.fixture
def write_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Write configuration text to acme.yml in the working directory and return its path."""
    monkeypatch.chdir(tmp_path)

    def write(text: str) -> Path:
        path = Path("acme.yml")
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.mark.parametrize(
    ("change", "messages"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_a_broken_file_is_refused_with_every_problem_and_writes_nothing(
    sqlite_engine: Engine, write_file: Callable[[str], Path], change: Change, messages: list[str]
) -> None:
    apply_config(sqlite_engine, write_file(small_config_text()))
    stored = load_config(sqlite_engine, "T0001")

    with pytest.raises(ConfigInvalid) as refused:
        apply_config(sqlite_engine, write_file(small_config_text(change)))

    assert list(refused.value.lines()) == messages
    assert refused.value.message == "\n".join(messages)
    assert load_config(sqlite_engine, "T0001") == stored


def test_a_broken_file_writes_nothing_to_an_empty_database(
    db_engine: Engine, write_file: Callable[[str], Path]
) -> None:
    broken = small_config_text(lambda c: c["pools"][1]["members"][0].update(page="zed"))

    with pytest.raises(ConfigInvalid):
        apply_config(db_engine, write_file(broken))

    with pytest.raises(BadInput, match="holds no workspace"):
        choose_workspace(db_engine, None)


@pytest.fixture
def second_engine(
    request: pytest.FixtureRequest, db_engine: Engine, tmp_path: Path
) -> Iterator[Engine]:
    """Yield another fresh database of the kind ``db_engine`` is."""
    if db_engine.dialect.name == "postgresql":
        yield request.getfixturevalue("postgres_engine")
        return
    engine = open_database(f"sqlite:///{tmp_path / 'second.db'}")
    yield engine
    engine.dispose()


def test_an_export_applied_to_a_new_database_exports_the_same_text(
    db_engine: Engine, second_engine: Engine, write_file: Callable[[str], Path]
) -> None:
    apply_config(db_engine, ACME)
    apply_config(db_engine, ACME)
    exported = export_config(db_engine, "T0ACME")

    apply_config(second_engine, write_file(exported))

    assert export_config(second_engine, "T0ACME") == exported
    assert load_config(second_engine, "T0ACME") == load_config(db_engine, "T0ACME")
    assert load_config(db_engine, "T0ACME") == read_config(ACME)


def test_applying_the_same_file_twice_changes_nothing(db_engine: Engine) -> None:
    first = apply_config(db_engine, ACME)
    stored = load_config(db_engine, "T0ACME")

    second = apply_config(db_engine, ACME)

    assert first.created
    assert first.sections["pools"].added == ("sales", "support", "rooms")
    assert first.busy_added == 3
    assert not second.changed
    assert load_config(db_engine, "T0ACME") == stored


def test_applying_a_smaller_file_archives_what_it_left_out(
    db_engine: Engine, write_file: Callable[[str], Path]
) -> None:
    apply_config(db_engine, write_file(small_config_text()))

    def drop_bob(config: dict[str, Any]) -> None:
        config["booking_pages"].pop(1)
        config["event_types"][0]["pages"].remove("bob")
        config["pools"][0]["members"].pop(1)
        config["pools"][0]["members"].append({"page": "room-a", "active": False})
        config["busy"].clear()

    summary = apply_config(db_engine, write_file(small_config_text(drop_bob)))

    assert summary.sections["booking_pages"].archived == ("bob",)
    assert summary.sections["pools"].changed == ("sales",)
    assert summary.sections["event_types"].changed == ("intro",)
    assert summary.busy_removed == 1
    stored = load_config(db_engine, "T0001")
    assert list(stored.pages) == ["alice", "room-a"]
    assert [(m.page, m.active) for m in stored.pools["sales"].members] == [
        ("alice", True),
        ("room-a", False),
    ]
    assert "bob:" not in export_config(db_engine, "T0001")


def test_a_file_for_another_workspace_than_requested_is_refused(db_engine: Engine) -> None:
    with pytest.raises(BadInput, match="configures workspace T0ACME, not T0OTHER"):
        apply_config(db_engine, ACME, workspace="T0OTHER")


def test_the_only_workspace_is_chosen_unless_several_are_stored(
    db_engine: Engine, write_file: Callable[[str], Path]
) -> None:
    apply_config(db_engine, ACME)
    assert choose_workspace(db_engine, None) == "T0ACME"

    apply_config(db_engine, write_file(small_config_text()))

    with pytest.raises(
        BadInput, match=r"several workspaces \(T0001, T0ACME\); choose one with --workspace"
    ):
        choose_workspace(db_engine, None)
    assert choose_workspace(db_engine, "T0001") == "T0001"
    with pytest.raises(NotFound, match="unknown workspace 'T0NONE'"):
        choose_workspace(db_engine, "T0NONE")


def test_slack_admins_off_is_stored_and_a_started_workspace_is_kept(
    db_engine: Engine, write_file: Callable[[str], Path]
) -> None:
    off = small_config_text(lambda data: data["workspace"].update(slack_admins=False))
    apply_config(db_engine, write_file(off))

    assert load_config(db_engine, "T0001").workspace.slack_admins is False
    assert start_workspace(db_engine, "T0001") is False
    assert load_config(db_engine, "T0001").workspace.slack_admins is False
    assert start_workspace(db_engine, "T0NEW") is True
    assert load_config(db_engine, "T0NEW").workspace == Workspace(id="T0NEW", timezone="UTC")
    assert start_workspace(db_engine, "T0NEW") is False
