"""The buttons of a pool's manager notice: Reassign (a modal), Cancel and, once the meeting
has started, No-show.

Each changes the booking through ``services.booking`` (which checks who may) and then
updates the notice in place (``chat.update``) so the channel sees who has the booking now,
or that it was cancelled or missed. A refused Reassign submission comes back as an error on the
modal's field; a refused click is told to the clicker alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.notifications import build_manager_notice
from bot.blocks.outbox import booking_facts
from bot.blocks.reassign import TITLE, build_reassign_modal, parse_reassign, reassign_errors
from bot.handlers.booking import requester_zone
from bot.handlers.modals import open_modal
from bot.handlers.refusals import tell, tell_on_modal
from bot.profiles import Profiles
from bot.work import Defer, after_ack
from engine.errors import RoundtableError
from engine.records import Booking
from services.booking import cancel, get_booking, mark_no_show, reassign, reassign_candidates
from services.config import load_config
from services.context import Actor, Services


def register(app: App) -> None:
    """Add the manager notice listeners to ``app``."""
    app.action(ids.REASSIGN_BOOKING)(after_ack(open_reassign))
    app.action(ids.REASSIGN_SEAT)(after_ack(change_seat))
    app.view(ids.REASSIGN_VIEW)(submit_reassign)
    app.action(ids.CANCEL_BOOKING)(after_ack(cancel_from_notice))
    app.action(ids.NO_SHOW_BOOKING)(after_ack(no_show_from_notice))


def open_reassign(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Open the Reassign modal for a manager or an admin; tell anyone else why not."""
    container = body.get("container", {})
    try:
        view = _modal(
            services,
            profiles,
            client,
            workspace_id,
            actor,
            str(action["value"]),
            seat=None,
            channel=container.get("channel_id"),
            ts=container.get("message_ts"),
        )
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    open_modal(client, body["trigger_id"], view, respond=respond)


def change_seat(
    body: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Choosing another seat of a panel lists the pages that could take that seat."""
    form = parse_reassign(body["view"])
    try:
        view = _modal(
            services,
            profiles,
            client,
            workspace_id,
            actor,
            form.booking_id,
            seat=form.seat,
            channel=form.channel,
            ts=form.ts,
        )
    except RoundtableError as refusal:  # cancelled or moved meanwhile
        tell_on_modal(client, body["view"], TITLE, refusal)
        return
    client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)


def submit_reassign(
    ack: Ack,
    defer: Defer,
    view: dict[str, Any],
    client: WebClient,
    services: Services,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Move the seat, or answer why not on the field; then update the manager notice."""
    form = parse_reassign(view)
    has_seat = ids.REASSIGN_SEAT in view.get("state", {}).get("values", {})
    if form.to_page is None:
        block = ids.REASSIGN_SEAT if has_seat else ids.REASSIGN_TARGET
        ack(response_action="errors", errors={block: "Choose a seat and who takes it."})
        return
    try:
        moved = reassign(
            services.engine,
            workspace_id,
            form.booking_id,
            to_page=form.to_page,
            seat_page=form.seat,
            reason=form.reason,
            force=form.force,
            tell_customer=form.tell_customer,
            actor=actor,
            now=services.clock(),
        )
    except RoundtableError as refused:
        ack(
            response_action="errors",
            errors=reassign_errors(refused.field, refused.message, has_seat=has_seat),
        )
        return
    ack()
    if form.channel and form.ts:
        defer(update_notice, client, services, workspace_id, moved, form.channel, form.ts)


def cancel_from_notice(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Cancel from the notice (customer, owner or admin); the notice then says so."""
    _change_from_notice(cancel, body, action, client, respond, services, actor, workspace_id)


def no_show_from_notice(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Mark a no-show from the notice (owner, pool manager or admin); the notice says so."""
    _change_from_notice(mark_no_show, body, action, client, respond, services, actor, workspace_id)


def _change_from_notice(
    change: Callable[..., Booking],
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Apply ``change`` to the button's booking, then redraw the notice; tell a refusal."""
    try:
        changed = change(
            services.engine, workspace_id, str(action["value"]), actor=actor, now=services.clock()
        )
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    container = body.get("container", {})
    if container.get("channel_id") and container.get("message_ts"):
        update_notice(
            client,
            services,
            workspace_id,
            changed,
            container["channel_id"],
            container["message_ts"],
        )


def update_notice(
    client: WebClient,
    services: Services,
    workspace_id: str,
    booking: Booking,
    channel: str,
    ts: str,
) -> None:
    """Redraw a manager notice from the booking as it is now."""
    config = load_config(services.engine, workspace_id)
    pool = next((p.pool for p in booking.participants if p.pool is not None), None)
    found = config.pools.get(pool or "")
    notice = build_manager_notice(
        booking_facts(booking, config),
        pool="Pool" if found is None else found.name,
        started=booking.start <= services.clock(),
    )
    client.chat_update(channel=channel, ts=ts, **notice.as_kwargs())


def _modal(
    services: Services,
    profiles: Profiles,
    client: WebClient,
    workspace_id: str,
    actor: Actor,
    booking_id: str,
    *,
    seat: str | None,
    channel: str | None,
    ts: str | None,
) -> View:
    now = services.clock()
    candidates = reassign_candidates(
        services.engine, workspace_id, booking_id, seat_page=seat, actor=actor, now=now
    )
    booking = get_booking(services.engine, workspace_id, booking_id)
    config = load_config(services.engine, workspace_id)
    kind = config.event_types.get(booking.event_type)
    return build_reassign_modal(
        booking,
        candidates,
        pages=config.pages,
        event_type=("" if kind is None else kind.name) or booking.event_type,
        tz=requester_zone(services, profiles, client, workspace_id, actor),
        seat=seat,
        channel=channel,
        ts=ts,
    )
