"""The bounds every number, duration, instant and text a user gives must keep.

Python's dates end in the year 9999 and its durations at a billion days, so a value far
out of any sensible range would overflow a later computation (a horizon added to now, a
time moved into a zone). Every surface checks what it is given against these bounds before
anything is stored or computed, and names the field it refuses:

| what | bound |
|---|---|
| instants (busy blocks, ``--now``, ``--start``, a chosen time) | 2000-01-01 to 2100-01-01 UTC |
| dates (``--from``/``--to``, overrides) | 2000-01-01 to 2099-12-31 |
| a meeting's duration, step, buffers and reminders | at most 1 week |
| minimum notice, the horizon ``max_days_ahead``, a link's expiry | at most 2 years (730 days) |
| capacity, ``max_per_day``, ``max_per_week`` | at most 10,000 |
| text typed by anyone (names, answers, reasons) | no control characters but tab and line breaks |
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
FIRST_DAY = EARLIEST.date()
LAST_DAY = (LATEST - timedelta(days=1)).date()
LONGEST_MEETING = timedelta(weeks=1)
MAX_DAYS_AHEAD = 730
LONGEST_WAIT = timedelta(days=MAX_DAYS_AHEAD)
MAX_COUNT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_instant(moment: datetime, *, written: str | None = None) -> datetime:
    """Return an aware ``moment`` in UTC if it lies from ``EARLIEST`` to ``LATEST``.

    Raises:
        ValueError: it does not (compared before any conversion, which could overflow);
            the message quotes ``written``, the text it was read from, when given.
    """
    if not EARLIEST <= moment <= LATEST:
        shown = moment.isoformat() if written is None else written
        raise ValueError(f"'{shown}' is not between the years 2000 and 2100")
    return moment.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 time (UTC when it has no offset) within the bounds, into UTC.

    Raises:
        ValueError: not an ISO 8601 time, or outside the years 2000 to 2100.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO 8601 time like 2026-12-01T09:00:00Z") from None
    return check_instant(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), written=text)


def check_day(day: date) -> date:
    """Return ``day`` if it lies from ``FIRST_DAY`` to ``LAST_DAY``.

    Raises:
        ValueError: it does not.
    """
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"'{day.isoformat()}' is not between the years 2000 and 2099")
    return day


def parse_day(text: str) -> date:
    """Parse an ISO date (``2026-12-08``) within the bounds.

    Raises:
        ValueError: not a date, or outside the years 2000 to 2099.
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date like 2026-12-08") from None
    return check_day(day)


def check_text(text: str) -> str:
    """Return ``text`` if it holds no control character but tab, line feed and return.

    NUL above all: PostgreSQL refuses it in text and SQLite would keep it, so it is refused
    here, the same way on both.

    Raises:
        ValueError: it holds one.
    """
    found = _CONTROL.search(text)
    if found is not None:
        raise ValueError(f"must not contain control characters such as U+{ord(found[0]):04X}")
    return text
