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

from bot import ids
from bot.blocks.booking import BookingState
from bot.blocks.common import build_notice_message, build_notice_view, local
from bot.blocks.links import (
    build_choose_master_page_message,
    build_link_dm,
    build_link_sent_message,
    parse_book_link_command,
)
from bot.handlers.booking import requester_zone, screen
from bot.handlers.modals import open_modal
from bot.handlers.refusals import tell
from bot.profiles import Profiles
from engine.errors import LinkRefused, RoundtableError
from engine.model import MasterMode
from services.config import load_config
from services.context import Actor, Services
from services.links import create_link, resolve_link

LINK_TITLE = "Booking link"
NOTHING_TO_LINK = "No master page here has dynamic rules, so there is nothing to link to."
UNKNOWN_GUEST = "I couldn't find that person in Slack. Mention them with @ and try again."
_log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Add the /book-link listeners to ``app``."""
    app.command(ids.BOOK_LINK_COMMAND)(send_guest_link)
    app.action(ids.LINK_OPEN)(open_guest_modal)


def send_guest_link(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """``/book-link @guest [master page]``: create a personalized link and DM it to the guest."""
    ack()
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
    try:
        link = create_link(
            services.engine,
            workspace_id,
            master[0],
            name=guest.name,
            email=guest.email,
            actor=actor,
            now=services.clock(),
            public_url=services.public_url,
        )
    except RoundtableError as refusal:
        tell(respond, refusal)
        return
    tz = guest.timezone or requester_zone(services, profiles, client, workspace_id, actor)
    dm = build_link_dm(
        inviter=actor.slack_user or "",
        master_page=master[1],
        url=link.url,
        token=link.token,
        expires_at=link.expires_at,
        tz=tz,
    )
    try:
        client.chat_postMessage(channel=asked.guest, **dm.as_kwargs())
    except SlackApiError as error:
        _log.info("could not DM the guest: %s", error.response.get("error"))
        text = f"I made the link but couldn't message <@{asked.guest}>. Send them {link.url}"
        respond(response_type="ephemeral", **_message(text))
        return
    sent = build_link_sent_message(
        guest=asked.guest, master_page=master[1], url=link.url, expires_at=link.expires_at, tz=tz
    )
    respond(response_type="ephemeral", **sent.as_kwargs())


def open_guest_modal(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    profiles: Profiles,
    actor: Actor,
) -> None:
    """The DM's "Book a time": the booking modal for the link, or why it cannot be used."""
    ack()
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
        for master in load_config(services.engine, workspace_id).master_pages
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
