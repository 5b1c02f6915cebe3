"""Bookings feeds: a stable secret URL per page, only its hash stored, rotation, the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import Engine, text

from engine.errors import BadInput, NotFound
from services.booking import Customer
from services.booking_changes import cancel
from services.context import Actor, SlackUser
from services.errors import Forbidden
from services.feeds import feed_calendar, feed_url
from tests.services.booking_world import ADMIN, CLI, NOW, STRANGER, WS, at, book_at, setup

ENV = {"ROUNDTABLE_SECRET": "a test secret"}
PUBLIC = "https://rt.example"


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path)
    return db_engine


def _url(engine: Engine, page: str, *, rotate: bool = False, actor: Actor = CLI) -> str:
    return feed_url(
        engine, WS, page, rotate=rotate, actor=actor, now=NOW, public_url=PUBLIC, environ=ENV
    )


def _token(url: str) -> str:
    assert url.startswith(f"{PUBLIC}/cal/")
    assert url.endswith(".ics")
    return url.removeprefix(f"{PUBLIC}/cal/").removesuffix(".ics")


def test_the_url_stays_the_same_until_rotated_and_only_its_hash_is_stored(world: Engine) -> None:
    first = _url(world, "dave")
    assert _url(world, "dave") == first
    token = _token(first)
    assert len(token) == 43
    with world.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM booking_feeds")).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]

    rotated = _url(world, "dave", rotate=True)
    assert rotated != first
    assert _url(world, "dave") == rotated
    assert feed_calendar(world, token, now=NOW) is None
    assert feed_calendar(world, _token(rotated), now=NOW) is not None
    assert _url(world, "erin") not in (first, rotated)


def test_a_feed_holds_the_pages_confirmed_bookings_as_events(world: Engine) -> None:
    panel = book_at(world, "panel", "meet", at(1, 10))  # dave owns, erin and a room join
    other = book_at(world, "panel", "meet", at(1, 14))
    cancel(world, WS, other.id, actor=ADMIN, now=NOW)
    book_at(world, "desk", "chat", at(1, 9))  # alice, bob or carol: not erin
    ical = feed_calendar(world, _token(_url(world, "erin")), now=NOW)
    assert ical is not None

    calendar = Calendar.from_ical(ical)
    assert str(calendar["X-WR-CALNAME"]) == "Erin · Roundtable"
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{panel.id}@roundtable"]
    [event] = events
    assert event.decoded("DTSTART") == at(1, 10)
    assert event.decoded("DTEND") == at(1, 11)
    assert str(event["SUMMARY"]) == "Meeting with Slack user U0CUST"
    room = next(p.page for p in panel.participants if p.page.startswith("room"))
    description = str(event["DESCRIPTION"])
    assert f"With: Dave, Erin, {'Room A' if room == 'room-a' else 'Room B'}" in description


def test_form_answers_and_a_guests_email_reach_the_event(world: Engine) -> None:
    booking = book_at(
        world,
        "people",
        "intro",
        at(2, 10),
        pick="bob",
        customer=Customer(name="Gina Guest", email="gina@example.com"),
        form_answers={"topic": "Pricing", "notes": "Bring numbers"},
    )
    ical = feed_calendar(world, _token(_url(world, "bob")), now=NOW)
    [event] = Calendar.from_ical(ical).walk("VEVENT")
    assert str(event["UID"]) == f"{booking.id}@roundtable"
    assert str(event["SUMMARY"]) == "Intro with Gina Guest"
    assert str(event["DESCRIPTION"]).splitlines() == [
        "Customer: Gina Guest <gina@example.com>",
        "With: Bob",
        "Topic: Pricing",
        "Notes: Bring numbers",
    ]
    assert str(event["ATTENDEE"]) == "mailto:gina@example.com"
    assert event["ATTENDEE"].params["CN"] == "Gina Guest"


def test_only_the_member_or_an_admin_gets_a_pages_feed(world: Engine) -> None:
    assert _url(world, "alice", actor=SlackUser("U0ALICE"))
    assert _url(world, "room-a", actor=ADMIN)
    with pytest.raises(Forbidden):
        _url(world, "alice", actor=STRANGER)
    with pytest.raises(Forbidden):
        _url(world, "room-a", actor=SlackUser("U0ALICE"))
    with pytest.raises(NotFound):
        _url(world, "zed")


def test_without_an_app_secret_no_feed_is_made(world: Engine) -> None:
    with pytest.raises(BadInput) as refused:
        feed_url(world, WS, "dave", rotate=False, actor=CLI, now=NOW, public_url=PUBLIC, environ={})
    assert refused.value.field == "ROUNDTABLE_SECRET"
    with world.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM booking_feeds")).scalar_one() == 0


def test_unknown_and_malformed_tokens_open_nothing(world: Engine) -> None:
    _url(world, "dave")
    for token in ("", "x", "A" * 43, "../../etc/passwd", "%00"):
        assert feed_calendar(world, token, now=NOW) is None
