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
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.booking import (
    TITLE,
    Names,
    build_booked_view,
    build_my_bookings_message,
    build_screen,
    field_block,
    parse_book_room_command,
    parse_form,
    parse_step,
)
from bot.blocks.common import build_notice_message, build_notice_view, local
from bot.handlers.modals import open_modal
from bot.handlers.refusals import tell, tell_on_modal
from bot.profiles import Profiles
from bot.work import Defer, after_ack
from engine.errors import BadInput, RoundtableError, SlotUnavailable
from engine.model import BookingStatus
from services import roles
from services.booking import (
    BookingFilter,
    BookingRequest,
    Customer,
    book,
    cancel,
    list_bookings,
    reschedule,
    rescheduling,
)
from services.booking_screens import BookingState, next_screen
from services.config import load_config
from services.context import Actor, Services
from services.errors import LinkRefused

SLOT_TAKEN = "That time was just taken. Here are the free times now."
_log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Add the /book-room listeners to ``app``."""
    app.command(ids.BOOK_ROOM_COMMAND)(after_ack(book_room))
    app.action(re.compile(f"^{ids.BOOK_FAMILY}"))(take_step)
    app.view(ids.BOOK_FORM_VIEW)(submit_booking)
    app.action(re.compile(f"^{ids.MY_CANCEL}"))(cancel_my_booking)
    app.action(re.compile(f"^{ids.MY_RESCHEDULE}"))(open_reschedule)
    app.action(ids.RESCHEDULE_BOOKING)(open_reschedule)


def book_room(
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """``/book-room [master page] [date]`` opens the modal; ``/book-room list`` lists mine."""
    tz = requester_zone(services, profiles, client, workspace_id, actor)
    today = local(services.clock(), tz).date()
    try:
        asked = parse_book_room_command(command.get("text", ""), today=today)
    except ValueError as error:
        respond(response_type="ephemeral", **build_notice_message(str(error)).as_kwargs())
        return
    try:
        if asked.list_bookings:
            respond(response_type="ephemeral", **my_bookings(services, workspace_id, actor, tz))
            return
        state = BookingState(day=asked.day or today, tz=tz)
        named = asked.master_page
        view = screen(
            services, workspace_id, actor, state, named=named, profiles=profiles, client=client
        )
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    open_modal(client, command["trigger_id"], view, respond=respond)


def take_step(
    ack: Ack,
    defer: Defer,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """A choice in the modal (master page, event type, page, day, time, member): next screen."""
    ack()
    state = parse_step(BookingState.from_metadata(body["view"]["private_metadata"]), action)
    defer(show_step, body["view"], state, client, services, profiles, actor, workspace_id)


def show_step(
    shown: dict[str, Any],
    state: BookingState,
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """After ``take_step``'s ack: the modal updated to the next screen (or why not)."""
    try:
        view = screen(services, workspace_id, actor, state, profiles=profiles, client=client)
    except RoundtableError as refusal:
        tell_on_modal(client, shown, TITLE, refusal)
        return
    client.views_update(view_id=shown["id"], hash=shown["hash"], view=view)


def submit_booking(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Book the chosen time (or move the booking there) and answer on the modal."""
    state = BookingState.from_metadata(view["private_metadata"])
    assert state.master_page is not None
    assert state.event_type is not None
    assert state.start is not None
    if state.moving is not None:
        submit_move(ack, state, services, actor, workspace_id)
        return
    profile = None if state.link else profiles.get(client, workspace_id, actor.slack_user or "")
    request = BookingRequest(
        workspace_id=workspace_id,
        master_page=state.master_page,
        event_type=state.event_type,
        start=state.start,
        customer=Customer(actor.slack_user, *((profile.name, profile.email) if profile else ())),
        tz=state.tz,
        form_answers=parse_form(view["state"]["values"]),
        pick=state.chosen_page,
        link_token=state.link,
        idempotency_key=f"slack:{view['id']}:{state.start.isoformat()}",
        attendees=state.attendees,
    )
    try:
        booking = book(services.engine, request, actor=actor, now=services.clock())
    except SlotUnavailable:
        fresh = replace(state, start=None, offset=0)
        ack(response_action="update", view=screen(services, workspace_id, actor, fresh, SLOT_TAKEN))
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
    names = names_of(services, workspace_id)
    ack(response_action="update", view=build_booked_view(booking, names, state.tz))


def submit_move(
    ack: Ack, state: BookingState, services: Services, actor: Actor, workspace_id: str
) -> None:
    """Move the booking being rescheduled to the chosen time and answer on the modal."""
    assert state.moving is not None
    assert state.start is not None
    try:
        moved = reschedule(
            services.engine,
            workspace_id,
            state.moving,
            start=state.start,
            tz=state.tz,
            actor=actor,
            now=services.clock(),
        )
    except SlotUnavailable:
        fresh = replace(state, start=None, offset=0)
        ack(response_action="update", view=screen(services, workspace_id, actor, fresh, SLOT_TAKEN))
        return
    except RoundtableError as refused:
        ack(response_action="update", view=build_notice_view(TITLE, refused.message))
        return
    names = names_of(services, workspace_id)
    ack(response_action="update", view=build_booked_view(moved, names, state.tz, moved=True))


def open_reschedule(
    ack: Ack,
    defer: Defer,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Reschedule: open the modal on the times the booking may move to; refuse in words."""
    ack()
    defer(
        open_move,
        str(action["value"]),
        body["trigger_id"],
        client,
        respond,
        services,
        profiles,
        actor,
        workspace_id,
    )


def open_move(
    booking_id: str,
    trigger_id: str,
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """After ``open_reschedule``'s ack: the modal on the booking's times, or why not."""
    try:
        move = rescheduling(
            services.engine, workspace_id, booking_id, actor=actor, now=services.clock()
        )
    except RoundtableError as refused:
        tell(respond, refused)
        return
    tz = requester_zone(services, profiles, client, workspace_id, actor)
    state = BookingState(
        day=local(move.booking.start, tz).date(),
        tz=tz,
        master_page=move.booking.master_page,
        event_type=move.booking.event_type,
        pick=move.pick,
        moving=move.booking.id,
    )
    open_modal(client, trigger_id, screen(services, workspace_id, actor, state), respond=respond)


def cancel_my_booking(
    ack: Ack,
    defer: Defer,
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Cancel from ``/book-room list``; the list is redrawn with what happened on top."""
    ack()
    defer(cancel_mine, action["value"], client, respond, services, profiles, actor, workspace_id)


def cancel_mine(
    booking_id: str,
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """After ``cancel_my_booking``'s ack: cancel, and redraw the list (or say why not)."""
    try:
        cancelled = cancel(
            services.engine, workspace_id, booking_id, actor=actor, now=services.clock()
        )
    except RoundtableError as refusal:  # not theirs, or cancelled meanwhile
        tell(respond, refusal)
        return
    tz = requester_zone(services, profiles, client, workspace_id, actor)
    kinds = names_of(services, workspace_id).event_types
    notice = f"Cancelled: {kinds.get(cancelled.event_type, cancelled.event_type)}."
    respond(replace_original=True, **my_bookings(services, workspace_id, actor, tz, notice))


# --- what the listeners share ------------------------------------------------------------


def requester_zone(
    services: Services, profiles: Profiles, client: WebClient, workspace_id: str, actor: Actor
) -> str:
    """The requester's Slack time zone, else the workspace's."""
    profile = profiles.get(client, workspace_id, actor.slack_user) if actor.slack_user else None
    if profile is not None and profile.timezone:
        return profile.timezone
    return load_config(services.engine, workspace_id).workspace.timezone


def names_of(services: Services, workspace_id: str) -> Names:
    config = load_config(services.engine, workspace_id)
    return Names(
        pages={key: page.name for key, page in config.pages.items()},
        event_types={key: kind.name for key, kind in config.event_types.items()},
        master_pages={key: master.name for key, master in config.master_pages.items()},
    )


def my_bookings(
    services: Services, workspace_id: str, actor: Actor, tz: str, notice: str | None = None
) -> dict[str, Any]:
    """``/book-room list``: the reader's upcoming bookings, Reschedule where they may."""
    now = services.clock()
    wanted = BookingFilter(ends_after=now, status=BookingStatus.CONFIRMED, mine=True)
    found = list_bookings(services.engine, workspace_id, wanted, actor=actor)
    config = load_config(services.engine, workspace_id)
    movable = {
        booking.id
        for booking in found
        if booking.start > now and roles.may_change(config.workspace, booking, config.pages, actor)
    }
    return build_my_bookings_message(
        found, names_of(services, workspace_id), tz, notice=notice, reschedulable=movable
    ).as_kwargs()


def screen(
    services: Services,
    workspace_id: str,
    actor: Actor,
    state: BookingState,
    notice: str | None = None,
    *,
    named: str | None = None,
    profiles: Profiles | None = None,
    client: WebClient | None = None,
) -> View:
    """The view of the screen after ``state`` (``services.booking_screens.next_screen``).

    ``profiles`` and ``client`` prefill a form with the customer's Slack profile.
    """
    found = next_screen(
        services.engine,
        workspace_id,
        state,
        actor=actor,
        now=services.clock(),
        notice=notice,
        named=named,
    )
    profile = None
    if profiles is not None and client is not None and actor.slack_user:
        profile = profiles.get(client, workspace_id, actor.slack_user)
    return build_screen(found, profile)
