"""Durations as written in configuration and the CLI: ``30m``, ``2h``, ``1d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.bounds import LONGEST_WAIT

_UNITS = (
    ("w", timedelta(weeks=1)),
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("m", timedelta(minutes=1)),
)
_PATTERN = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def parse_duration(text: str, *, longest: timedelta = LONGEST_WAIT) -> timedelta:
    """Parse a duration such as ``45m``, ``2h``, ``1h30m``, ``30d`` or ``0m``, up to ``longest``.

    Raises:
        ValueError: the text is not a duration of whole minutes in w/d/h/m units, or it is
            longer than ``longest``.
    """
    match = _PATTERN.fullmatch(text.strip())
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"'{text}' is not a duration like 30m, 2h, 1h30m or 1d")
    minutes = sum(  # whole numbers first: a huge amount cannot overflow a timedelta
        int(amount) * _minutes(unit)
        for (_, unit), amount in zip(_UNITS, match.groups(), strict=True)
        if amount is not None
    )
    if minutes > _minutes(longest):
        most = f"{longest.days} days" if longest == timedelta(longest.days) else longest
        raise ValueError(f"'{text.strip()}' is longer than the most allowed, {most}")
    return timedelta(minutes=minutes)


def _minutes(length: timedelta) -> int:
    return int(length.total_seconds()) // 60


def format_duration(value: timedelta) -> str:
    """Write a whole-minute duration in the shortest form ``parse_duration`` reads back."""
    minutes, rest = divmod(int(value.total_seconds()), 60)
    if rest or minutes < 0:
        raise ValueError(f"{value} is not a non-negative whole number of minutes")
    if minutes == 0:
        return "0m"
    parts = []
    for name, unit in _UNITS:
        amount, minutes = divmod(minutes, _minutes(unit))
        if amount:
            parts.append(f"{amount}{name}")
    return "".join(parts)


def length_text(value: timedelta) -> str:
    """Write a meeting's length for people: ``45 min``, ``2 h``, ``1 h 30 min``."""
    hours, minutes = divmod(_minutes(value), 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes or not hours else [])
    return " ".join(parts)
