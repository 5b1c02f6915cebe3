"""Bookings made and refused are counted, and the outbox backlog is read at each scrape."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from engine.errors import SlotUnavailable
from services import metrics
from tests.services.booking_world import NOW, at, book_at, setup


def sample(engine: Engine, name: str, now=NOW, **labels: str) -> float | None:
    """The value of one sample of the exposition, or None when it is not there."""
    text = metrics.exposition(engine, lambda: now).decode()
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path)
    return db_engine


def test_a_booking_is_counted_and_a_refusal_is_counted_by_its_reason(world: Engine) -> None:
    made = sample(world, "roundtable_bookings_total") or 0.0
    refused = sample(world, "roundtable_booking_refusals_total", reason="slot_unavailable") or 0.0

    book_at(world, "demo", "chat", at(1, 9), idempotency_key="first")
    book_at(world, "demo", "chat", at(1, 9), idempotency_key="first")  # a replay: no new one
    with pytest.raises(SlotUnavailable):
        book_at(world, "demo", "chat", at(1, 9, 1))

    assert sample(world, "roundtable_bookings_total") == made + 1
    after = sample(world, "roundtable_booking_refusals_total", reason="slot_unavailable")
    assert after == refused + 1


def test_the_outbox_backlog_is_the_undelivered_messages_due_and_the_oldest_ones_wait(
    world: Engine,
) -> None:
    assert sample(world, "roundtable_outbox_due_messages") == 0
    assert sample(world, "roundtable_outbox_oldest_due_age_seconds") == 0

    book_at(world, "demo", "chat", at(1, 9))  # confirmations due now, reminders later
    later = NOW + timedelta(seconds=90)

    due = sample(world, "roundtable_outbox_due_messages", now=later)
    assert due is not None
    assert due >= 1
    assert sample(world, "roundtable_outbox_oldest_due_age_seconds", now=later) == 90
    # by the start of the meeting every reminder is due too
    assert (sample(world, "roundtable_outbox_due_messages", now=at(1, 9)) or 0) > due
