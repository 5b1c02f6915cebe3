"""The App Home: published on ``app_home_opened`` and after a Cancel pressed on it."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot import ids
from bot.caller import Caller
from bot.handlers.screens import show_home
from bot.work import Defer, after_ack
from engine.errors import RoundtableError


def register(app: App) -> None:
    """Add the App Home listeners to ``app``."""
    app.event("app_home_opened")(publish_home)
    app.action(re.compile(f"^{re.escape(ids.HOME_CANCEL)}"))(after_ack(cancel_from_home))
    app.action(re.compile(f"^{re.escape(ids.HOME_POOLS)}"))(turn_pools)


def publish_home(defer: Defer, event: dict[str, Any], caller: Caller) -> None:
    """Show the Home tab (not the Messages tab) to whoever opened it."""
    if event.get("tab", "home") != "home":
        return
    defer(show_home, caller)


def cancel_from_home(action: dict[str, Any], caller: Caller) -> None:
    """Cancel one of my bookings from the Home tab, then show the Home again with the outcome."""
    try:
        caller.cancel(action["value"])
        notice = "Cancelled. Everyone in the booking is told."
    except RoundtableError as error:
        notice = error.message
    show_home(caller, notice=notice)


def turn_pools(ack: Ack, defer: Defer, action: dict[str, Any], caller: Caller) -> None:
    """Previous pools or Next pools: the Home again, on that page of the distribution."""
    ack()
    value = str(action.get("value", ""))
    first = int(value) if value.isdigit() else 0
    defer(show_home, caller, pools_from=first)
