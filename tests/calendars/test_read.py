"""Real-world iCalendar exports read into busy time; every expected instant worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.calendar_read import Limits, ReadFailed, busy_intervals, occurrences, parse

ICS = Path(__file__).parent / "ics"
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def busy(name: str, window: tuple[str, str], zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    calendars = parse((ICS / name).read_bytes())
    spans = occurrences(calendars, (z(window[0]), z(window[1])), Limits())
    return [(i.start, i.end) for i in busy_intervals(spans, zone)]


def test_a_google_export_reads_floating_times_in_its_x_wr_timezone() -> None:
    # Standup: Mondays 09:00-09:30 New York (EST, UTC-5), three times from 7 December; the
    # 14th is excluded and the 21st moved to Tuesday 22nd 10:00. Lunch is in UTC. The offsite
    # is all-day on 10-11 December, in the page's zone (London, UTC+0 in December). The
    # transparent focus time, the event Roundtable wrote and November's event are left out.
    assert busy("google.ics", ("2026-12-05T00:00", "2026-12-31T00:00"), LONDON) == [
        (z("2026-12-07T14:00"), z("2026-12-07T14:30")),
        (z("2026-12-08T17:00"), z("2026-12-08T18:00")),
        (z("2026-12-10T00:00"), z("2026-12-12T00:00")),
        (z("2026-12-22T15:00"), z("2026-12-22T15:30")),
    ]


def test_all_day_events_block_the_local_dates_of_the_pages_zone() -> None:
    # The same offsite for a New York page: midnight EST is 05:00 UTC.
    found = busy("google.ics", ("2026-12-05T00:00", "2026-12-31T00:00"), NEW_YORK)

    assert (z("2026-12-10T05:00"), z("2026-12-12T05:00")) in found
    # Floating times follow X-WR-TIMEZONE, not the page: still 14:00 UTC.
    assert (z("2026-12-07T14:00"), z("2026-12-07T14:30")) in found


def test_an_outlook_export_with_a_windows_zone_an_exdate_a_moved_and_a_cancelled_meeting() -> None:
    # Weekly sync Tuesdays 10:00-11:00 W. Europe (CET, UTC+1) until the 22nd: 1, 8 (excluded),
    # 15 (moved to 14:00-15:00), 22. The cancelled review and the free webinar block nothing;
    # Christmas Eve is all-day in the page's zone (London).
    assert busy("outlook.ics", ("2026-11-30T00:00", "2026-12-31T00:00"), LONDON) == [
        (z("2026-12-01T09:00"), z("2026-12-01T10:00")),
        (z("2026-12-15T13:00"), z("2026-12-15T14:00")),
        (z("2026-12-22T09:00"), z("2026-12-22T10:00")),
        (z("2026-12-24T00:00"), z("2026-12-25T00:00")),
    ]


def test_a_thunderbird_export_across_the_spring_clock_change() -> None:
    # Berlin goes from CET (UTC+1) to CEST (UTC+2) at 02:00 on Sunday 28 March 2027. The daily
    # 09:00 review is 08:00 UTC on the 26th and 27th and 07:00 UTC from the 28th; its RDATE
    # adds 1 April. The night job 01:30-03:30 local lasts one real hour: 00:30-01:30 UTC.
    # The day off (31 March) is in the New York page's zone (EDT, UTC-4 by then).
    assert busy("thunderbird.ics", ("2027-03-25T00:00", "2027-04-05T00:00"), NEW_YORK) == [
        (z("2027-03-26T08:00"), z("2027-03-26T08:30")),
        (z("2027-03-27T08:00"), z("2027-03-27T08:30")),
        (z("2027-03-28T00:30"), z("2027-03-28T01:30")),
        (z("2027-03-28T07:00"), z("2027-03-28T07:30")),
        (z("2027-03-29T07:00"), z("2027-03-29T07:30")),
        (z("2027-03-30T07:00"), z("2027-03-30T07:30")),
        (z("2027-03-31T04:00"), z("2027-04-01T04:00")),
        (z("2027-04-01T07:00"), z("2027-04-01T07:30")),
    ]


def test_the_window_keeps_only_what_overlaps_it() -> None:
    found = busy("thunderbird.ics", ("2027-03-29T00:00", "2027-03-30T00:00"), NEW_YORK)

    assert found == [(z("2027-03-29T07:00"), z("2027-03-29T07:30"))]


def test_a_runaway_rule_is_refused_after_the_cap_without_expanding_the_window() -> None:
    every_minute = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:m\r\n"
        "DTSTART:20261207T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    window = (z("2026-12-07T00:00"), z("2027-03-07T00:00"))

    with pytest.raises(ReadFailed, match="more than 1,000 events"):
        occurrences(parse(every_minute.encode()), window, Limits(max_occurrences=1000))


@pytest.mark.parametrize("data", [b"", b"<html>Sign in</html>", b"BEGIN:VCALENDAR\r\nBEGIN:"])
def test_what_is_not_icalendar_is_refused(data: bytes) -> None:
    with pytest.raises(ReadFailed, match="not an iCalendar file"):
        parse(data)
