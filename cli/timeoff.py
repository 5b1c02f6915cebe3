"""``roundtable timeoff add|list|remove``: whole days a page takes no bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.booking import BY_HELP
from cli.runtime import Runtime, acting, day_text, pass_runtime, slack_user
from engine.records import TimeOff
from services.timeoff import add_time_off, list_time_off, remove_time_off

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def time_off_data(time_off: TimeOff) -> dict[str, Any]:
    """Return the JSON of one stretch of time off (dates are the page's local dates)."""
    return {
        "id": time_off.id,
        "page": time_off.page,
        "from": time_off.first_day.isoformat(),
        "to": time_off.last_day.isoformat(),
        "reason": time_off.reason,
    }


def time_off_text(time_off: TimeOff) -> str:
    """Describe one stretch of time off in one line for people."""
    why = f" ({time_off.reason})" if time_off.reason else ""
    days = day_text(time_off.first_day)
    if time_off.last_day != time_off.first_day:
        days += f" to {day_text(time_off.last_day)}"
    return f"{time_off.id}  {time_off.page}: {days}{why}"


@click.group("timeoff")
def group() -> None:
    """Time off: whole local days a booking page takes no bookings."""


@group.command("add")
@click.option("--page", metavar="P", required=True, help="The booking page.")
@click.option("--from", "first", metavar="DATE", type=_DATE, required=True, help="First day.")
@click.option("--to", "last", metavar="DATE", type=_DATE, required=True, help="Last day.")
@click.option("--reason", metavar="R", help="Why (shown to whoever manages the page).")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def add(
    runtime: Runtime,
    page: str,
    first: datetime,
    last: datetime,
    reason: str | None,
    by: str | None,
) -> None:
    """Block --from to --to (both included, in the page's zone) for new bookings."""
    time_off = add_time_off(
        runtime.engine(),
        runtime.workspace(),
        page,
        first.date(),
        last.date(),
        reason=reason,
        actor=acting(by),
        now=runtime.now,
    )
    runtime.emit({"timeoff": time_off_data(time_off)}, f"Added {time_off_text(time_off)}")


@group.command("list")
@click.option("--page", metavar="P", help="Only this page [default: every page you manage].")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def list_(runtime: Runtime, page: str | None, by: str | None) -> None:
    """List time off, earliest first."""
    found = list_time_off(runtime.engine(), runtime.workspace(), page=page, actor=acting(by))
    lines = [time_off_text(t) for t in found] or ["No time off."]
    runtime.emit({"timeoff": [time_off_data(t) for t in found]}, "\n".join(lines))


@group.command("remove")
@click.argument("time_off_id", metavar="ID")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def remove(runtime: Runtime, time_off_id: str, by: str | None) -> None:
    """Remove one stretch of time off (its id from timeoff list)."""
    time_off = remove_time_off(runtime.engine(), runtime.workspace(), time_off_id, actor=acting(by))
    runtime.emit({"timeoff": time_off_data(time_off)}, f"Removed {time_off_text(time_off)}")
