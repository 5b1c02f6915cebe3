"""``roundtable timeoff add|list|remove`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.cli.conftest import Run
from tests.services.booking_world import setup

NOW = "2026-11-30T08:00:00Z"


@pytest.fixture
def rt(run: Run, db_engine: Engine, db_url: str, tmp_path: Path) -> Any:
    setup(db_engine, tmp_path)

    def invoke(*args: str) -> tuple[int, Any]:
        result = run("--db", db_url, "--now", NOW, "--json", *args)
        return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}

    return invoke


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM time_off")).scalar_one()


def test_add_list_and_remove_print_the_json_shapes(rt: Any, db_engine: Engine) -> None:
    code, added = rt(
        "timeoff",
        "add",
        "--page",
        "bob",
        "--from",
        "2026-12-24",
        "--to",
        "2026-12-31",
        "--reason",
        "Holidays",
    )
    assert code == 0
    made = added["timeoff"]
    assert made == {
        "id": made["id"],
        "page": "bob",
        "from": "2026-12-24",
        "to": "2026-12-31",
        "reason": "Holidays",
    }
    rt("timeoff", "add", "--page", "alice", "--from", "2026-12-01", "--to", "2026-12-01")
    code, listed = rt("timeoff", "list")
    assert code == 0
    assert [(t["page"], t["from"]) for t in listed["timeoff"]] == [
        ("alice", "2026-12-01"),
        ("bob", "2026-12-24"),
    ]
    assert rt("timeoff", "list", "--page", "bob")[1] == {"timeoff": [made]}
    assert rt("timeoff", "remove", made["id"]) == (0, {"timeoff": made})
    assert [t["page"] for t in rt("timeoff", "list")[1]["timeoff"]] == ["alice"]
    assert _stored(db_engine) == 1


@pytest.mark.parametrize(
    ("args", "code", "error", "names"),
    [
        (("--page", "bob", "--from", "2026-12-03", "--to", "2026-12-02"), 2, "bad_input", "to"),
        (("--page", "bob", "--from", "2026-12-32", "--to", "2026-12-02"), 2, "usage", "--from"),
        (("--page", "bob", "--from", "2026-12-01"), 2, "usage", "--to"),
        (("--page", "zed", "--from", "2026-12-01", "--to", "2026-12-02"), 2, "not_found", "page"),
        (
            ("--page", "bob", "--from", "2026-12-01", "--to", "2026-12-02", "--by", "U0ALICE"),
            3,
            "forbidden",
            "",
        ),
    ],
)
def test_refused_additions_exit_with_their_code_and_write_nothing(
    rt: Any, db_engine: Engine, args: tuple[str, ...], code: int, error: str, names: str
) -> None:
    got, answer = rt("timeoff", "add", *args)
    assert (got, answer["error"]["code"]) == (code, error)
    assert names in answer["error"]["message"]
    assert _stored(db_engine) == 0


def test_a_member_removes_their_own_time_off_but_not_anothers(rt: Any) -> None:
    _, added = rt(
        "timeoff",
        "add",
        "--page",
        "bob",
        "--from",
        "2026-12-07",
        "--to",
        "2026-12-07",
        "--by",
        "U0BOB",
    )
    made = added["timeoff"]["id"]
    assert rt("timeoff", "list", "--by", "U0ALICE") == (0, {"timeoff": []})
    got, answer = rt("timeoff", "remove", made, "--by", "U0ALICE")
    assert (got, answer["error"]["code"]) == (3, "forbidden")
    assert rt("timeoff", "remove", made, "--by", "U0BOB")[0] == 0
    got, answer = rt("timeoff", "remove", made)
    assert (got, answer["error"]["code"]) == (2, "not_found")
