"""The App Home: published on ``app_home_opened`` and after a Cancel pressed on it."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.blocks.calendars import build_calendar_section
from bot.blocks.home import build_home
from bot.handlers.booking import requester_zone
from bot.profiles import Profiles
from bot.work import Defer, after_ack
from engine.errors import RoundtableError
from services.admin import home_overview
from services.booking_changes import cancel
from services.calendars import calendar_home
from services.context import Actor, Services


def register(app: App) -> None:
    """Add the App Home listeners to ``app``."""
    app.event("app_home_opened")(publish_home)
    app.action(re.compile(f"^{re.escape(ids.HOME_CANCEL)}"))(after_ack(cancel_from_home))
    app.action(re.compile(f"^{re.escape(ids.HOME_POOLS)}"))(turn_pools)


def publish_home(
    defer: Defer,
    event: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Show the Home tab (not the Messages tab) to whoever opened it."""
    if event.get("tab", "home") != "home":
        return
    defer(show_home, client, services, profiles, actor, workspace_id)


def cancel_from_home(
    action: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Cancel one of my bookings from the Home tab, then show the Home again with the outcome."""
    try:
        cancel(services.engine, workspace_id, action["value"], actor=actor, now=services.clock())
        notice = "Cancelled. Everyone in the booking is told."
    except RoundtableError as error:
        notice = error.message
    show_home(client, services, profiles, actor, workspace_id, notice=notice)


def turn_pools(
    ack: Ack,
    defer: Defer,
    action: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
) -> None:
    """Previous pools or Next pools: the Home again, on that page of the distribution."""
    ack()
    value = str(action.get("value", ""))
    first = int(value) if value.isdigit() else 0
    defer(show_home, client, services, profiles, actor, workspace_id, pools_from=first)


def show_home(
    client: WebClient,
    services: Services,
    profiles: Profiles,
    actor: Actor,
    workspace_id: str,
    *,
    notice: str | None = None,
    pools_from: int = 0,
) -> None:
    """Publish the actor's Home tab (on the page of pools that holds ``pools_from``)."""
    assert actor.slack_user is not None, "the Home belongs to a Slack user"
    overview = home_overview(services.engine, workspace_id, actor=actor, now=services.clock())
    tz = requester_zone(services, profiles, client, workspace_id, actor)
    calendars = build_calendar_section(
        calendar_home(services.engine, workspace_id, actor=actor), tz=tz
    )
    view = build_home(overview, tz=tz, notice=notice, calendars=calendars, pools_from=pools_from)
    client.views_publish(user_id=actor.slack_user, view=view)
