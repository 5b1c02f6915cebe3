"""``roundtable link create|revoke``: one-time links (§8, §11)."""

from __future__ import annotations

from datetime import timedelta

import click

from cli.booking import BY_HELP, answers, public_url, zulu
from cli.runtime import Runtime, pass_runtime
from engine.durations import parse_duration
from services.context import Actor
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
@click.option("--by", metavar="U", help=BY_HELP)
@pass_runtime
def create(
    runtime: Runtime,
    master_page: str,
    event_type: str | None,
    name: str | None,
    email: str | None,
    form: dict[str, str],
    expires_in: timedelta | None,
    by: str | None,
) -> None:
    """Create a link good for one booking; print its secret token and URL (shown once)."""
    link = create_link(
        runtime.engine(),
        runtime.workspace(),
        master_page,
        event_type=event_type,
        name=name,
        email=email,
        form_answers=form,
        expires_in=expires_in,
        actor=Actor(by),
        now=runtime.now,
        public_url=public_url(),
    )
    expires = None if link.expires_at is None else zulu(link.expires_at)
    runtime.emit(
        {"link": {"token": link.token, "url": link.url, "expires_at": expires}},
        f"{link.url}\n(expires {expires or 'never'}; the token is not stored and not shown again)",
    )


@group.command("revoke")
@click.argument("token")
@click.option("--by", metavar="U", help=BY_HELP)
@pass_runtime
def revoke(runtime: Runtime, token: str, by: str | None) -> None:
    """Withdraw an unused link so that it books nothing."""
    revoke_link(runtime.engine(), runtime.workspace(), token, actor=Actor(by), now=runtime.now)
    runtime.emit({"link": {"revoked": True}}, "Link revoked.")
