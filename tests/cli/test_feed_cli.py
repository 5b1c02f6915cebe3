"""``roundtable calendar feed`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.cli.conftest import Run
from tests.services.booking_world import setup


@pytest.fixture
def rt(run: Run, db_engine: Engine, db_url: str, tmp_path: Path) -> Any:
    setup(db_engine, tmp_path)

    def invoke(*args: str) -> tuple[int, Any]:
        result = run("--db", db_url, "--json", "calendar", "feed", *args)
        return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}

    return invoke


def test_feed_prints_the_same_url_until_rotated(rt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUNDTABLE_SECRET", "cli secret")
    monkeypatch.setenv("PUBLIC_URL", "https://rt.example/")
    code, first = rt("--page", "alice")
    assert code == 0
    assert list(first) == ["feed"]
    assert first["feed"]["url"].startswith("https://rt.example/cal/")
    assert rt("--page", "alice") == (0, first)
    code, rotated = rt("--page", "alice", "--rotate")
    assert code == 0
    assert rotated != first
    assert rt("--page", "alice", "--by", "U0ALICE") == (0, rotated)


@pytest.mark.parametrize(
    ("args", "secret", "code", "error"),
    [
        (("--page", "alice", "--by", "U0BOB"), "s", 3, "forbidden"),
        (("--page", "zed"), "s", 2, "not_found"),
        (("--page", "alice"), None, 2, "bad_input"),
    ],
)
def test_refusals_exit_with_their_code(
    rt: Any,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    secret: str | None,
    code: int,
    error: str,
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    if secret is None:
        monkeypatch.delenv("ROUNDTABLE_SECRET", raising=False)
    else:
        monkeypatch.setenv("ROUNDTABLE_SECRET", secret)
    got, answer = rt(*args)
    assert (got, answer["error"]["code"]) == (code, error)
    if secret is None:
        assert "ROUNDTABLE_SECRET" in answer["error"]["message"]
