"""CalDAV calendars on a real Radicale server (htpasswd users), read through the caldav client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caldav.davclient import DAVClient

from services.calendar_sync import sync_due, sync_now
from services.calendars import CALDAV, connect
from services.context import CommandLine
from storage.uow import UnitOfWork
from tests.calendars.conftest import NOW, TEAM
from tests.calendars.servers import Radicale

EVERY = timedelta(minutes=5)
ADMIN = CommandLine()


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(uid: str, start: str, end: str, *extra: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Roundtable tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261201T000000Z",
        f"DTSTART:{start}",
        f"DTEND:{end}",
        *extra,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def make_calendar(server: Radicale, name: str = "work") -> tuple[str, object]:
    client = DAVClient(url=server.url, username=server.username, password=server.password)
    calendar = client.principal().make_calendar(name=name)
    return str(calendar.url), calendar


def blocks(engine) -> list[tuple[datetime, datetime]]:
    with UnitOfWork(engine) as uow:
        schedule = uow.schedules.load(
            TEAM, since=z("2026-12-01T00:00"), until=z("2027-01-31T00:00"), now=NOW
        )
    return sorted((b.start, b.end) for b in schedule.busy.get("alice", ()))


def connect_caldav(engine, url: str, password: str = "wonderland") -> str:
    return connect(
        engine,
        TEAM,
        ["alice"],
        kind=CALDAV,
        url=url,
        username="alice",
        password=password,
        actor=ADMIN,
        now=NOW,
    ).id


def test_a_caldav_calendar_is_read_with_its_recurrences_and_skips(world, radicale) -> None:
    url, calendar = make_calendar(radicale)
    calendar.save_event(
        event("weekly", "20261207T100000Z", "20261207T110000Z", "RRULE:FREQ=WEEKLY;COUNT=2")
    )
    calendar.save_event(event("free", "20261208T100000Z", "20261208T110000Z", "TRANSP:TRANSPARENT"))
    calendar.save_event(event("b1@roundtable", "20261209T100000Z", "20261209T110000Z"))
    calendar.save_event(event("far", "20270601T100000Z", "20270601T110000Z"))
    connect_caldav(world, url)

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert (result.busy, result.changed, result.error) == (2, True, None)
    assert blocks(world) == [
        (z("2026-12-07T10:00"), z("2026-12-07T11:00")),
        (z("2026-12-07T16:00"), z("2026-12-07T17:00")),  # configured
        (z("2026-12-14T10:00"), z("2026-12-14T11:00")),
    ]


def test_an_unchanged_collection_is_not_read_again_and_a_change_is(world, radicale, monkeypatch):
    import services.calendar_sync as calendar_sync

    url, calendar = make_calendar(radicale)
    calendar.save_event(event("one", "20261207T100000Z", "20261207T110000Z"))
    connect_caldav(world, url)
    sync_due(world, now=NOW, interval=EVERY)
    parsed: list[object] = []
    real = calendar_sync.occurrences
    monkeypatch.setattr(
        calendar_sync, "occurrences", lambda *a, **k: parsed.append(a) or real(*a, **k)
    )

    [same] = sync_now(world, TEAM, actor=ADMIN, now=NOW + EVERY, interval=EVERY)
    assert (same.busy, same.changed, same.error, parsed) == (1, False, None, [])

    calendar.save_event(event("two", "20261208T100000Z", "20261208T110000Z"))
    [moved] = sync_now(world, TEAM, actor=ADMIN, now=NOW + 2 * EVERY, interval=EVERY)

    assert (moved.busy, moved.changed, moved.error, len(parsed)) == (2, True, None, 1)


def test_a_wrong_password_is_recorded_and_keeps_the_blocks(world, radicale) -> None:
    url, calendar = make_calendar(radicale)
    calendar.save_event(event("one", "20261207T100000Z", "20261207T110000Z"))
    connect_caldav(world, url, password="not-the-password")

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.error == "the CalDAV server refused the username or password"
    assert "not-the-password" not in result.error


def test_another_users_calendar_is_refused(world, radicale) -> None:
    client = DAVClient(url=radicale.url, username="bob", password="builder")
    url = str(client.principal().make_calendar(name="bobs").url)
    connect_caldav(world, url)

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.error == "the CalDAV server refused the username or password"
    assert result.busy == 0


def test_a_collection_that_does_not_exist_is_an_error(world, radicale) -> None:
    connect_caldav(world, radicale.url + "/alice/nothing-here/")

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.error == "the CalDAV server has no calendar at that address"
    assert (result.busy, result.changed) == (0, False)
