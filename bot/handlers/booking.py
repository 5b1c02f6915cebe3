"""/book-room: the booking modal, jump-ahead, the list of my bookings and Reschedule.

Every step of the modal is a block action (``book:…``) that updates the view; the form's
submission books and answers on the modal itself (``response_action``): the confirmation,
fresh times when the slot was taken meanwhile, or errors on a form field. The booking's
idempotency key is the modal's view id and the chosen time, so a retried submission returns
the first booking.

**Reschedule** (on ``/book-room list``, confirmations, reminders and reschedule notices)
opens the same modal with ``BookingState.moving``: the booking's times, then a confirmation
whose submission moves it. Who may is checked when the button is pressed, at every step
(the times come from ``reschedule_slots``) and again by ``reschedule`` on submission; a
retried submission moves it once (moving to the time it already has changes nothing).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids
from bot.blocks.booking import (
    FINDING,
    MOVE_TITLE,
    TITLE,
    asks_for_list,
    build_booked_view,
    parse_book_room_command,
    parse_step,
)
from bot.blocks.booking_form import field_block, parse_form
from bot.blocks.common import build_notice_view, local
from bot.blocks.my_bookings import Names, build_my_bookings_message
from bot.caller import Caller
from bot.handlers.modals import PendingModal, opens_modal
from bot.handlers.refusals import tell, tell_on_modal
from bot.handlers.screens import booking_screen
from bot.work import Defer
from engine.errors import BadInput, RoundtableError, SlotUnavailable
from services.booking import BookingRequest, Customer
from services.booking_screens import BookingState
from services.errors import LinkRefused

SLOT_TAKEN = "That time was just taken. Here are the free times now."
_log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Add the /book-room listeners to ``app``."""
    app.command(ids.BOOK_ROOM_COMMAND)(
        opens_modal(book_room, TITLE, loading=FINDING, unless=_lists_bookings)
    )
    app.action(re.compile(f"^{ids.BOOK_FAMILY}"))(take_step)
    app.view(ids.BOOK_FORM_VIEW)(submit_booking)
    app.action(re.compile(f"^{ids.MY_CANCEL}"))(cancel_my_booking)
    reschedule_modal = opens_modal(open_reschedule, MOVE_TITLE, loading=FINDING)
    app.action(re.compile(f"^{ids.MY_RESCHEDULE}"))(reschedule_modal)
    app.action(ids.RESCHEDULE_BOOKING)(reschedule_modal)


def _lists_bookings(body: dict[str, Any]) -> bool:
    return asks_for_list(str(body.get("text", "")))


def book_room(
    modal: PendingModal, command: dict[str, Any], respond: Respond, caller: Caller
) -> None:
    """``/book-room [master page] [date]`` opens the modal; ``/book-room list`` lists mine."""
    tz = caller.zone
    today = local(caller.now(), tz).date()
    try:
        asked = parse_book_room_command(command.get("text", ""), today=today)
    except ValueError as error:
        modal.notice(str(error))
        return
    try:
        if asked.list_bookings:
            respond(response_type="ephemeral", **my_bookings(caller))
            return
        state = BookingState(day=asked.day or today, tz=tz)
        named = asked.master_page
        view = booking_screen(caller, state, named=named)
    except RoundtableError as refusal:
        modal.tell(refusal)
        return
    modal.open(view)


def take_step(
    ack: Ack, defer: Defer, body: dict[str, Any], action: dict[str, Any], caller: Caller
) -> None:
    """A choice in the modal (master page, event type, page, day, time, member): next screen."""
    ack()
    state = parse_step(BookingState.from_metadata(body["view"]["private_metadata"]), action)
    defer(show_step, body["view"], state, caller)


def show_step(shown: dict[str, Any], state: BookingState, caller: Caller) -> None:
    """After ``take_step``'s ack: the modal updated to the next screen (or why not)."""
    try:
        view = booking_screen(caller, state)
    except RoundtableError as refusal:
        tell_on_modal(caller.client, shown, TITLE, refusal)
        return
    caller.client.views_update(view_id=shown["id"], hash=shown["hash"], view=view)


def submit_booking(ack: Ack, view: dict[str, Any], caller: Caller) -> None:
    """Book the chosen time (or move the booking there) and answer on the modal."""
    state = BookingState.from_metadata(view["private_metadata"])
    assert state.master_page is not None
    assert state.event_type is not None
    assert state.start is not None
    if state.moving is not None:
        submit_move(ack, state, caller)
        return
    profile = None if state.link else caller.profile
    request = BookingRequest(
        workspace_id=caller.workspace_id,
        master_page=state.master_page,
        event_type=state.event_type,
        start=state.start,
        customer=Customer(caller.user, *((profile.name, profile.email) if profile else ())),
        tz=state.tz,
        form_answers=parse_form(view["state"]["values"]),
        pick=state.chosen_page,
        link_token=state.link,
        idempotency_key=f"slack:{view['id']}:{state.start.isoformat()}",
        attendees=state.attendees,
    )
    try:
        booking = caller.book(request)
    except SlotUnavailable:
        fresh = replace(state, start=None, offset=0)
        ack(response_action="update", view=booking_screen(caller, fresh, SLOT_TAKEN))
        return
    except LinkRefused as refused:
        ack(response_action="update", view=build_notice_view(TITLE, refused.message))
        return
    except RoundtableError as error:
        block = field_block(error.field) if isinstance(error, BadInput) else None
        if block is not None:
            ack(response_action="errors", errors={block: error.message})
        else:
            ack(response_action="update", view=build_notice_view(TITLE, error.message))
        return
    ack(response_action="update", view=build_booked_view(booking, names_of(caller), state.tz))


def submit_move(ack: Ack, state: BookingState, caller: Caller) -> None:
    """Move the booking being rescheduled to the chosen time and answer on the modal."""
    assert state.moving is not None
    assert state.start is not None
    try:
        moved = caller.reschedule(state.moving, start=state.start, tz=state.tz)
    except SlotUnavailable:
        fresh = replace(state, start=None, offset=0)
        ack(response_action="update", view=booking_screen(caller, fresh, SLOT_TAKEN))
        return
    except RoundtableError as refused:
        ack(response_action="update", view=build_notice_view(TITLE, refused.message))
        return
    names = names_of(caller)
    ack(response_action="update", view=build_booked_view(moved, names, state.tz, moved=True))


def open_reschedule(
    modal: PendingModal,
    action: dict[str, Any],
    caller: Caller,
) -> None:
    """Reschedule: open the modal on the times the booking may move to; refuse in words."""
    try:
        move = caller.rescheduling(str(action["value"]))
        tz = caller.zone
        state = BookingState(
            day=local(move.booking.start, tz).date(),
            tz=tz,
            master_page=move.booking.master_page,
            event_type=move.booking.event_type,
            pick=move.pick,
            moving=move.booking.id,
        )
        view = booking_screen(caller, state)
    except RoundtableError as refused:
        modal.tell(refused)
        return
    modal.open(view)


def cancel_my_booking(
    ack: Ack, defer: Defer, action: dict[str, Any], respond: Respond, caller: Caller
) -> None:
    """Cancel from ``/book-room list``; the list is redrawn with what happened on top."""
    ack()
    defer(cancel_mine, action["value"], respond, caller)


def cancel_mine(booking_id: str, respond: Respond, caller: Caller) -> None:
    """After ``cancel_my_booking``'s ack: cancel, and redraw the list (or say why not)."""
    try:
        cancelled = caller.cancel(booking_id)
    except RoundtableError as refusal:  # not theirs, or cancelled meanwhile
        tell(respond, refusal)
        return
    kinds = names_of(caller).event_types
    notice = f"Cancelled: {kinds.get(cancelled.event_type, cancelled.event_type)}."
    respond(replace_original=True, **my_bookings(caller, notice))


# --- what the listeners share ------------------------------------------------------------


def names_of(caller: Caller) -> Names:
    config = caller.config()
    return Names(
        pages={key: page.name for key, page in config.pages.items()},
        event_types={key: kind.name for key, kind in config.event_types.items()},
        master_pages={key: master.name for key, master in config.master_pages.items()},
    )


def my_bookings(caller: Caller, notice: str | None = None) -> dict[str, Any]:
    """``/book-room list``: the reader's upcoming bookings, Reschedule where they may."""
    mine = caller.my_upcoming()
    return build_my_bookings_message(
        mine.bookings,
        names_of(caller),
        caller.zone,
        notice=notice,
        reschedulable=mine.reschedulable,
    ).as_kwargs()
