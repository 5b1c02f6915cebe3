"""What several features show: the booking modal's next screen and the App Home.

Shared by the feature modules, which never import one another (``tests/test_layers.py``).
"""

from __future__ import annotations

from slack_sdk.models.views import View

from bot.blocks.booking import build_screen
from bot.blocks.calendars import build_calendar_section
from bot.blocks.home import build_home
from bot.caller import Caller
from services.booking_screens import BookingState, FormScreen


def booking_screen(
    caller: Caller, state: BookingState, notice: str | None = None, *, named: str | None = None
) -> View:
    """The view of the booking modal's screen after ``state`` (``Caller.next_screen``).

    A form the customer fills in for themselves (``FormScreen.prefill``) is prefilled from
    their Slack profile, which is looked up for that screen only.
    """
    found = caller.next_screen(state, notice, named=named)
    wants_profile = isinstance(found, FormScreen) and found.prefill
    return build_screen(found, caller.profile if wants_profile else None)


def show_home(caller: Caller, *, notice: str | None = None, pools_from: int = 0) -> None:
    """Publish the caller's Home tab (on the page of pools that holds ``pools_from``)."""
    overview = caller.home_overview()
    tz = caller.zone
    calendars = build_calendar_section(caller.calendar_home(), tz=tz)
    view = build_home(overview, tz=tz, notice=notice, calendars=calendars, pools_from=pools_from)
    caller.client.views_publish(user_id=caller.user, view=view)
