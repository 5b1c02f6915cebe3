"""How the bulk reads take ids and instants from the database at hand, parsing little.

Parsing tens of thousands of UUIDs to print them again was a sixth of a booking's time,
and SQLAlchemy's two Python-level processors per instant as much again (``Reading``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Text, cast, func, type_coerce
from sqlalchemy.orm import Mapped


@dataclass(frozen=True, slots=True)
class Reading:
    """How the bulk reads take ids and instants from the database at hand, parsing little.

    SQLite stores a UUID as 32 hex digits and an instant as UTC text without an offset:
    both are read as text, an id is looked up as those digits (``keys``) or dashed in SQL
    (``text_id``), and an instant gets its ``+00:00`` in SQL and one ``fromisoformat`` in
    Python (``parse``), instead of SQLAlchemy's two Python-level result processors. psycopg
    returns PostgreSQL's native UUIDs as ``uuid.UUID`` and instants as aware datetimes.
    """

    postgres: bool

    def raw_id(
        self, column: Mapped[uuid.UUID] | Mapped[uuid.UUID | None] | ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """A UUID column as the driver returns it, to look up in ``keys``."""
        return type_coerce(column, String)

    def keys(self, pks: Mapping[str, uuid.UUID]) -> dict[object, str]:
        """Map what ``raw_id`` returns for each primary key in ``pks`` to its key."""
        return {self.raw(pk): key for key, pk in pks.items()}

    def raw(self, pk: uuid.UUID) -> object:
        """What ``raw_id`` returns for the primary key ``pk``."""
        return pk if self.postgres else pk.hex

    def text_id(self, column: Mapped[uuid.UUID] | Mapped[uuid.UUID | None]) -> ColumnElement[str]:
        """A UUID column as its canonical text (``str(uuid.UUID)``), parsed by nobody."""
        if self.postgres:
            return cast(column, Text)
        digits = type_coerce(column, String)
        parts = [func.substr(digits, start, length) for start, length in _UUID_GROUPS]
        dashed: ColumnElement[str] = parts[0]
        for part in parts[1:]:
            dashed = dashed.concat("-").concat(part)
        return dashed

    def instant(
        self, column: Mapped[datetime] | ColumnElement[datetime]
    ) -> ColumnElement[Any] | Mapped[datetime]:
        """An instant column, to be turned into an aware UTC datetime by ``parse``."""
        if self.postgres:
            return column
        return type_coerce(column, String).concat("+00:00")

    @property
    def parse(self) -> Callable[[Any], datetime]:
        return _same if self.postgres else datetime.fromisoformat


def _same(value: datetime) -> datetime:
    return value


# Where each dash-separated group of a UUID's 32 hex digits starts (1-based) and its length.
_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
