"""Syncing ICS feeds served over HTTP into busy blocks, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import select

import services.calendar_sync as calendar_sync
from services import metrics
from services.calendar_read import Limits
from services.calendar_sync import sync_due, sync_now
from services.calendars import ICS, connect, disconnect, list_connections
from services.config import apply_config, export_config
from services.context import CommandLine
from storage.tables import BusyBlockRow, CalendarConnectionRow, OutboxRow
from storage.uow import UnitOfWork
from tests.calendars.conftest import ICS as FIXTURES
from tests.calendars.conftest import NOW, TEAM
from tests.calendars.servers import FeedServer

ADMIN = CommandLine()
EVERY = timedelta(minutes=5)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def blocks(engine: Engine, page_key: str | None = None) -> list[tuple[datetime, datetime]]:
    with UnitOfWork(engine) as uow:
        schedule = uow.schedules.load(
            TEAM, since=z("2026-12-01T00:00"), until=z("2027-01-31T00:00"), now=NOW
        )
    return sorted((b.start, b.end) for b in schedule.busy.get(page_key or "alice", ()))


def connect_feed(engine: Engine, url: str, pages: tuple[str, ...] = ("alice",)) -> str:
    return connect(engine, TEAM, pages, kind=ICS, url=url, actor=ADMIN, now=NOW).id


def test_a_feed_becomes_busy_blocks_beside_the_configured_ones(world, feeds: FeedServer) -> None:
    url = feeds.serve("/google/private-abc/basic.ics", (FIXTURES / "google.ics").read_bytes())
    calendar = connect_feed(world, url)

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert (result.id, result.busy, result.changed, result.error) == (calendar, 4, True, None)
    assert blocks(world) == [
        (z("2026-12-07T14:00"), z("2026-12-07T14:30")),
        (z("2026-12-07T16:00"), z("2026-12-07T17:00")),  # the configuration's own block
        (z("2026-12-08T17:00"), z("2026-12-08T18:00")),
        (z("2026-12-10T00:00"), z("2026-12-12T00:00")),
        (z("2026-12-22T15:00"), z("2026-12-22T15:30")),
    ]


def test_an_unchanged_feed_costs_one_304_and_is_not_parsed(world, feeds, monkeypatch) -> None:
    path = "/feed.ics"
    url = feeds.serve(path, (FIXTURES / "outlook.ics").read_bytes())
    calendar = connect_feed(world, url)
    sync_due(world, now=NOW, interval=EVERY)
    parsed: list[object] = []
    real = calendar_sync.occurrences
    monkeypatch.setattr(
        calendar_sync, "occurrences", lambda *a, **k: parsed.append(a) or real(*a, **k)
    )

    [again] = sync_due(world, now=NOW + EVERY, interval=EVERY)

    assert feeds.statuses(path) == [200, 304]
    assert parsed == []
    # 15 and 22 December and Christmas Eve: 1 December is before the window (a day back).
    assert (again.busy, again.changed, again.error) == (3, False, None)
    [listed] = list_connections(world, TEAM, actor=ADMIN)
    assert (listed.id, listed.last_success, listed.busy) == (calendar, NOW + EVERY, 3)


def test_a_connection_is_not_due_again_before_the_interval(world, feeds) -> None:
    connect_feed(world, feeds.serve("/f.ics", (FIXTURES / "outlook.ics").read_bytes()))
    sync_due(world, now=NOW, interval=EVERY)

    assert sync_due(world, now=NOW + EVERY - timedelta(seconds=1), interval=EVERY) == []
    assert feeds.statuses("/f.ics") == [200]


def test_a_changed_feed_replaces_the_blocks(world, feeds) -> None:
    url = feeds.serve("/f.ics", (FIXTURES / "outlook.ics").read_bytes())
    connect_feed(world, url)
    sync_due(world, now=NOW, interval=EVERY)
    assert (z("2026-12-15T13:00"), z("2026-12-15T14:00")) in blocks(world)
    feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes())

    [result] = sync_due(world, now=NOW + EVERY, interval=EVERY)

    assert (result.changed, result.busy) == (True, 4)
    assert (z("2026-12-08T17:00"), z("2026-12-08T18:00")) in blocks(world)
    assert (z("2026-12-15T13:00"), z("2026-12-15T14:00")) not in blocks(world)


def test_one_feed_serves_several_pages_each_in_its_own_zone(world, feeds) -> None:
    url = feeds.serve("/team.ics", (FIXTURES / "google.ics").read_bytes())
    connect_feed(world, url, ("alice", "bob"))

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.busy == 8
    assert (z("2026-12-10T00:00"), z("2026-12-12T00:00")) in blocks(world, "alice")
    assert (z("2026-12-10T05:00"), z("2026-12-12T05:00")) in blocks(world, "bob")


@pytest.mark.parametrize(
    ("feed", "limits", "error"),
    [
        ({"status": 500}, Limits(), "HTTP 500"),
        ({"status": 404}, Limits(), "HTTP 404"),
        ({"delay": 2.0}, Limits(timeout_seconds=0.5), "timed out"),
        ({}, Limits(max_bytes=1000), "larger than"),
        ({}, Limits(max_occurrences=3), "more than 3 events"),
    ],
)
def test_a_failing_feed_keeps_its_last_blocks_and_records_why(world, feeds, feed, limits, error):
    good = (FIXTURES / "google.ics").read_bytes()
    url = feeds.serve("/f.ics", good)
    calendar = connect_feed(world, url)
    sync_due(world, now=NOW, interval=EVERY)
    before = blocks(world)
    feeds.serve("/f.ics", good + b"\r\n", **feed)  # a new body: no 304 to hide behind

    [result] = sync_due(world, now=NOW + EVERY, interval=EVERY, limits=limits)

    assert result.error is not None
    assert error in result.error
    assert (result.busy, result.changed) == (4, False)
    assert blocks(world) == before
    [listed] = list_connections(world, TEAM, actor=ADMIN)
    assert (listed.id, listed.last_success, listed.last_error) == (calendar, NOW, result.error)
    assert url not in result.error
    assert "/f.ics" not in result.error


def test_an_unreachable_feed_is_an_error_not_a_crash(world) -> None:
    connect_feed(world, "http://127.0.0.1:9/nothing.ics")

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.error is not None
    assert "cannot be reached" in result.error
    assert result.busy == 0


def test_after_a_day_of_failing_the_pages_member_is_told_once(world, feeds) -> None:
    calendar = connect_feed(world, feeds.serve("/f.ics", b"", status=503))

    sync_due(world, now=NOW, interval=EVERY)
    sync_due(world, now=NOW + timedelta(hours=23), interval=EVERY)
    assert notices(world) == []
    sync_due(world, now=NOW + timedelta(days=1), interval=EVERY)
    sync_due(world, now=NOW + timedelta(days=1, hours=1), interval=EVERY)

    [notice] = notices(world)
    assert (notice.recipient, notice.payload["calendar"]) == ("U0ALICE", calendar)
    assert "HTTP 503" in notice.payload["error"]
    assert notice.payload["since"] == NOW.isoformat()


def test_a_success_in_between_starts_the_day_again(world, feeds) -> None:
    connect_feed(world, feeds.serve("/f.ics", b"", status=503))
    sync_due(world, now=NOW, interval=EVERY)
    feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes())
    sync_due(world, now=NOW + timedelta(hours=12), interval=EVERY)
    feeds.serve("/f.ics", b"", status=503)
    sync_due(world, now=NOW + timedelta(hours=13), interval=EVERY)

    sync_due(world, now=NOW + timedelta(days=1, hours=1), interval=EVERY)

    assert notices(world) == []


def test_a_rooms_failing_calendar_is_told_to_the_admins(world, feeds) -> None:
    connect_feed(world, feeds.serve("/room.ics", b"", status=500), ("room",))
    sync_due(world, now=NOW, interval=EVERY)

    sync_due(world, now=NOW + timedelta(days=2), interval=EVERY)

    assert [n.recipient for n in notices(world)] == ["U0ADMIN"]


def notices(engine: Engine) -> list[Notice]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.exec(select(OutboxRow).where(OutboxRow.kind == "calendar_failing"))
        return [Notice(row.recipient, row.payload) for row in rows]


@dataclass(frozen=True)
class Notice:
    recipient: str
    payload: dict[str, Any]


def test_config_apply_never_removes_synced_blocks_and_export_never_shows_them(
    world, feeds, config_file
) -> None:
    url = feeds.serve("/private-s3cret/basic.ics", (FIXTURES / "google.ics").read_bytes())
    connect_feed(world, url)
    sync_due(world, now=NOW, interval=EVERY)
    config_file.write_text(config_file.read_text().replace("2026-12-07T16:00", "2026-12-07T15:00"))

    apply_config(world, config_file)

    assert (z("2026-12-08T17:00"), z("2026-12-08T18:00")) in blocks(world)
    assert (z("2026-12-07T15:00"), z("2026-12-07T17:00")) in blocks(world)
    exported = export_config(world, TEAM)
    assert "s3cret" not in exported
    assert "127.0.0.1" not in exported
    assert yaml.safe_load(exported)["busy"] == [
        {"page": "alice", "start": "2026-12-07T15:00:00Z", "end": "2026-12-07T17:00:00Z"}
    ]


def test_disconnect_removes_the_connection_and_its_blocks(world, feeds) -> None:
    calendar = connect_feed(world, feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes()))
    sync_due(world, now=NOW, interval=EVERY)

    gone = disconnect(world, TEAM, calendar, actor=ADMIN)

    assert gone.busy == 4
    assert blocks(world) == [(z("2026-12-07T16:00"), z("2026-12-07T17:00"))]
    assert list_connections(world, TEAM, actor=ADMIN) == []


def test_the_stored_source_is_encrypted(world, feeds) -> None:
    url = feeds.serve("/private-s3cret/basic.ics", (FIXTURES / "google.ics").read_bytes())
    connect_feed(world, url)

    with UnitOfWork(world) as uow:
        row = uow.session.exec(select(CalendarConnectionRow)).one()
        secret, shown = row.secret, row.shown_url
    assert "s3cret" not in secret
    assert "s3cret" not in shown
    assert shown == "http://127.0.0.1:" + url.split(":")[2].split("/")[0] + "/…"


def test_sync_now_syncs_the_pages_calendars_whether_due_or_not(world, feeds) -> None:
    first = connect_feed(world, feeds.serve("/a.ics", (FIXTURES / "google.ics").read_bytes()))
    connect_feed(world, feeds.serve("/b.ics", (FIXTURES / "outlook.ics").read_bytes()), ("bob",))
    sync_due(world, now=NOW, interval=EVERY)

    results = sync_now(world, TEAM, page="alice", actor=ADMIN, now=NOW, interval=EVERY)

    assert [(r.id, r.changed, r.error) for r in results] == [(first, False, None)]
    assert feeds.statuses("/a.ics") == [200, 304]
    assert feeds.statuses("/b.ics") == [200]


def test_a_feed_whose_secret_cannot_be_opened_records_an_error(world, feeds, monkeypatch) -> None:
    connect_feed(world, feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes()))
    monkeypatch.setenv("ROUNDTABLE_SECRET", "another-secret")

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.error is not None
    assert "ROUNDTABLE_SECRET changed" in result.error
    with UnitOfWork(world) as uow:
        assert (
            uow.session.exec(select(BusyBlockRow).where(BusyBlockRow.source == "calendar")).all()
            == []
        )


def test_the_job_runs_on_a_real_background_scheduler(world, feeds) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    connect_feed(world, feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes()))
    scheduler = BackgroundScheduler(timezone=UTC)
    calendar_sync.start_calendar_sync(
        scheduler, world, interval=EVERY, clock=lambda: NOW, name="test"
    )
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while not feeds.statuses("/f.ics") and time.monotonic() < deadline:
            time.sleep(0.05)
        while len(blocks(world)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)

    assert feeds.statuses("/f.ics") == [200]
    assert len(blocks(world)) == 5  # four synced, one configured


@pytest.mark.parametrize(("value", "expected"), [(None, 5), ("", 5), ("1", 1), ("15", 15)])
def test_the_interval_comes_from_calendar_sync_minutes(value, expected) -> None:
    environ = {} if value is None else {"CALENDAR_SYNC_MINUTES": value}

    assert calendar_sync.sync_interval(environ) == timedelta(minutes=expected)


@pytest.mark.parametrize("value", ["0", "-5", "five", "2.5"])
def test_a_bad_calendar_sync_minutes_is_refused_naming_it(value) -> None:
    from engine.errors import BadInput

    with pytest.raises(BadInput) as refused:
        calendar_sync.sync_interval({"CALENDAR_SYNC_MINUTES": value})

    assert refused.value.field == "CALENDAR_SYNC_MINUTES"


def test_the_failing_notice_is_delivered_to_slack_by_the_dispatcher(world, feeds) -> None:
    from slack_sdk import WebClient

    from bot.dispatch import senders_of
    from services.delivery import drain
    from tests.fakes.slack_api import FakeSlackApi
    from tests.slack_checks import check_calls

    connect_feed(world, feeds.serve("/private-x/basic.ics", b"", status=503))
    sync_due(world, now=NOW, interval=EVERY)
    sync_due(world, now=NOW + timedelta(days=1), interval=EVERY)

    with FakeSlackApi() as slack:
        result = drain(
            world,
            senders_of(lambda team: WebClient(token="xoxb-t", base_url=slack.base_url)),
            clock=lambda: NOW + timedelta(days=1),
        )
        [post] = slack.calls_to("chat.postMessage")
        check_calls(slack.calls)

    assert result.sent == 1
    assert post.args["channel"] == "U0ALICE"
    assert "has not synced since" in post.args["text"]
    assert "HTTP 503" in post.args["text"]
    assert "private-x" not in str(post.args)


def test_a_new_etag_with_the_same_events_rewrites_nothing(world, feeds) -> None:
    body = (FIXTURES / "google.ics").read_bytes()
    connect_feed(world, feeds.serve("/f.ics", body))
    sync_due(world, now=NOW, interval=EVERY)
    with UnitOfWork(world) as uow:
        before = set(uow.session.exec(select(BusyBlockRow.id)).all())
    feeds.serve("/f.ics", body.replace(b"Lunch with Sam", b"Lunch with Sam (moved room)"))

    [result] = sync_due(world, now=NOW + EVERY, interval=EVERY)

    assert (result.busy, result.changed, result.error) == (4, False, None)
    assert feeds.statuses("/f.ics") == [200, 200]
    with UnitOfWork(world) as uow:
        assert set(uow.session.exec(select(BusyBlockRow.id)).all()) == before


def test_a_calendar_disconnected_while_it_is_read_is_left_alone(world, feeds, monkeypatch) -> None:
    calendar = connect_feed(world, feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes()))
    real = calendar_sync.occurrences

    def disconnect_meanwhile(*args, **kwargs):
        disconnect(world, TEAM, calendar, actor=ADMIN)
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_sync, "occurrences", disconnect_meanwhile)

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert (result.id, result.error) == (calendar, calendar_sync.DISCONNECTED)
    assert blocks(world) == [(z("2026-12-07T16:00"), z("2026-12-07T17:00"))]


def test_failed_reads_are_counted_and_failing_calendars_shown_in_the_metrics(world, feeds) -> None:
    def sample(name: str) -> float:
        text = metrics.exposition(world, lambda: NOW).decode()
        for family in text_string_to_metric_families(text):
            for found in family.samples:
                if found.name == name:
                    return float(found.value)
        raise AssertionError(f"{name} is not exposed")

    failures = sample("roundtable_calendar_sync_failures_total")
    assert sample("roundtable_calendars_failing") == 0
    connect_feed(world, feeds.serve("/f.ics", b"", status=500))

    sync_due(world, now=NOW, interval=EVERY)

    assert sample("roundtable_calendar_sync_failures_total") == failures + 1
    assert sample("roundtable_calendars_failing") == 1
    feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes())
    sync_due(world, now=NOW + EVERY, interval=EVERY)
    assert sample("roundtable_calendars_failing") == 0


@pytest.mark.parametrize(
    "address", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x.ics"]
)
def test_a_link_local_host_is_never_asked(world, address) -> None:
    connect_feed(world, address)

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.error is not None
    assert "link-local" in result.error


def test_a_redirect_to_a_link_local_host_is_not_followed(world, feeds) -> None:
    metadata = "http://169.254.169.254/latest/meta-data/"
    connect_feed(world, feeds.serve("/moved.ics", b"", status=302, location=metadata))

    [result] = sync_due(world, now=NOW, interval=EVERY)

    assert result.error is not None
    assert "link-local" in result.error
    assert feeds.statuses("/moved.ics") == [302]
