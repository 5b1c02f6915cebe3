"""``GET /cal/<token>.ics``: a page's bookings feed, served by the guest app; 404 otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar
from werkzeug.test import Client

from services.booking import BookingRequest, Customer, book
from services.context import CommandLine, Services
from services.feeds import feed_url
from tests.web.conftest import NOW, PUBLIC_URL, SECRET_NAMES
from web.logs import redact

ENV = {"ROUNDTABLE_SECRET": "web test secret"}


def _path(services: Services, *, rotate: bool = False) -> str:
    url = feed_url(
        services.engine,
        "T0001",
        "alice",
        rotate=rotate,
        actor=CommandLine(),
        now=NOW,
        public_url=PUBLIC_URL,
        environ=ENV,
    )
    return url.removeprefix(PUBLIC_URL)


def test_the_feed_is_a_calendar_of_the_pages_bookings(
    client: Client, services: Services, personal_link: str
) -> None:
    start = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    request = BookingRequest("T0001", "demo", "intro", start, Customer(), link_token=personal_link)
    booking = book(services.engine, request, actor=CommandLine(), now=NOW)

    response = client.get(_path(services))

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["UID"]) == f"{booking.id}@roundtable"
    assert event.decoded("DTSTART") == start
    assert "Topic: Demo" in str(event["DESCRIPTION"])


def test_unknown_and_rotated_tokens_get_a_bare_404_naming_nothing(
    client: Client, services: Services
) -> None:
    old = _path(services)
    assert client.get(old).status_code == 200
    _path(services, rotate=True)
    for path in (old, "/cal/nope.ics", "/cal/" + "A" * 43 + ".ics"):
        response = client.get(path)
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert body == "Not found.\n"
        assert not any(name in body for name in SECRET_NAMES)


def test_feed_paths_are_kept_out_of_logs() -> None:
    assert redact("GET /cal/abcDEF_-123.ics HTTP/1.1") == "GET /cal/[feed] HTTP/1.1"
