"""What every command receives: the global options and the database they name.

A command module takes it with ``@pass_runtime`` and answers through ``Runtime.emit``, so
``--json`` works the same everywhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import click
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from engine.bounds import MAX_COUNT, parse_day, parse_instant
from engine.errors import BadInput, RoundtableError
from engine.zones import zone
from services import slack_ids
from services.config import choose_workspace
from services.context import Actor, CommandLine, SlackUser
from storage.db import SchemaTooNew, database_url, open_database, url_problem


def day_text(day: date) -> str:
    """A day as the command line writes it for people: ``Tue 2026-12-08``."""
    return f"{day:%a %Y-%m-%d}"


def span_text(start: datetime, end: datetime, tz: tzinfo) -> str:
    """A meeting's time in ``tz`` for people: ``Tue 2026-12-08 14:00–14:30``."""
    begin = start.astimezone(tz)
    return f"{day_text(begin.date())} {begin:%H:%M}–{end.astimezone(tz):%H:%M}"


def instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Parse an ISO 8601 time option into UTC (a time without an offset is UTC), within the
    bounds of ``engine.bounds``."""
    parsed = wall_clock(ctx, param, value)
    return None if parsed is None else in_zone(parsed, None)


def wall_clock(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Parse an ISO 8601 time option within the bounds, keeping a time without an offset as
    such (naive): ``in_zone`` places it."""
    if value is None:
        return None
    try:
        parse_instant(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None
    return datetime.fromisoformat(value)


def in_zone(moment: datetime, tz: str | None) -> datetime:
    """Return ``moment`` in UTC; one without an offset is a local time in ``tz`` (else UTC).

    A local time that does not exist moves forward by the gap and a repeated one means its
    first occurrence (Python's ``fold=0``), as everywhere in Roundtable.

    Raises:
        BadInput: ``tz`` is unknown.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC if tz is None else zone(tz))
    return moment.astimezone(UTC)


def day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Parse an ISO date option (``2026-12-08``)."""
    if value is None:
        return None
    try:
        return parse_day(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


def _slack_id(
    shape: slack_ids.IdShape,
) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback refusing a value that is not this kind of Slack id (exit 2)."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return shape.check(value)
        except ValueError as error:
            raise click.BadParameter(str(error), ctx, param) from None

    return check


attendees_option = click.option(
    "--attendees",
    metavar="N",
    type=click.IntRange(min=1, max=MAX_COUNT),
    default=1,
    show_default=True,
    help="How many people attend; rooms that seat fewer are left out.",
)
"""``--attendees`` of ``slots`` and ``book``."""


def served_at() -> str:
    """The base of the guest pages' URLs: env ``PUBLIC_URL``, else ``http://localhost:PORT``
    (the port ``serve`` uses).

    Raises:
        BadInput: ``PUBLIC_URL`` or ``PORT`` is malformed (naming the variable).
    """
    from bot.settings import SettingsError, public_url

    try:
        return public_url(os.environ)
    except SettingsError as error:
        raise BadInput(error.problem, field=error.variable) from None


def acting(by: str | None) -> Actor:
    """Return who acts: the Slack user of ``--by``, else the command line (an admin)."""
    return CommandLine() if by is None else SlackUser(by)


slack_user = _slack_id(slack_ids.USER)
"""Check a Slack user id option (``--by``, ``--customer-slack``) as configuration files do."""
slack_team = _slack_id(slack_ids.TEAM)
"""Check a Slack team id option (``--workspace``) as configuration files do."""


@dataclass(slots=True)
class Runtime:
    """The global options of one ``roundtable`` run; the database opens on first use."""

    db_url: str
    now: datetime
    as_json: bool
    requested_workspace: str | None
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def of(cls, db: str | None, *, now: datetime, as_json: bool, workspace: str | None) -> Runtime:
        """Make the run of the global options: ``--db`` else env ``DATABASE_URL``, else SQLite."""
        return cls(db_url=database_url(db), now=now, as_json=as_json, requested_workspace=workspace)

    def engine(self) -> Engine:
        """Open the database (upgrading a fresh one) unless this run already has.

        Raises:
            BadInput: ``--db`` is not a database URL Roundtable can use.
            RoundtableError: the database cannot be reached or its schema is too new.
        """
        if self._engine is None:
            problem = url_problem(self.db_url)
            if problem is not None:
                raise BadInput(problem, field="--db")
            try:
                self._engine = open_database(self.db_url)
            except ArgumentError as exc:
                message = f"'{self.db_url}' is not a usable database URL: {exc}"
                raise BadInput(message, field="--db") from exc
            except OperationalError as exc:
                message = f"cannot open the database {self.safe_db_url}: {exc.orig}"
                raise RoundtableError(message) from exc
            except SchemaTooNew as exc:
                raise RoundtableError(str(exc)) from exc
        return self._engine

    @property
    def safe_db_url(self) -> str:
        """The database URL without its password, for messages."""
        return make_url(self.db_url).render_as_string(hide_password=True)

    def workspace(self) -> str:
        """Return the workspace to act on: ``--workspace``, else the only one stored."""
        return choose_workspace(self.engine(), self.requested_workspace)

    def emit(self, data: Mapping[str, Any], text: str) -> None:
        """Print a command's answer: ``data`` as JSON with ``--json``, else ``text``."""
        click.echo(json.dumps(data, indent=2, ensure_ascii=False) if self.as_json else text)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


pass_runtime = click.make_pass_decorator(Runtime)
