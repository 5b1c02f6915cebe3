"""``roundtable calendar connect|list|sync|disconnect``: the calendars of booking pages.

Secrets never go on the command line: a CalDAV password is read from standard input
(``--password-stdin``), and no answer prints a source's URL beyond what ``shown_url`` keeps.
The services are imported inside the commands: their calendar libraries (icalendar,
recurring-ical-events, cryptography) would slow down every other command's start.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from cli.booking import BY_HELP
from cli.runtime import Runtime, acting, pass_runtime, slack_user
from engine.errors import BadInput
from engine.records import CalendarConnection
from engine.zones import zulu

EXIT_ALL_FAILED = 1


@contextmanager
def _options(names: dict[str, str]) -> Iterator[None]:
    """Name the command's option in a bad input the service named by its field."""
    try:
        yield
    except BadInput as error:
        if error.field in names:
            error.field = names[error.field]
        raise


def _connection_data(connection: CalendarConnection) -> dict[str, Any]:
    return {
        "id": connection.id,
        "kind": connection.kind,
        "pages": list(connection.pages),
        "write": connection.write,
    }


def _when(moment: Any) -> str | None:
    return None if moment is None else zulu(moment)


@click.group("calendar")
def group() -> None:
    """Calendars of booking pages: connect, list, sync, disconnect."""


@group.command("connect")
@click.option(
    "--page",
    "pages",
    metavar="P",
    multiple=True,
    required=True,
    help="A booking page the calendar serves (repeatable).",
)
@click.option("--ics", metavar="URL", help="The address of an iCalendar feed (read only).")
@click.option("--caldav", metavar="URL", help="The address of a CalDAV calendar collection.")
@click.option("--username", metavar="U", help="The CalDAV username.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the CalDAV password from standard input."
)
@click.option("--write", is_flag=True, help="Also write bookings to this CalDAV calendar.")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def connect_command(
    runtime: Runtime,
    pages: tuple[str, ...],
    ics: str | None,
    caldav: str | None,
    username: str | None,
    password_stdin: bool,
    write: bool,
    by: str | None,
) -> None:
    """Connect a calendar whose events make the pages busy."""
    from services.calendars import CALDAV, ICS, connect

    if (ics is None) == (caldav is None):
        raise BadInput("give exactly one of --ics URL and --caldav URL", field="--ics")
    if ics is not None and password_stdin:
        raise BadInput("an ICS feed takes no password", field="--password-stdin")
    if caldav is not None and not password_stdin:
        raise BadInput(
            "a CalDAV calendar needs its password on standard input", field="--password-stdin"
        )
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    kind = ICS if ics is not None else CALDAV
    names = {
        "url": "--ics" if kind == ICS else "--caldav",
        "page": "--page",
        "username": "--username",
        "password": "--password-stdin",
        "write": "--write",
    }
    with _options(names):
        connection = connect(
            runtime.engine(),
            runtime.workspace(),
            pages,
            kind=kind,
            url=ics if ics is not None else caldav or "",
            username=username,
            password=password,
            write=write,
            actor=acting(by),
            now=runtime.now,
        )
    runtime.emit(
        {"calendar": _connection_data(connection)},
        f"Connected calendar {connection.id} ({connection.kind}, {connection.shown_url}) "
        f"to {', '.join(connection.pages)}; it is read at the next sync.",
    )


@group.command("list")
@click.option("--page", metavar="P", help="Only the calendars of this booking page.")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def list_command(runtime: Runtime, page: str | None, by: str | None) -> None:
    """List connected calendars and how their last sync went (no secrets)."""
    from services.calendars import list_connections

    with _options({"page": "--page"}):
        found = list_connections(runtime.engine(), runtime.workspace(), page=page, actor=acting(by))
    data = [
        {
            **_connection_data(c),
            "busy": c.busy,
            "last_success": _when(c.last_success),
            "last_error": c.last_error,
        }
        for c in found
    ]
    lines = [
        f"{c.id}  {c.kind}  {c.shown_url}  pages {', '.join(c.pages) or '-'}"
        f"{'  write' if c.write else ''}\n"
        f"    {c.busy} busy blocks, last success {_when(c.last_success) or 'never'}"
        + (f", last error: {c.last_error}" if c.last_error else "")
        for c in found
    ]
    runtime.emit({"calendars": data}, "\n".join(lines) or "No calendars connected.")


@group.command("sync")
@click.option("--page", metavar="P", help="Only the calendars of this booking page.")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def sync_command(runtime: Runtime, page: str | None, by: str | None) -> None:
    """Read connected calendars now (exit 1 only when every one of them failed)."""
    from services.calendar_sync import SYNC_MINUTES_VARIABLE, sync_interval, sync_now

    with _options({"page": "--page", SYNC_MINUTES_VARIABLE: SYNC_MINUTES_VARIABLE}):
        results = sync_now(
            runtime.engine(),
            runtime.workspace(),
            page=page,
            actor=acting(by),
            now=runtime.now,
            interval=sync_interval(),
        )
    data = [{"id": r.id, "busy": r.busy, "changed": r.changed, "error": r.error} for r in results]
    lines = [
        f"{r.id}  {r.busy} busy blocks"
        + (f", failed: {r.error}" if r.error else (", changed" if r.changed else ", unchanged"))
        for r in results
    ]
    runtime.emit({"synced": data}, "\n".join(lines) or "No calendars to sync.")
    if results and all(r.error for r in results):
        raise click.exceptions.Exit(EXIT_ALL_FAILED)


@group.command("disconnect")
@click.argument("connection_id", metavar="ID")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def disconnect_command(runtime: Runtime, connection_id: str, by: str | None) -> None:
    """Remove a calendar connection and the busy blocks it brought."""
    from services.calendars import disconnect

    gone = disconnect(runtime.engine(), runtime.workspace(), connection_id, actor=acting(by))
    runtime.emit(
        {"calendar": {**_connection_data(gone), "disconnected": True}},
        f"Disconnected calendar {gone.id} ({gone.shown_url}); its {gone.busy} busy blocks "
        "are gone.",
    )
