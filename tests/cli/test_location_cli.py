"""Every booking JSON answer of the command line carries ``location`` (null when none)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from tests.cli.conftest import Run
from tests.services.booking_world import setup
from tests.services.test_location import VIDEO, located

NOW = ("--now", "2026-11-30T08:00:00Z", "--json")


def test_booking_answers_carry_the_location(
    db_engine: Engine, tmp_path: Path, run: Run, db_url: str
) -> None:
    setup(db_engine, tmp_path, located)
    book = ("--db", db_url, *NOW, "book", "--start", "2026-12-01T09:00:00Z")
    customer = ("--customer-slack", "U0CUST")
    with_video = run(*book, "--master-page", "demo", "--event-type", "chat", *customer)
    without = run(*book, "--master-page", "panel", "--event-type", "meet", *customer)
    assert json.loads(with_video.stdout)["booking"]["location"] == VIDEO
    assert json.loads(without.stdout)["booking"]["location"] is None

    booking_id = json.loads(with_video.stdout)["booking"]["id"]
    moved = run("--db", db_url, *NOW, "reassign", booking_id, "--to", "carol", "--force")
    cancelled = run("--db", db_url, *NOW, "cancel", booking_id)
    assert json.loads(moved.stdout)["booking"]["location"] == VIDEO
    assert json.loads(cancelled.stdout)["booking"]["location"] == VIDEO
    text = run("--db", db_url, "--now", "2026-11-30T08:00:00Z", "cancel", booking_id)
    assert text.exit_code == 3  # already cancelled: refused, as before
