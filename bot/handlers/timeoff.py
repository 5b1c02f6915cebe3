"""Time off from the App Home: the Add button and its modal, and Remove on each stretch.

Every action and submission checks the role again in ``services.timeoff`` (a member keeps
their own page's time off, admins any page's); a refusal comes back on the modal's field.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot import ids
from bot.blocks.timeoff import build_time_off_modal, parse_time_off, time_off_errors
from bot.caller import Caller
from bot.handlers.modals import open_modal
from bot.handlers.screens import show_home
from bot.work import Defer, after_ack
from engine.errors import RoundtableError
from engine.zones import zone

NO_PAGE = "You have no booking page of your own, so there is no time off to add."


def register(app: App) -> None:
    """Add the time off listeners to ``app``."""
    app.action(ids.TIME_OFF_OPEN)(after_ack(open_time_off))
    app.view(ids.TIME_OFF_VIEW)(submit_time_off)
    app.action(re.compile(f"^{re.escape(ids.HOME_TIME_OFF_REMOVE)}"))(after_ack(remove_from_home))


def open_time_off(body: dict[str, Any], caller: Caller) -> None:
    """Open the modal with the pages the user may give time off (their own first)."""
    pages = caller.pages_kept_by()
    if not pages:
        show_home(caller, notice=NO_PAGE)
        return
    today = caller.now().astimezone(zone(pages[0].timezone)).date()
    open_modal(caller.client, body["trigger_id"], build_time_off_modal(pages, today=today))


def submit_time_off(ack: Ack, defer: Defer, view: dict[str, Any], caller: Caller) -> None:
    """Add the time off, or answer on the field why not; then refresh the Home."""
    form = parse_time_off(view)
    if form.page is None:
        ack(response_action="errors", errors=time_off_errors("page", "Choose a booking page."))
        return
    if form.first_day is None or form.last_day is None:
        field = "from" if form.first_day is None else "to"
        ack(response_action="errors", errors=time_off_errors(field, "Choose a day."))
        return
    try:
        caller.add_time_off(form.page, form.first_day, form.last_day, reason=form.reason)
    except RoundtableError as refused:
        ack(response_action="errors", errors=time_off_errors(refused.field, refused.message))
        return
    ack()
    defer(show_home, caller, notice="Time off added.")


def remove_from_home(action: dict[str, Any], caller: Caller) -> None:
    """Remove one stretch of time off, then show the Home again with the outcome."""
    try:
        caller.remove_time_off(str(action.get("value")))
        notice = "Time off removed: those days can be booked again."
    except RoundtableError as error:
        notice = error.message
    show_home(caller, notice=notice)
