"""Time zones and local wall-clock times.

The rules for local times that do not exist or exist twice (docs/behaviour.md, Time) are
exactly what PEP 495 gives a ``datetime`` with ``fold=0``: in a spring-forward gap the offset
before the transition applies, which moves the time forward by the gap; in a fall-back
overlap the first occurrence is meant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import BadInput
from engine.model import MINUTES_PER_DAY

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``.

    Raises:
        BadInput: no such time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BadInput(f"unknown time zone '{name}'", field="tz") from error


def local_to_utc(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Return the UTC instant of local ``day`` at ``minute`` past midnight (1440 = next day)."""
    days, minute = divmod(minute, MINUTES_PER_DAY)
    day += timedelta(days=days)
    hour, minute = divmod(minute, 60)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def align_up(moment: datetime, tz: ZoneInfo, unit: timedelta) -> datetime:
    """Round ``moment`` up to the next multiple of ``unit`` in ``tz`` wall-clock time, in UTC."""
    offset = moment.astimezone(tz).utcoffset() or timedelta(0)
    late = (moment + offset - _EPOCH) % unit
    return (moment + (unit - late if late else timedelta(0))).astimezone(UTC)


def zulu(moment: datetime) -> str:
    """Write an instant in UTC with ``Z`` (``2026-12-08T14:00:00Z``), as answers and forms do."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
