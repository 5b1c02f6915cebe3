"""Bookings written to a real CalDAV server (Radicale on 127.0.0.1) through the outbox.

Read back with the same ``caldav`` client the app uses, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from caldav.davclient import DAVClient
from icalendar import Calendar
from sqlalchemy import Engine, text

from services.booking import BookingRequest, Customer, book
from services.booking_changes import cancel, reschedule
from services.booking_reassign import reassign
from services.calendar_sync import sync_now
from services.calendar_writes import MAX_ATTEMPTS, deliver_calendar_writes
from services.calendars import CALDAV, connect, disconnect
from services.context import CommandLine
from services.notifications import failed_notifications
from tests.calendars.conftest import NOW, TEAM
from tests.calendars.servers import Radicale

ADMIN = CommandLine()
START = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Alice 14:00 London, Bob 09:00 New York
ENV = {"ROUNDTABLE_SECRET": "calendar-test-secret"}


def _collection(radicale: Radicale, name: str) -> str:
    """Make a calendar collection for Radicale's user; return its URL."""
    with DAVClient(
        url=radicale.url, username=radicale.username, password=radicale.password
    ) as client:
        calendar = client.principal().make_calendar(name=name, cal_id=name)
        return str(calendar.url)


def _events(radicale: Radicale, url: str) -> list[Any]:
    """Return the VEVENTs stored in a collection, read with the caldav client."""
    with DAVClient(url=url, username=radicale.username, password=radicale.password) as client:
        objects = client.calendar(url=url).events()
        return [
            event for item in objects for event in Calendar.from_ical(str(item.data)).walk("VEVENT")
        ]


def _connect(
    world: Engine, radicale: Radicale, page: str, *, write: bool = True, password: str | None = None
) -> str:
    url = _collection(radicale, f"{page}-work")
    connect(
        world,
        TEAM,
        [page],
        kind=CALDAV,
        url=url,
        username=radicale.username,
        password=password or radicale.password,
        write=write,
        actor=ADMIN,
        now=NOW,
    )
    return url


def _book(world: Engine, **more: Any) -> str:
    request = BookingRequest(
        TEAM,
        "meet-alice",
        "meet",
        START,
        Customer(name="Gina Guest", email="gina@example.com"),
        **more,
    )
    return book(world, request, actor=ADMIN, now=NOW).id


def _deliver(world: Engine, now: datetime = NOW) -> Any:
    return deliver_calendar_writes(world, now=now, environ=ENV)


def _rows(world: Engine) -> list[tuple[str, int]]:
    with world.connect() as connection:
        return [
            (status, attempts)
            for status, attempts in connection.execute(
                text("SELECT status, attempts FROM outbox WHERE channel = 'caldav' ORDER BY due_at")
            )
        ]


def test_a_booking_appears_in_the_pages_calendar_and_cancelling_removes_it(
    world: Engine, radicale: Radicale
) -> None:
    url = _connect(world, radicale, "alice")
    booking = _book(world)

    assert _deliver(world).written == 1
    [event] = _events(radicale, url)
    assert str(event["UID"]) == f"{booking}@roundtable"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(hours=1)
    assert str(event["SUMMARY"]) == "Meeting with Gina Guest"
    assert "Customer: Gina Guest <gina@example.com>" in str(event["DESCRIPTION"])
    assert str(event["ATTENDEE"]) == "mailto:gina@example.com"

    cancel(world, TEAM, booking, actor=ADMIN, now=NOW)
    assert _deliver(world).removed == 1
    assert _events(radicale, url) == []
    assert [status for status, _ in _rows(world)] == ["sent", "sent"]


def test_reassigning_moves_the_event_to_the_new_pages_calendar(
    world: Engine, radicale: Radicale
) -> None:
    alice = _connect(world, radicale, "alice")
    bob = _connect(world, radicale, "bob")
    booking = _book(world)
    _deliver(world)

    reassign(world, TEAM, booking, to_page="bob", actor=ADMIN, now=NOW)
    result = _deliver(world)

    assert (result.written, result.removed) == (1, 1)
    assert _events(radicale, alice) == []
    [event] = _events(radicale, bob)
    assert str(event["UID"]) == f"{booking}@roundtable"
    assert "With: Bob" in str(event["DESCRIPTION"])


def test_rescheduling_moves_the_same_event_to_the_new_time(
    world: Engine, radicale: Radicale
) -> None:
    url = _connect(world, radicale, "alice")
    booking = _book(world)
    _deliver(world)
    later = START + timedelta(days=1)

    reschedule(world, TEAM, booking, start=later, tz="UTC", actor=ADMIN, now=NOW)

    assert _deliver(world).written == 1
    [event] = _events(radicale, url)
    assert str(event["UID"]) == f"{booking}@roundtable"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (later, later + timedelta(hours=1))


def test_a_write_delivered_again_never_duplicates_the_event(
    world: Engine, radicale: Radicale
) -> None:
    url = _connect(world, radicale, "alice")
    _book(world)
    _deliver(world)
    # The writer died after its PUT, before recording it: the lease runs out, it is redone.
    with world.begin() as connection:
        connection.execute(text("UPDATE outbox SET status = 'pending' WHERE channel = 'caldav'"))
    assert _deliver(world, NOW + timedelta(minutes=1)).written == 1

    assert len(_events(radicale, url)) == 1


def test_changes_waiting_for_delivery_queue_one_write_per_calendar(
    world: Engine, radicale: Radicale
) -> None:
    url = _connect(world, radicale, "alice")
    booking = _book(world)
    cancel(world, TEAM, booking, actor=ADMIN, now=NOW)

    assert _rows(world) == [("pending", 0)]
    assert _deliver(world).removed == 1  # the booking as it is now: cancelled
    assert _events(radicale, url) == []


def test_only_writable_caldav_calendars_of_the_bookings_pages_are_written(
    world: Engine, radicale: Radicale
) -> None:
    _connect(world, radicale, "alice", write=False)
    _connect(world, radicale, "bob")
    _book(world)

    assert _rows(world) == []


def test_a_failing_calendar_is_retried_with_back_off_then_given_up(
    world: Engine, radicale: Radicale
) -> None:
    url = _connect(world, radicale, "alice", password="wrong")
    _book(world)

    first = _deliver(world)
    assert first.retried == 1
    with world.connect() as connection:
        due, error = connection.execute(
            text("SELECT due_at, last_error FROM outbox WHERE channel = 'caldav'")
        ).one()
    due = due if isinstance(due, datetime) else datetime.fromisoformat(due)
    assert due.replace(tzinfo=UTC) > NOW + timedelta(seconds=20)
    assert error == "the CalDAV server refused the username or password"
    assert "wrong" not in error
    assert url not in error

    later = NOW
    for _ in range(MAX_ATTEMPTS - 1):
        later += timedelta(hours=2)
        _deliver(world, later)
    assert _rows(world) == [("failed", MAX_ATTEMPTS)]
    assert _events(radicale, url) == []
    [shown] = failed_notifications(world, TEAM)  # the admins' App Home lists it
    assert (shown.kind, shown.recipient) == ("calendar_write", url)


def test_a_disconnected_calendar_skips_its_writes(world: Engine, radicale: Radicale) -> None:
    _connect(world, radicale, "alice")
    _book(world)
    [connection] = _connection_ids(world)
    disconnect(world, TEAM, connection, actor=ADMIN)

    assert _deliver(world).skipped == 1
    assert _rows(world) == [("skipped", 1)]


def test_written_events_are_never_read_back_as_busy(world: Engine, radicale: Radicale) -> None:
    _connect(world, radicale, "alice")
    _book(world)
    _deliver(world)

    [synced] = sync_now(world, TEAM, actor=ADMIN, now=NOW, interval=timedelta(minutes=5))

    assert synced.error is None
    assert synced.busy == 0


def _connection_ids(world: Engine) -> list[str]:
    from services.calendars import list_connections

    return [c.id for c in list_connections(world, TEAM, actor=ADMIN)]


@pytest.fixture(autouse=True)
def _secret(secret: str) -> None:
    """Every test here seals and opens CalDAV credentials with the app's secret."""


def test_two_writers_at_once_deliver_each_write_once(world: Engine, radicale: Radicale) -> None:
    import threading

    url = _connect(world, radicale, "alice")
    bookings = [
        book(
            world,
            BookingRequest(
                TEAM, "meet-alice", "meet", START + timedelta(days=day), Customer(slack_user="U0C")
            ),
            actor=ADMIN,
            now=NOW,
        ).id
        for day in range(4)
    ]
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def writer() -> None:
        barrier.wait()
        results.append(_deliver(world))

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.written for r in results) == len(bookings)
    assert _rows(world) == [("sent", 1)] * len(bookings)
    assert sorted(str(e["UID"]) for e in _events(radicale, url)) == sorted(
        f"{b}@roundtable" for b in bookings
    )
