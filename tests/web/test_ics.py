"""The calendar file of a guest's booking."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from web.ics import PRODUCT_ID, Confirmation, build_ics

CONFIRMATION = Confirmation(
    booking_id="7f9c2b1e-0000-4000-8000-000000000001",
    title="Intro call",
    master_page_name="Book a demo",
    start=datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
    end=datetime(2026, 12, 7, 14, 30, tzinfo=UTC),
    timezone="America/New_York",
    hosts=("Alice Hart", "Room A"),
    guest_name="Lee, Ann",
    guest_email="ann@example.com",
)


def _event() -> tuple[Calendar, Calendar]:
    calendar = Calendar.from_ical(build_ics(CONFIRMATION, now=datetime(2026, 12, 1, tzinfo=UTC)))
    return calendar, calendar.walk("VEVENT")[0]


def test_the_event_is_the_booking_in_utc_with_its_id_as_uid() -> None:
    calendar, event = _event()

    assert str(calendar["PRODID"]) == PRODUCT_ID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(event["UID"]) == CONFIRMATION.booking_id
    assert event.decoded("DTSTART") == CONFIRMATION.start
    assert event.decoded("DTEND") == CONFIRMATION.end
    assert event["DTSTART"].to_ical() == b"20261207T140000Z"
    assert event.decoded("DTSTAMP") == datetime(2026, 12, 1, tzinfo=UTC)


def test_the_guest_is_the_accepted_attendee_and_the_hosts_are_named() -> None:
    _, event = _event()

    assert str(event["ATTENDEE"]) == "mailto:ann@example.com"
    assert event["ATTENDEE"].params["CN"] == "Lee, Ann"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert str(event["SUMMARY"]) == "Intro call (Book a demo)"
    assert str(event["DESCRIPTION"]) == "With Alice Hart, Room A"


def test_the_file_is_a_published_event_not_an_invitation() -> None:
    calendar, event = _event()

    assert "METHOD" not in calendar
    assert "ORGANIZER" not in event


def test_a_confirmation_survives_its_json_form() -> None:
    assert Confirmation.from_json(CONFIRMATION.to_json()) == CONFIRMATION
