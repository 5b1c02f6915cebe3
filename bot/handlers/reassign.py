"""The buttons of a pool's manager notice: Reassign (a modal), Cancel and, once the meeting
has started, No-show.

Each changes the booking through ``services.booking_changes`` or ``services.booking_reassign``
(which check who may) and then updates the notice in place (``chat.update``) so the channel
sees who has the booking now, or that it was cancelled or missed. A refused Reassign submission
comes back as an error on the modal's field; a refused click is told to the clicker alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.notifications import build_manager_notice
from bot.blocks.outbox import booking_facts
from bot.blocks.reassign import TITLE, build_reassign_modal, parse_reassign, reassign_errors
from bot.caller import Caller
from bot.handlers.modals import PendingModal, opens_modal
from bot.handlers.refusals import tell, tell_on_modal
from bot.work import Defer, after_ack
from engine.errors import RoundtableError
from engine.records import Booking


def register(app: App) -> None:
    """Add the manager notice listeners to ``app``."""
    app.action(ids.REASSIGN_BOOKING)(opens_modal(open_reassign, TITLE))
    app.action(ids.REASSIGN_SEAT)(after_ack(change_seat))
    app.view(ids.REASSIGN_VIEW)(submit_reassign)
    app.action(ids.CANCEL_BOOKING)(after_ack(cancel_from_notice))
    app.action(ids.NO_SHOW_BOOKING)(after_ack(no_show_from_notice))


def open_reassign(
    modal: PendingModal, body: dict[str, Any], action: dict[str, Any], caller: Caller
) -> None:
    """Open the Reassign modal for a manager or an admin; tell anyone else why not."""
    container = body.get("container", {})
    try:
        view = _modal(
            caller,
            str(action["value"]),
            seat=None,
            channel=container.get("channel_id"),
            ts=container.get("message_ts"),
        )
    except RoundtableError as refusal:
        modal.tell(refusal)
        return
    modal.open(view)


def change_seat(body: dict[str, Any], caller: Caller) -> None:
    """Choosing another seat of a panel lists the pages that could take that seat."""
    form = parse_reassign(body["view"])
    try:
        view = _modal(caller, form.booking_id, seat=form.seat, channel=form.channel, ts=form.ts)
    except RoundtableError as refusal:  # cancelled or moved meanwhile
        tell_on_modal(caller.client, body["view"], TITLE, refusal)
        return
    shown = body["view"]
    caller.client.views_update(view_id=shown["id"], hash=shown.get("hash"), view=view)


def submit_reassign(ack: Ack, defer: Defer, view: dict[str, Any], caller: Caller) -> None:
    """Move the seat, or answer why not on the field; then update the manager notice."""
    form = parse_reassign(view)
    has_seat = ids.REASSIGN_SEAT in view.get("state", {}).get("values", {})
    if form.to_page is None:
        block = ids.REASSIGN_SEAT if has_seat else ids.REASSIGN_TARGET
        ack(response_action="errors", errors={block: "Choose a seat and who takes it."})
        return
    try:
        moved = caller.reassign(
            form.booking_id,
            to_page=form.to_page,
            seat_page=form.seat,
            reason=form.reason,
            force=form.force,
            tell_customer=form.tell_customer,
        )
    except RoundtableError as refused:
        ack(
            response_action="errors",
            errors=reassign_errors(refused.field, refused.message, has_seat=has_seat),
        )
        return
    ack()
    if form.channel and form.ts:
        defer(update_notice, caller, moved, form.channel, form.ts)


def cancel_from_notice(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, caller: Caller
) -> None:
    """Cancel from the notice (customer, owner or admin); the notice then says so."""
    _change_from_notice(caller.cancel, body, action, respond, caller)


def no_show_from_notice(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, caller: Caller
) -> None:
    """Mark a no-show from the notice (owner, pool manager or admin); the notice says so."""
    _change_from_notice(caller.mark_no_show, body, action, respond, caller)


def _change_from_notice(
    change: Callable[[str], Booking],
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    caller: Caller,
) -> None:
    """Apply ``change`` to the button's booking, then redraw the notice; tell a refusal."""
    try:
        changed = change(str(action["value"]))
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    container = body.get("container", {})
    if container.get("channel_id") and container.get("message_ts"):
        update_notice(caller, changed, container["channel_id"], container["message_ts"])


def update_notice(caller: Caller, booking: Booking, channel: str, ts: str) -> None:
    """Redraw a manager notice from the booking as it is now."""
    config = caller.config()
    pool = next((p.pool for p in booking.participants if p.pool is not None), None)
    found = config.pools.get(pool or "")
    notice = build_manager_notice(
        booking_facts(booking, config),
        pool="Pool" if found is None else found.name,
        started=booking.start <= caller.now(),
    )
    caller.client.chat_update(channel=channel, ts=ts, **notice.as_kwargs())


def _modal(
    caller: Caller, booking_id: str, *, seat: str | None, channel: str | None, ts: str | None
) -> View:
    candidates = caller.reassign_candidates(booking_id, seat_page=seat)
    booking = caller.get_booking(booking_id)
    config = caller.config()
    kind = config.event_types.get(booking.event_type)
    return build_reassign_modal(
        booking,
        candidates,
        pages=config.pages,
        event_type=("" if kind is None else kind.name) or booking.event_type,
        tz=caller.zone,
        seat=seat,
        channel=channel,
        ts=ts,
    )
