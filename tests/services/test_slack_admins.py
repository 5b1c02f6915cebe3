"""Slack's owners and admins as admins, through the use cases, on SQLite and PostgreSQL.

``Slack`` stands in for the Slack app's ``bot.profiles.SlackRoles`` (tests/integration covers
that one against the fake Web API) and counts the questions asked: listed roles decide
without asking Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.booking_changes import cancel, mark_no_show, reschedule
from services.booking_reassign import reassign
from services.context import LINK_GUEST, Guest, SlackUser
from services.errors import Forbidden
from services.reporting import pool_report
from tests.services.booking_world import NOW, WS, at, book_at, setup


@dataclass
class Slack:
    admins: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def is_workspace_admin(self, workspace_id: str, user_id: str) -> bool:
        assert workspace_id == WS
        self.asked.append(user_id)
        return user_id in self.admins


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path)
    return db_engine


def test_a_slack_admin_may_do_what_an_admin_may(world: Engine) -> None:
    slack = Slack(admins={"U0SLACKADMIN"})
    booking = book_at(world, "demo", "chat", at(1, 9))
    actor = SlackUser("U0SLACKADMIN", slack=slack)

    assert pool_report(world, WS, "sales", actor=actor, now=NOW).pool == "sales"
    moved = reassign(world, WS, booking.id, to_page="bob", actor=actor, now=NOW)
    assert moved.owner == "bob"
    cancel(world, WS, booking.id, actor=actor, now=NOW)


def test_slack_admins_false_leaves_slack_admins_without_the_role(
    world: Engine, tmp_path: Path
) -> None:
    setup(world, tmp_path, lambda data: data["workspace"].update(slack_admins=False))
    slack = Slack(admins={"U0SLACKADMIN"})
    booking = book_at(world, "demo", "chat", at(1, 9))

    with pytest.raises(Forbidden):
        cancel(world, WS, booking.id, actor=SlackUser("U0SLACKADMIN", slack=slack), now=NOW)
    assert slack.asked == []


def test_listed_roles_decide_without_asking_slack(world: Engine) -> None:
    slack = Slack()
    booking = book_at(world, "demo", "chat", at(1, 9))

    pool_report(world, WS, "sales", actor=SlackUser("U0BOSS", slack=slack), now=NOW)
    reassign(world, WS, booking.id, to_page="bob", actor=SlackUser("U0BOSS", slack=slack), now=NOW)
    cancel(world, WS, booking.id, actor=SlackUser("U0CUST", slack=slack), now=NOW)

    assert slack.asked == []


def test_anyone_else_is_asked_about_once_per_check_and_refused(world: Engine) -> None:
    slack = Slack()
    booking = book_at(world, "demo", "chat", at(1, 9))

    with pytest.raises(Forbidden):
        cancel(world, WS, booking.id, actor=SlackUser("U0STRANGER", slack=slack), now=NOW)

    assert slack.asked == ["U0STRANGER"]


def test_a_guest_is_never_an_admin_and_changes_only_the_booking_it_holds(world: Engine) -> None:
    held = book_at(world, "demo", "chat", at(1, 9))
    other = book_at(world, "demo", "chat", at(1, 11))

    with pytest.raises(Forbidden):
        cancel(world, WS, other.id, actor=Guest(held.id), now=NOW)
    with pytest.raises(Forbidden):
        cancel(world, WS, held.id, actor=LINK_GUEST, now=NOW)
    with pytest.raises(Forbidden):
        pool_report(world, WS, "sales", actor=LINK_GUEST, now=NOW)
    assert cancel(world, WS, held.id, actor=Guest(held.id), now=NOW).id == held.id


def test_listed_roles_decide_reschedule_and_no_show_without_asking_slack(world: Engine) -> None:
    slack = Slack()
    booking = book_at(world, "demo", "chat", at(1, 9))

    customer = SlackUser("U0CUST", slack=slack)
    moved = reschedule(world, WS, booking.id, start=at(1, 11), tz="UTC", actor=customer, now=NOW)
    manager = SlackUser("U0BOSS", slack=slack)
    marked = mark_no_show(world, WS, booking.id, actor=manager, now=at(1, 11, 5))

    assert (moved.start, marked.status.value) == (at(1, 11), "no_show")
    assert slack.asked == []
