"""``roundtable link create|revoke``: one-time links."""

from __future__ import annotations

import os
from datetime import timedelta

import click

from cli.booking import BY_HELP, answers
from cli.runtime import Runtime, acting, pass_runtime, served_at, slack_user
from engine.durations import parse_duration
from engine.zones import zulu
from services.links import create_link, revoke_link


def expiry(ctx: click.Context, param: click.Parameter, value: str) -> timedelta | None:
    """Parse ``--expires-in``: a duration like ``30d``, or ``never``."""
    if value == "never":
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


@click.group("link")
def group() -> None:
    """One-time links for guests: create and revoke."""


@group.command("create")
@click.option("--master-page", metavar="M", required=True, help="A dynamic master page.")
@click.option("--event-type", metavar="E", help="Fix the link to this event type.")
@click.option("--name", metavar="N", help="The guest's name.")
@click.option("--email", metavar="X", help="The guest's email.")
@click.option(
    "--answer",
    "form",
    metavar="FIELD=VALUE",
    multiple=True,
    callback=answers,
    help="A prefilled booking form answer (repeatable).",
)
@click.option(
    "--expires-in",
    metavar="DURATION",
    default="30d",
    show_default=True,
    callback=expiry,
    help="Lifetime, like 7d or 12h, or 'never'.",
)
@click.option(
    "--member",
    metavar="PAGE",
    help="The member the link books, for a flexible round-robin seat [default: next in line].",
)
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def create(
    runtime: Runtime,
    master_page: str,
    event_type: str | None,
    name: str | None,
    email: str | None,
    form: dict[str, str],
    expires_in: timedelta | None,
    member: str | None,
    by: str | None,
) -> None:
    """Create a link good for one booking; print its secret token and URL (shown once)."""
    where_served = served_at()
    link = create_link(
        runtime.engine(),
        runtime.workspace(),
        master_page,
        event_type=event_type,
        name=name,
        email=email,
        form_answers=form,
        expires_in=expires_in,
        member=member,
        actor=acting(by),
        now=runtime.now,
        public_url=where_served,
    )
    expires = None if link.expires_at is None else zulu(link.expires_at)
    if os.environ.get("PUBLIC_URL", "").strip():
        where = f"PUBLIC_URL, {where_served}"
    else:
        where = f"{where_served}, as PUBLIC_URL is not set (set it to the address guests reach)"
    runtime.emit(
        {"link": {"token": link.token, "url": link.url, "expires_at": expires}},
        f"{link.url}\n(expires {expires or 'never'}; the token is not stored and not shown again)\n"
        f"`roundtable serve` serves the page at {where}",
    )


@group.command("revoke")
@click.argument("token")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def revoke(runtime: Runtime, token: str, by: str | None) -> None:
    """Withdraw an unused link so that it books nothing."""
    revoke_link(runtime.engine(), runtime.workspace(), token, actor=acting(by), now=runtime.now)
    runtime.emit({"link": {"revoked": True}}, "Link revoked.")
