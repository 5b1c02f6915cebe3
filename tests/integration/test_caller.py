"""``bot.caller.Caller``: the requester's time zone and profile are looked up on first use."""

from __future__ import annotations

from typing import Any

from bot.caller import Caller
from bot.profiles import Profile
from services.context import Services, SlackUser
from tests.integration.conftest import CUSTOMER, NOW

WS = "T0TEST"


class CountingProfiles:
    """A ``Profiles`` that answers from a dict and counts what it was asked."""

    def __init__(self, known: dict[str, Profile]) -> None:
        self.known = known
        self.asked: list[str] = []

    def get(self, client: Any, workspace_id: str, user_id: str, **_: Any) -> Profile | None:
        self.asked.append(user_id)
        return self.known.get(user_id)


def _caller(services: Services, profiles: CountingProfiles) -> Caller:
    return Caller(services, profiles, client=None, actor=SlackUser(CUSTOMER), workspace_id=WS)  # type: ignore[arg-type]


def test_the_zone_is_looked_up_on_first_use_and_then_kept(services: Services) -> None:
    profiles = CountingProfiles({CUSTOMER: Profile(CUSTOMER, timezone="Asia/Tokyo")})
    caller = _caller(services, profiles)
    assert profiles.asked == [], "building a caller asks Slack nothing"

    assert caller.zone == "Asia/Tokyo"
    assert caller.zone == "Asia/Tokyo"
    assert profiles.asked == [CUSTOMER]


def test_without_a_slack_zone_the_workspace_s_counts(services: Services) -> None:
    caller = _caller(services, CountingProfiles({CUSTOMER: Profile(CUSTOMER)}))
    assert caller.zone == "Europe/London"
    unknown = _caller(services, CountingProfiles({}))
    assert unknown.zone == "Europe/London"


def test_each_use_case_reads_the_clock_when_it_runs(services: Services) -> None:
    caller = _caller(services, CountingProfiles({}))
    assert caller.now() == NOW
    services.clock.now = NOW.replace(hour=9)  # type: ignore[attr-defined]
    assert caller.now() == NOW.replace(hour=9)
    assert caller.my_upcoming().bookings == []
