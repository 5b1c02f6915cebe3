"""The ``roundtable`` command: global options, the command modules, exit codes.

Each command lives in its own module (``cli/config.py``, ``cli/db.py``, …) and is added to
``cli`` below. Errors become exit codes in one place, ``failure``:

    0  done
    1  anything else (with ``--json`` the code is ``internal`` or the error's own code)
    2  bad input: a ``BadInput`` (codes ``bad_input``, ``not_found``) or a usage error
    3  refused by the rules: a ``Refused`` (``slot_unavailable``, ``link_used``, …)

Without ``--json`` an error prints ``error: MESSAGE`` on stderr, one line per problem; click's
own usage errors keep click's format. With ``--json`` it prints
``{"error": {"code": …, "message": …}}`` on stdout, like every other answer.
"""

from __future__ import annotations

import gc
import json
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

from cli import (
    booking,
    calendar,
    config,
    db,
    feeds,
    links,
    report,
    serve,
    slots,
    timeoff,
    worker,
)
from cli.runtime import Runtime, instant, slack_team
from engine.errors import BadInput, Refused, RoundtableError
from services.context import system_clock

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3


@dataclass(frozen=True, slots=True)
class Failure:
    """What the user is told about an error, and the exit code."""

    code: str
    message: str
    exit_code: int

    def show(self, *, as_json: bool) -> None:
        if as_json:
            error = {"error": {"code": self.code, "message": self.message}}
            click.echo(json.dumps(error, ensure_ascii=False))
            return
        for line in self.message.splitlines():
            click.echo(f"error: {line}", err=True)


def failure(exc: Exception) -> Failure:
    """Map an exception to what the user sees and the exit code."""
    if isinstance(exc, RoundtableError):
        message = f"{exc.field}: {exc.message}" if exc.field else exc.message
        if isinstance(exc, BadInput):
            return Failure(exc.code, message, EXIT_BAD_INPUT)
        if isinstance(exc, Refused):
            return Failure(exc.code, message, EXIT_REFUSED)
        return Failure(exc.code, message, EXIT_FAILED)
    if isinstance(exc, click.UsageError):
        return Failure("usage", exc.format_message(), EXIT_BAD_INPUT)
    if isinstance(exc, click.ClickException):
        return Failure("error", exc.format_message(), exc.exit_code)
    return Failure("internal", f"{type(exc).__name__}: {exc}", EXIT_FAILED)


GLOBAL_FLAGS = frozenset({"--json"})
GLOBAL_OPTIONS = frozenset({"--db", "--now", "--workspace"})  # each takes a value


def globals_first(args: list[str]) -> list[str]:
    """Move the global options written after the command in front of it.

    ``roundtable slots … --json`` then means ``roundtable --json slots …``. Nothing after
    ``--`` moves; a later global option wins over an earlier one, as click has it.
    """
    at = 0  # the command: the first argument that is neither a global option nor its value
    while at < len(args) and args[at].startswith("-"):
        takes_value = args[at] in GLOBAL_OPTIONS
        at += 2 if takes_value else 1
    moved: list[str] = []
    kept: list[str] = []
    rest = iter(args[at:])
    for arg in rest:
        if arg == "--":
            kept += [arg, *rest]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_FLAGS or (name in GLOBAL_OPTIONS and "=" in arg):
            moved.append(arg)
        elif name in GLOBAL_OPTIONS:
            value = next(rest, None)
            moved += [arg] if value is None else [arg, value]
        else:
            kept.append(arg)
    return args[:at] + moved + kept


class RoundtableGroup(click.Group):
    """The root group: shows the errors that commands raise and exits with their code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, globals_first(args))

    def invoke(self, ctx: click.Context) -> Any:
        as_json = bool(ctx.params.get("as_json"))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except RoundtableError as exc:
            shown = failure(exc)
        except click.ClickException as exc:
            if not as_json:
                raise  # click prints usage errors with the usage line
            shown = failure(exc)
        except Exception as exc:
            if not as_json:
                raise  # a bug: let Python print the traceback (exit 1)
            traceback.print_exc()
            shown = failure(exc)
        shown.show(as_json=as_json)
        ctx.exit(shown.exit_code)


@click.group(cls=RoundtableGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL [default: env DATABASE_URL, else sqlite:///roundtable.db].",
)
@click.option(
    "--now",
    metavar="ISO",
    callback=instant,
    help="Act as if it were this time (ISO 8601; UTC unless an offset is given) [default: now].",
)
@click.option("--json", "as_json", is_flag=True, help="Print answers and errors as JSON.")
@click.option(
    "--workspace",
    metavar="TEAM_ID",
    callback=slack_team,
    help="The workspace to act on; needed only when the database holds several.",
)
@click.version_option(package_name="roundtable")
@click.pass_context
def cli(
    ctx: click.Context,
    db_url: str | None,
    now: datetime | None,
    as_json: bool,
    workspace: str | None,
) -> None:
    """Roundtable: team booking for Slack, from the command line.

    Global options go before or after the command: roundtable --json config show and
    roundtable config show --json are the same.
    """
    runtime = Runtime.of(db_url, now=now or system_clock(), as_json=as_json, workspace=workspace)
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)


cli.add_command(config.group)
cli.add_command(db.group)
cli.add_command(serve.serve)
cli.add_command(slots.slots)
cli.add_command(booking.book_command)
cli.add_command(booking.cancel_command)
cli.add_command(booking.reassign_command)
cli.add_command(booking.reschedule_command)
cli.add_command(booking.no_show_command)
cli.add_command(booking.bookings_command)
cli.add_command(report.report)
cli.add_command(links.group)
cli.add_command(worker.worker)
cli.add_command(timeoff.group)
cli.add_command(calendar.group)
calendar.group.add_command(feeds.feed)


def main() -> None:
    """Run ``roundtable`` (the console script)."""
    # What the imports built lives as long as the process: leave it out of the cyclic
    # collector's full passes, which would otherwise walk it again and again while a
    # command reads its tens of thousands of rows (a third of `slots`'s time).
    gc.freeze()
    cli(prog_name="roundtable")
