"""``roundtable calendar feed``: the secret iCalendar feed of a page's bookings."""

from __future__ import annotations

import os

import click

from cli.booking import BY_HELP
from cli.runtime import Runtime, acting, pass_runtime, served_at, slack_user
from services.feeds import feed_url


@click.command("feed")
@click.option("--page", metavar="P", required=True, help="The booking page.")
@click.option("--rotate", is_flag=True, help="Make a new URL; the old one stops working.")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def feed(runtime: Runtime, page: str, rotate: bool, by: str | None) -> None:
    """Print the secret URL of a page's bookings feed, to subscribe to from a calendar app."""
    url = feed_url(
        runtime.engine(),
        runtime.workspace(),
        page,
        rotate=rotate,
        actor=acting(by),
        now=runtime.now,
        public_url=served_at(),
        environ=os.environ,
    )
    note = "a new URL; the old one no longer works" if rotate else "keep it secret"
    runtime.emit({"feed": {"url": url}}, f"{url}\n({note})")
