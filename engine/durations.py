"""Durations as written in configuration and the CLI: ``30m``, ``2h``, ``1d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = (
    ("w", timedelta(weeks=1)),
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("m", timedelta(minutes=1)),
)
_PATTERN = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``45m``, ``2h``, ``1h30m``, ``30d`` or ``0m``.

    Raises:
        ValueError: the text is not a duration of whole minutes in w/d/h/m units.
    """
    match = _PATTERN.fullmatch(text.strip())
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"'{text}' is not a duration like 30m, 2h, 1h30m or 1d")
    total = timedelta(0)
    for (_, unit), amount in zip(_UNITS, match.groups(), strict=True):
        if amount is not None:
            total += int(amount) * unit
    return total


def format_duration(value: timedelta) -> str:
    """Write a whole-minute duration in the shortest form ``parse_duration`` reads back."""
    minutes, rest = divmod(int(value.total_seconds()), 60)
    if rest or minutes < 0:
        raise ValueError(f"{value} is not a non-negative whole number of minutes")
    if minutes == 0:
        return "0m"
    parts = []
    for name, unit in _UNITS:
        unit_minutes = int(unit.total_seconds()) // 60
        amount, minutes = divmod(minutes, unit_minutes)
        if amount:
            parts.append(f"{amount}{name}")
    return "".join(parts)
