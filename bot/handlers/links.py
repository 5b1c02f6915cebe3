"""/book-link: one-time links for guests, and the DM button that opens their modal.

A link that cannot be used (used, expired, revoked, unknown) is answered in words: the
button opens a modal saying so; the service's messages reveal nothing about the pages.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot import ids
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
from bot.handlers.booking import requester_zone, screen
from bot.handlers.modals import open_modal
from bot.handlers.refusals import tell
from bot.profiles import Profile, Profiles
from bot.work import Defer, after_ack
from engine.errors import BadInput, RoundtableError
from engine.model import MasterMode
from services.booking_screens import BookingState
from services.config import load_config
from services.context import Actor, Services
from services.errors import LinkRefused
from services.links import CreatedLink, create_link, resolve_link
from services.slots import link_members

LINK_TITLE = "Booking link"
NOTHING_TO_LINK = "No master page here has dynamic rules, so there is nothing to link to."
UNKNOWN_GUEST = "I couldn't find that person in Slack. Mention them with @ and try again."
SENDING = "Sending the link…"
_log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Add the /book-link listeners to ``app``."""
    app.command(ids.BOOK_LINK_COMMAND)(after_ack(send_guest_link))
    app.action(ids.LINK_OPEN)(after_ack(open_guest_modal))
    app.view(ids.LINK_MEMBER_VIEW)(send_member_link)


def send_guest_link(
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """``/book-link @guest [master page]``: create a personalized link and DM it to the guest.

    A master page with a flexible round robin first asks whom the link books.
    """
    try:
        asked = parse_book_link_command(command.get("text", ""))
    except ValueError as error:
        respond(response_type="ephemeral", **build_notice_message(str(error)).as_kwargs())
        return
    guest = profiles.get(client, workspace_id, asked.guest)
    found = linkable_master_pages(services, workspace_id)
    master = choose(found, asked.master_page)
    if guest is None or master is None:
        answer = _message(UNKNOWN_GUEST) if guest is None else _message(NOTHING_TO_LINK)
        if guest is not None and found:
            answer = build_choose_master_page_message(found).as_kwargs()
        respond(response_type="ephemeral", **answer)
        return
    link_for = LinkAsked(asked.guest, *master)
    try:
        members = link_members(
            services.engine, workspace_id, master[0], actor=actor, now=services.clock()
        )
        if members is not None:
            modal = build_link_member_modal(link_for, members)
            open_modal(client, command["trigger_id"], modal, respond=respond)
            return
        link = _create(services, workspace_id, actor, guest, master[0], None)
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    sent = _deliver(services, client, profiles, actor, workspace_id, guest, link_for, link)
    respond(response_type="ephemeral", **sent.as_kwargs())


def send_member_link(
    ack: Ack,
    defer: Defer,
    view: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """The member modal's "Send link": a link booking the chosen member, DMed to the guest."""
    link_for, member = parse_link_member(view)
    guest = profiles.get(client, workspace_id, link_for.guest)
    if guest is None:
        ack(response_action="update", view=build_notice_view(LINK_TITLE, UNKNOWN_GUEST))
        return
    try:
        link = _create(services, workspace_id, actor, guest, link_for.master_page, member)
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
    defer(
        _send_member_link,
        view["id"],
        link_for,
        link,
        guest,
        client,
        services,
        profiles,
        actor,
        workspace_id,
    )


def _send_member_link(
    view_id: str,
    link_for: LinkAsked,
    link: CreatedLink,
    guest: Profile,
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """After ``send_member_link``'s ack: DM the link, and say on the modal how it went."""
    answer = _deliver(services, client, profiles, actor, workspace_id, guest, link_for, link)
    sent = View(
        type="modal",
        callback_id=ids.LINK_SENT_VIEW,
        title=plain(LINK_TITLE, MAX_TITLE),
        close=plain("Done", MAX_TITLE),
        blocks=list(answer.blocks),
    )
    client.views_update(view_id=view_id, view=sent)


def _create(
    services: Services,
    workspace_id: str,
    actor: Actor,
    guest: Profile,
    master_page: str,
    member: str | None,
) -> CreatedLink:
    """Create the guest's personalized link (naming ``member`` for a flexible seat)."""
    return create_link(
        services.engine,
        workspace_id,
        master_page,
        name=guest.name,
        email=guest.email,
        member=member,
        actor=actor,
        now=services.clock(),
        public_url=services.public_url,
    )


def _deliver(
    services: Services,
    client: WebClient,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
    guest: Profile,
    link_for: LinkAsked,
    link: CreatedLink,
) -> MessageContent:
    """DM the link to the guest; return what the requester is told."""
    tz = guest.timezone or requester_zone(services, profiles, client, workspace_id, actor)
    dm = build_link_dm(
        inviter=actor.slack_user or "",
        master_page=link_for.master_page_name,
        url=link.url,
        token=link.token,
        expires_at=link.expires_at,
        tz=tz,
    )
    try:
        client.chat_postMessage(channel=link_for.guest, **dm.as_kwargs())
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


def open_guest_modal(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
) -> None:
    """The DM's "Book a time": the booking modal for the link, or why it cannot be used."""
    token = str(action.get("value", ""))
    try:
        link = resolve_link(services.engine, token, now=services.clock())
    except LinkRefused as refused:
        view = build_notice_view(LINK_TITLE, refused.message, callback_id=ids.LINK_NOTICE_VIEW)
        open_modal(client, body["trigger_id"], view, respond=respond)
        return
    tz = requester_zone(services, profiles, client, link.workspace_id, actor)
    state = BookingState(day=local(services.clock(), tz).date(), tz=tz, link=token)
    state = replace(state, master_page=link.master_page)
    try:
        view = screen(services, link.workspace_id, actor, state)
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    open_modal(client, body["trigger_id"], view, respond=respond)


def linkable_master_pages(services: Services, workspace_id: str) -> list[tuple[str, str]]:
    """The master pages a link may open (those with dynamic rules): ids and names."""
    return [
        (master.id, master.name)
        for master in load_config(services.engine, workspace_id).master_pages.values()
        if master.mode is MasterMode.DYNAMIC
    ]


def choose(found: list[tuple[str, str]], asked: str | None) -> tuple[str, str] | None:
    """The master page named by ``asked`` (id or name, any case), else the only one there is."""
    if asked is None:
        return found[0] if len(found) == 1 else None
    wanted = asked.strip().lower()
    return next((m for m in found if wanted in (m[0].lower(), m[1].lower())), None)


def _message(text: str) -> dict[str, Any]:
    return build_notice_message(text).as_kwargs()
