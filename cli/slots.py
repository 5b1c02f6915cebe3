"""``roundtable slots``: the offered times of a master page."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import click

from cli.runtime import Runtime, acting, attendees_option, day, pass_runtime, slack_user, span_text
from engine.zones import zulu
from services.slots import offered_slots


@click.command("slots")
@click.option("--master-page", metavar="M", required=True, help="The master page.")
@click.option("--event-type", metavar="E", required=True, help="The event type.")
@click.option("--from", "from_day", metavar="DATE", callback=day, required=True, help="First date.")
@click.option("--to", "to_day", metavar="DATE", callback=day, required=True, help="Last date.")
@click.option("--tz", metavar="TZ", help="Zone of the dates and the grid [default: workspace's].")
@click.option("--pick", metavar="PAGE", help="The page the customer picks, where they may.")
@click.option("--link", "link_token", metavar="TOKEN", help="A one-time link's token.")
@attendees_option
@click.option("--by", metavar="U", callback=slack_user, help="Ask as this Slack user.")
@pass_runtime
def slots(
    runtime: Runtime,
    master_page: str,
    event_type: str,
    from_day: date,
    to_day: date,
    tz: str | None,
    pick: str | None,
    link_token: str | None,
    attendees: int,
    by: str | None,
) -> None:
    """Print the times offered from --from to --to (both included, in --tz)."""
    found = offered_slots(
        runtime.engine(),
        runtime.workspace(),
        master_page,
        event_type,
        from_day,
        to_day,
        tz=tz,
        now=runtime.now,
        pick=pick,
        link_token=link_token,
        attendees=attendees,
        actor=acting(by),
    )
    data = {"slots": [{"start": zulu(s.start), "end": zulu(s.end)} for s in found]}
    shown = ZoneInfo(tz) if tz else None
    lines = [
        span_text(s.start, s.end, shown) if shown else f"{zulu(s.start)} – {zulu(s.end)}"
        for s in found
    ]
    head = f"{len(found)} slot{'s' if len(found) != 1 else ''}" + (f" ({tz})" if tz else "")
    runtime.emit(data, "\n".join([head + (":" if found else "."), *lines]))
