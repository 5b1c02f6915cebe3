"""Calendars on the App Home: open the connect modal, save it, disconnect.

Every listener checks the role before it shows or saves anything (a member manages their
own page's calendars, an admin any page's), whatever the payload says; the use cases in
``services.calendars`` check it again inside their transaction. A submission is checked
before the ack, so problems come back as ``response_action: errors`` on their field. After
a connect the new calendar is read at once and the Home shows how that went.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot import ids
from bot.blocks.calendars import (
    ANY_PAGE,
    build_connect_modal,
    connect_errors,
    page_options,
    parse_connect_form,
)
from bot.blocks.common import build_notice_view
from bot.caller import Caller
from bot.handlers.modals import open_modal
from bot.handlers.screens import show_home
from bot.work import Defer, after_ack
from engine.errors import BadInput, RoundtableError
from services.calendar_sync import sync_interval
from services.errors import Forbidden

NOT_YOURS = "You can connect calendars to your own booking page only; an admin can do it for any."


def register(app: App) -> None:
    """Add the calendar listeners to ``app``."""
    app.action(re.compile(f"^{re.escape(ids.CALENDAR_CONNECT)}"))(after_ack(open_connect))
    app.action(re.compile(f"^{re.escape(ids.CALENDAR_DISCONNECT)}"))(
        after_ack(disconnect_from_home)
    )
    app.options(f"{ids.CALENDAR_FIELD}page")(suggest_pages)
    app.view(ids.CALENDAR_VIEW)(save_connection)


def open_connect(body: dict[str, Any], action: dict[str, Any], caller: Caller) -> None:
    """Open the connect modal for the button's page (admins: any page), if the actor may."""
    home = caller.calendar_home()
    wanted = str(action.get("value") or "")
    page = next((p for p in home.pages if p.id == wanted), None)
    if (wanted != ANY_PAGE and page is None) or (wanted == ANY_PAGE and not home.admin):
        view = build_notice_view("Connect a calendar", NOT_YOURS)
    else:
        view = build_connect_modal(page, home.pages)
    open_modal(caller.client, body["trigger_id"], view)


def suggest_pages(ack: Ack, payload: dict[str, Any], caller: Caller) -> None:
    """Answer the page select of an admin's connect modal; nobody else gets any names."""
    home = caller.calendar_home()
    if not home.admin:
        ack(options=[])
        return
    options = page_options(home.pages, str(payload.get("value", "")))
    ack(options=[option.to_dict("block") for option in options])


def save_connection(ack: Ack, defer: Defer, view: dict[str, Any], caller: Caller) -> None:
    """Check and store a submitted connection, then read it and show the Home."""
    has_page = not view.get("private_metadata")
    try:
        form = parse_connect_form(view)
        connection = caller.connect(
            [form.page],
            kind=form.kind,
            url=form.url,
            username=form.username,
            password=form.password,
            write=form.write,
        )
    except Forbidden:
        ack(response_action="update", view=build_notice_view("Connect a calendar", NOT_YOURS))
        return
    except BadInput as error:
        ack(
            response_action="errors",
            errors=connect_errors(error.field, error.message, has_page=has_page),
        )
        return
    ack()
    defer(_read_connection, form.page, connection.id, caller)


def _read_connection(page: str, connection_id: str, caller: Caller) -> None:
    """After ``save_connection``'s ack: read the new connection, and show the Home."""
    results = caller.sync_now(page, interval=sync_interval())
    mine = next((r for r in results if r.id == connection_id), None)
    if mine is None or mine.error is None:
        busy = 0 if mine is None else mine.busy
        plural = "s" if busy != 1 else ""
        notice = f":white_check_mark: Calendar connected: {busy} busy block{plural} read."
    else:
        notice = f":warning: Calendar connected, but it could not be read yet: {mine.error}"
    show_home(caller, notice=notice)


def disconnect_from_home(action: dict[str, Any], caller: Caller) -> None:
    """Disconnect a calendar (if the actor manages every page it serves), then show the Home."""
    try:
        caller.disconnect(str(action.get("value", "")))
        notice = "Calendar disconnected; its busy times no longer count."
    except RoundtableError as error:
        notice = error.message
    show_home(caller, notice=notice)
