"""/book-link: one-time links for guests, and the DM button that opens their modal.

A link that cannot be used (used, expired, revoked, unknown) is answered in words: the
button opens a modal saying so; the service's messages reveal nothing about the pages.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.booking import FINDING
from bot.blocks.common import (
    MAX_TITLE,
    MessageContent,
    build_notice_message,
    build_notice_view,
    local,
    plain,
)
from bot.blocks.links import (
    LinkAsked,
    build_choose_master_page_message,
    build_link_dm,
    build_link_member_modal,
    build_link_sent_message,
    parse_book_link_command,
    parse_link_member,
)
from bot.caller import Caller
from bot.handlers.modals import PendingModal, open_modal, opens_modal
from bot.handlers.refusals import tell
from bot.handlers.screens import booking_screen
from bot.profiles import Profile
from bot.work import Defer, after_ack
from engine.errors import BadInput, RoundtableError
from services.booking_screens import BookingState
from services.errors import LinkRefused
from services.links import CreatedLink

LINK_TITLE = "Booking link"
NOTHING_TO_LINK = "No master page here has dynamic rules, so there is nothing to link to."
UNKNOWN_GUEST = "I couldn't find that person in Slack. Mention them with @ and try again."
SENDING = "Sending the link…"
_log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Add the /book-link listeners to ``app``."""
    app.command(ids.BOOK_LINK_COMMAND)(after_ack(send_guest_link))
    app.action(ids.LINK_OPEN)(opens_modal(open_guest_modal, LINK_TITLE, loading=FINDING))
    app.view(ids.LINK_MEMBER_VIEW)(send_member_link)


def send_guest_link(command: dict[str, Any], respond: Respond, caller: Caller) -> None:
    """``/book-link @guest [master page]``: create a personalized link and DM it to the guest.

    A master page with a flexible round robin first asks whom the link books
    (``services.slots.plan_link`` decides).
    """
    try:
        asked = parse_book_link_command(command.get("text", ""))
    except ValueError as error:
        respond(response_type="ephemeral", **build_notice_message(str(error)).as_kwargs())
        return
    guest = caller.profile_of(asked.guest)
    if guest is None:
        respond(response_type="ephemeral", **_message(UNKNOWN_GUEST))
        return
    try:
        plan = caller.plan_link(asked.master_page)
        if plan.master_page is None:
            found = [(choice.id, choice.name) for choice in plan.linkable]
            answer = build_choose_master_page_message(found).as_kwargs() if found else None
            respond(response_type="ephemeral", **(answer or _message(NOTHING_TO_LINK)))
            return
        link_for = LinkAsked(asked.guest, plan.master_page.id, plan.master_page.name)
        if plan.members is not None:
            modal = build_link_member_modal(link_for, plan.members)
            open_modal(caller.client, command["trigger_id"], modal, respond=respond)
            return
        link = _create(caller, guest, plan.master_page.id, None)
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    sent = _deliver(caller, guest, link_for, link)
    respond(response_type="ephemeral", **sent.as_kwargs())


def send_member_link(ack: Ack, defer: Defer, view: dict[str, Any], caller: Caller) -> None:
    """The member modal's "Send link": a link booking the chosen member, DMed to the guest."""
    link_for, member = parse_link_member(view)
    guest = caller.profile_of(link_for.guest)
    if guest is None:
        ack(response_action="update", view=build_notice_view(LINK_TITLE, UNKNOWN_GUEST))
        return
    try:
        link = _create(caller, guest, link_for.master_page, member)
    except BadInput as error:
        if error.field == "member":
            ack(response_action="errors", errors={ids.LINK_MEMBER: error.message})
        else:
            ack(response_action="update", view=build_notice_view(LINK_TITLE, error.message))
        return
    except RoundtableError as error:
        ack(response_action="update", view=build_notice_view(LINK_TITLE, error.message))
        return
    ack(response_action="update", view=build_notice_view(LINK_TITLE, SENDING))
    defer(_send_member_link, view["id"], link_for, link, guest, caller)


def _send_member_link(
    view_id: str, link_for: LinkAsked, link: CreatedLink, guest: Profile, caller: Caller
) -> None:
    """After ``send_member_link``'s ack: DM the link, and say on the modal how it went."""
    answer = _deliver(caller, guest, link_for, link)
    sent = View(
        type="modal",
        callback_id=ids.LINK_SENT_VIEW,
        title=plain(LINK_TITLE, MAX_TITLE),
        close=plain("Done", MAX_TITLE),
        blocks=list(answer.blocks),
    )
    caller.client.views_update(view_id=view_id, view=sent)


def _create(caller: Caller, guest: Profile, master_page: str, member: str | None) -> CreatedLink:
    """Create the guest's personalized link (naming ``member`` for a flexible seat)."""
    return caller.create_link(master_page, name=guest.name, email=guest.email, member=member)


def _deliver(
    caller: Caller, guest: Profile, link_for: LinkAsked, link: CreatedLink
) -> MessageContent:
    """DM the link to the guest; return what the requester is told."""
    tz = guest.timezone or caller.zone
    dm = build_link_dm(
        inviter=caller.user,
        master_page=link_for.master_page_name,
        url=link.url,
        token=link.token,
        expires_at=link.expires_at,
        tz=tz,
    )
    try:
        caller.client.chat_postMessage(channel=link_for.guest, **dm.as_kwargs())
    except SlackApiError as error:
        _log.info("could not DM the guest: %s", error.response.get("error"))
        text = f"I made the link but couldn't message <@{link_for.guest}>. Send them {link.url}"
        return build_notice_message(text)
    return build_link_sent_message(
        guest=link_for.guest,
        master_page=link_for.master_page_name,
        url=link.url,
        expires_at=link.expires_at,
        tz=tz,
    )


def open_guest_modal(modal: PendingModal, action: dict[str, Any], caller: Caller) -> None:
    """The DM's "Book a time": the booking modal for the link, or why it cannot be used."""
    token = str(action.get("value", ""))
    try:
        link = caller.resolve_link(token)
    except LinkRefused as refused:
        view = build_notice_view(LINK_TITLE, refused.message, callback_id=ids.LINK_NOTICE_VIEW)
        modal.open(view)
        return
    linked = caller.in_workspace(link.workspace_id)
    tz = linked.zone
    state = BookingState(day=local(caller.now(), tz).date(), tz=tz, link=token)
    state = replace(state, master_page=link.master_page)
    try:
        view = booking_screen(linked, state)
    except RoundtableError as refusal:
        modal.tell(refusal)
        return
    modal.open(view)


def _message(text: str) -> dict[str, Any]:
    return build_notice_message(text).as_kwargs()
