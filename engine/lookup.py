"""Look up configuration ids in a ``Schedule``'s mappings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from engine.errors import NotFound

T = TypeVar("T")


def find(items: Mapping[str, T], key: str, kind: str) -> T:
    """Return ``items[key]``.

    Raises:
        NotFound: ``key`` names no ``kind`` (the message and field say which).
    """
    try:
        return items[key]
    except KeyError:
        raise NotFound(f"unknown {kind} '{key}'", field=kind.replace(" ", "_")) from None
