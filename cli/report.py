"""``roundtable report``: a pool's distribution in the current cycle."""

from __future__ import annotations

import click

from cli.booking import BY_HELP
from cli.runtime import Runtime, acting, pass_runtime, slack_user
from engine.zones import zulu
from services.reporting import pool_report


@click.command("report")
@click.option("--pool", metavar="P", required=True, help="The pool.")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def report(runtime: Runtime, pool: str, by: str | None) -> None:
    """Print each member's received, removed and net bookings, and the team average."""
    found = pool_report(
        runtime.engine(), runtime.workspace(), pool, actor=acting(by), now=runtime.now
    )
    start = None if found.cycle_start is None else zulu(found.cycle_start)
    end = None if found.cycle_end is None else zulu(found.cycle_end)
    data = {
        "pool": found.pool,
        "cycle": {"start": start, "end": end},
        "members": [
            {
                "page": m.page,
                "received": m.received,
                "removed": m.removed,
                "net": m.net,
                "active": m.active,
                "no_show": m.no_show,
            }
            for m in found.members
        ],
        "average": found.average,
    }
    cycle = f"{start} to {end}" if start else "continuous"
    width = max((len(m.page) for m in found.members), default=4)
    lines = [
        f"Pool {found.pool}, cycle {cycle}",
        f"  {'page':<{width}}  received  removed  net  no-show",
    ]
    lines += [
        f"  {m.page:<{width}}  {m.received:>8}  {m.removed:>7}  {m.net:>3}  {m.no_show:>7}"
        + ("" if m.active else "  inactive")
        for m in found.members
    ]
    inactive = "" if all(m.active for m in found.members) else " (active members only)"
    lines.append(f"  average net {found.average:.2f}{inactive}")
    runtime.emit(data, "\n".join(lines))
