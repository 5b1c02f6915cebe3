"""``roundtable book``, ``cancel``, ``reassign``, ``reschedule``, ``no-show`` and ``bookings``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from cli.runtime import (
    Runtime,
    acting,
    attendees_option,
    day,
    in_zone,
    pass_runtime,
    served_at,
    slack_user,
    span_text,
    wall_clock,
)
from engine.errors import BadInput, TargetBusy
from engine.model import BookingStatus
from engine.records import Booking, Role
from engine.zones import local_to_utc, zone, zulu
from services.booking import BookingRequest, Customer, book
from services.booking_changes import cancel, mark_no_show, reschedule
from services.booking_reads import BookingFilter, list_bookings
from services.booking_reassign import reassign
from services.config import load_config
from services.links import resolve_link
from services.manage_links import manage_url
from web.security import default_secret

BY_HELP = "Act as this Slack user, whose role then applies [default: act as an admin]."


def booking_data(booking: Booking) -> dict[str, Any]:
    """Return a booking as the command line's JSON; ``participants``: the pages but the owner."""
    return {
        "id": booking.id,
        "start": zulu(booking.start),
        "end": zulu(booking.end),
        "status": booking.status.value,
        "owner": booking.owner,
        "participants": [p.page for p in booking.participants if p.role is Role.PARTICIPANT],
        "event_type": booking.event_type,
        "master_page": booking.master_page,
        "location": booking.location,
    }


def booking_text(booking: Booking, verb: str) -> str:
    """Describe a booking in one line for people."""
    others = [p.page for p in booking.participants if p.role is Role.PARTICIPANT]
    with_ = f" with {', '.join(others)}" if others else ""
    return (
        f"{verb} booking {booking.id}: {booking.event_type} on {booking.master_page}, "
        f"{span_text(booking.start, booking.end, UTC)} UTC, owner {booking.owner}{with_} "
        f"({booking.status.value})" + (f", at {booking.location}" if booking.location else "")
    )


def answers(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """Parse repeated ``--answer FIELD=VALUE`` options into form answers."""
    parsed: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{value}' is not FIELD=VALUE", ctx, param)
        parsed[key.strip()] = text
    return parsed


@click.command("book")
@click.option("--master-page", metavar="M", help="The master page [default: the link's].")
@click.option("--event-type", metavar="E", help="The event type [default: the link's, if one].")
@click.option(
    "--start",
    metavar="ISO",
    required=True,
    callback=wall_clock,
    help="The start; without a UTC offset, a local time in --tz (else UTC).",
)
@click.option("--tz", metavar="TZ", help="The customer's time zone [default: the workspace's].")
@attendees_option
@click.option(
    "--customer-slack", metavar="U", callback=slack_user, help="The customer's Slack user id."
)
@click.option("--customer-name", metavar="N", help="A guest customer's name.")
@click.option("--customer-email", metavar="X", help="A guest customer's email.")
@click.option(
    "--answer",
    "form",
    metavar="FIELD=VALUE",
    multiple=True,
    callback=answers,
    help="A booking form answer (repeatable).",
)
@click.option("--pick", metavar="PAGE", help="The page the customer picks, where they may.")
@click.option("--link", "link_token", metavar="TOKEN", help="A one-time link's token.")
@click.option(
    "--idempotency-key", metavar="K", help="A repeat with this key returns the first booking."
)
@click.option(
    "--by", metavar="U", callback=slack_user, help=BY_HELP + " Also the customer by default."
)
@pass_runtime
def book_command(
    runtime: Runtime,
    master_page: str | None,
    event_type: str | None,
    start: datetime,
    tz: str | None,
    attendees: int,
    customer_slack: str | None,
    customer_name: str | None,
    customer_email: str | None,
    form: dict[str, str],
    pick: str | None,
    link_token: str | None,
    idempotency_key: str | None,
    by: str | None,
) -> None:
    """Book a meeting at an offered start (see `roundtable slots`)."""
    engine = runtime.engine()
    if link_token is not None and (master_page is None or event_type is None):
        view = resolve_link(engine, link_token, now=runtime.now)
        master_page = master_page or view.master_page
        if event_type is None and len(view.event_types) == 1:
            event_type = view.event_types[0]
    if master_page is None:
        raise BadInput("give --master-page (or a --link)", field="--master-page")
    if event_type is None:
        raise BadInput("give --event-type", field="--event-type")
    customer = Customer(customer_slack, customer_name, customer_email)
    if customer == Customer() and by is not None:
        customer = Customer(slack_user=by)
    request = BookingRequest(
        workspace_id=runtime.workspace(),
        master_page=master_page,
        event_type=event_type,
        start=in_zone(start, tz),
        customer=customer,
        tz=tz,
        attendees=attendees,
        form_answers=form,
        pick=pick,
        link_token=link_token,
        idempotency_key=idempotency_key,
    )
    booking = book(engine, request, actor=acting(by), now=runtime.now)
    data = booking_data(booking)
    text = booking_text(booking, "Made")
    if booking.customer_slack_user is None:
        # The guest's manage page: the same URL the server derives, given the same secret.
        data["manage_url"] = manage_url(served_at(), default_secret(), booking.id)
        text += f"\nManage: {data['manage_url']}"
    runtime.emit({"booking": data}, text)


@click.command("cancel")
@click.argument("booking_id", metavar="BOOKING")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def cancel_command(runtime: Runtime, booking_id: str, by: str | None) -> None:
    """Cancel BOOKING: free its time and tell everyone."""
    booking = cancel(
        runtime.engine(), runtime.workspace(), booking_id, actor=acting(by), now=runtime.now
    )
    runtime.emit({"booking": booking_data(booking)}, booking_text(booking, "Cancelled"))


@click.command("reassign")
@click.argument("booking_id", metavar="BOOKING")
@click.option("--to", "to_page", metavar="PAGE", required=True, help="The page to move to.")
@click.option("--seat", "seat_page", metavar="PAGE", help="Whose seat moves [default: the owner].")
@click.option("--reason", metavar="TEXT", help="Why; the customer is told only with a reason.")
@click.option(
    "--tell-customer/--no-tell-customer",
    default=True,
    show_default=True,
    help="Tell the customer the reason (a reason is recorded in the audit either way).",
)
@click.option("--force", is_flag=True, help="Move even if the target is not free then.")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def reassign_command(
    runtime: Runtime,
    booking_id: str,
    to_page: str,
    seat_page: str | None,
    reason: str | None,
    tell_customer: bool,
    force: bool,
    by: str | None,
) -> None:
    """Move the owner (or one --seat) of BOOKING to another page; the time stays."""
    try:
        booking = reassign(
            runtime.engine(),
            runtime.workspace(),
            booking_id,
            to_page=to_page,
            seat_page=seat_page,
            reason=reason,
            force=force,
            tell_customer=tell_customer,
            actor=acting(by),
            now=runtime.now,
        )
    except TargetBusy as busy:
        if busy.field != "force":
            raise
        raise TargetBusy(f"{busy.message}; add --force to move it anyway") from None
    runtime.emit({"booking": booking_data(booking)}, booking_text(booking, "Reassigned"))


@click.command("reschedule")
@click.argument("booking_id", metavar="BOOKING")
@click.option(
    "--start",
    metavar="ISO",
    required=True,
    callback=wall_clock,
    help="The new start; without a UTC offset, a local time in --tz (else UTC).",
)
@click.option("--tz", metavar="TZ", help="The requester's zone [default: the customer's].")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def reschedule_command(
    runtime: Runtime, booking_id: str, start: datetime, tz: str | None, by: str | None
) -> None:
    """Move BOOKING to another offered start; it keeps its id (see `roundtable slots`).

    A --start without a UTC offset is a local time in --tz when --tz is given, else UTC.
    """
    moved = reschedule(
        runtime.engine(),
        runtime.workspace(),
        booking_id,
        start=in_zone(start, tz),
        tz=tz,
        actor=acting(by),
        now=runtime.now,
    )
    runtime.emit({"booking": booking_data(moved)}, booking_text(moved, "Rescheduled"))


@click.command("no-show")
@click.argument("booking_id", metavar="BOOKING")
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def no_show_command(runtime: Runtime, booking_id: str, by: str | None) -> None:
    """Mark BOOKING, whose meeting has started, a no-show."""
    marked = mark_no_show(
        runtime.engine(), runtime.workspace(), booking_id, actor=acting(by), now=runtime.now
    )
    runtime.emit({"booking": booking_data(marked)}, booking_text(marked, "Marked no-show:"))


@click.command("bookings")
@click.option("--page", metavar="P", help="Only bookings this page takes part in.")
@click.option(
    "--customer-slack",
    metavar="U",
    callback=slack_user,
    help="Only bookings of this Slack customer.",
)
@click.option(
    "--from", "from_day", metavar="DATE", callback=day, help="Only those ending after it starts."
)
@click.option(
    "--to", "to_day", metavar="DATE", callback=day, help="Only those starting by its end."
)
@click.option(
    "--status",
    type=click.Choice([status.value for status in BookingStatus]),
    help="Only bookings with this status.",
)
@click.option("--by", metavar="U", callback=slack_user, help=BY_HELP)
@pass_runtime
def bookings_command(
    runtime: Runtime,
    page: str | None,
    customer_slack: str | None,
    from_day: date | None,
    to_day: date | None,
    status: str | None,
    by: str | None,
) -> None:
    """List the bookings you may see, soonest first (dates in the workspace's zone)."""
    engine, workspace = runtime.engine(), runtime.workspace()
    if from_day and to_day and to_day < from_day:
        raise BadInput(f"{to_day} is before {from_day}", field="--to")
    local = zone(load_config(engine, workspace).workspace.timezone)
    wanted = BookingFilter(
        page=page,
        customer_slack=customer_slack,
        ends_after=None if from_day is None else local_to_utc(from_day, 0, local),
        starts_before=None if to_day is None else _day_after(to_day, local),
        status=None if status is None else BookingStatus(status),
    )
    found = list_bookings(engine, workspace, wanted, actor=acting(by))
    lines = [booking_text(booking, "-")[2:] for booking in found]
    head = f"{len(found)} booking{'s' if len(found) != 1 else ''}"
    runtime.emit(
        {"bookings": [booking_data(booking) for booking in found]},
        "\n".join([head + (":" if found else "."), *lines]),
    )


def _day_after(last: date, local: ZoneInfo) -> datetime:
    return local_to_utc(last + timedelta(days=1), 0, local)
