"""Slack's owners and admins are Roundtable admins, so a workspace is set up without a file.

Over signed HTTP against the fake Web API, whose ``users.info`` answers ``is_admin`` and
``is_owner``: a Slack admin opens ``/book-admin`` in a workspace Slack has never sent a request
for (it starts empty) and saves its first booking page; ``slack_admins: false`` turns the rule
off; a plain member is refused; a Slack admin demoted in Slack loses the role within a minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient

from bot import ids
from bot.blocks.admin import block_id
from bot.profiles import ROLE_MAX_AGE_SECONDS, Profiles, SlackRoles
from services.config import apply_config, load_config
from tests.integration.conftest import ADMIN, CUSTOMER
from tests.integration.driver import as_dict
from tests.integration.test_admin import _click_in_modal, _submit

OWNER = "U0OWNER"
SLACK_ADMIN = "U0SLADMIN"
NEW_TEAM = "T0FRESH"


@pytest.fixture(autouse=True)
def slack_roles(fake):
    fake.add_user(OWNER, real_name="Olga Owner", is_owner=True)
    fake.add_user(SLACK_ADMIN, real_name="Sam Admin", is_admin=True)


def _menu_opened_for(slack, fake, user: str) -> bool:
    before = len(fake.calls_to("views.open"))
    response = slack.command(ids.BOOK_ADMIN_COMMAND, user=user)
    assert response.status == 200
    opened = fake.calls_to("views.open")[before:]
    return bool(opened) and as_dict(opened[-1].args["view"])["callback_id"] == ids.ADMIN_MENU


def test_a_slack_admin_and_a_slack_owner_are_roundtable_admins(slack, fake):
    assert _menu_opened_for(slack, fake, SLACK_ADMIN)
    assert _menu_opened_for(slack, fake, OWNER)


def test_a_plain_member_is_refused_after_slack_says_so(slack, fake):
    assert not _menu_opened_for(slack, fake, CUSTOMER)

    assert "Only the workspace's admins" in slack.last_message()["text"]
    assert [call.args["user"] for call in fake.calls_to("users.info")] == [CUSTOMER]


def test_a_listed_admin_needs_no_question_to_slack(slack, fake):
    assert _menu_opened_for(slack, fake, ADMIN)

    assert fake.calls_to("users.info") == []


def test_slack_admins_false_leaves_only_the_listed_admins(slack, fake, engine, tmp_path: Path):
    data = yaml.safe_load(Path(__file__).with_name("workspace.yml").read_text())
    data["workspace"]["slack_admins"] = False
    changed = tmp_path / "workspace.yml"
    changed.write_text(yaml.safe_dump(data))
    apply_config(engine, changed)

    assert not _menu_opened_for(slack, fake, SLACK_ADMIN)
    assert _menu_opened_for(slack, fake, ADMIN)
    assert load_config(engine, "T0TEST").workspace.slack_admins is False


def test_slack_cannot_answer_so_nobody_becomes_an_admin(slack, fake):
    fake.fail_next("users.info", status=500)

    assert not _menu_opened_for(slack, fake, SLACK_ADMIN)


def test_a_new_workspace_starts_empty_and_its_slack_admin_sets_it_up(slack, fake, engine):
    slack.team = NEW_TEAM

    assert _menu_opened_for(slack, fake, SLACK_ADMIN)
    started = load_config(engine, NEW_TEAM)
    assert started.pages == {}
    assert started.workspace.admins == ()
    assert started.workspace.slack_admins is True
    assert started.workspace.timezone == "UTC"

    menu = as_dict(fake.calls_to("views.open")[-1].args["view"])
    _click_in_modal(slack, menu, ids.ADMIN_NEW + "member", user=SLACK_ADMIN)
    modal = as_dict(fake.calls_to("views.push")[-1].args["view"])
    answers = {
        block_id("id"): "sam",
        block_id("name"): "Sam Admin",
        block_id("slack_user"): SLACK_ADMIN,
        block_id("hours.mon"): "09:00-17:00",
    }
    response = _submit(slack, modal, user=SLACK_ADMIN, **answers)

    assert response.status == 200
    assert response.json() is None  # plain ack: saved
    [page] = load_config(engine, NEW_TEAM).pages.values()
    assert (page.id, page.slack_user) == ("sam", SLACK_ADMIN)


def test_a_new_workspace_refuses_its_plain_members_the_setup(slack, fake, engine):
    slack.team = NEW_TEAM

    assert not _menu_opened_for(slack, fake, CUSTOMER)
    assert load_config(engine, NEW_TEAM).pages == {}


def test_a_demoted_slack_admin_loses_the_role_within_a_minute(fake):
    now = [1000.0]
    roles = SlackRoles(Profiles(clock=lambda: now[0]), WebClient(base_url=fake.base_url))

    assert roles.is_workspace_admin("T0TEST", SLACK_ADMIN)
    fake.add_user(SLACK_ADMIN, real_name="Sam Admin", is_admin=False)
    now[0] += ROLE_MAX_AGE_SECONDS / 2
    assert roles.is_workspace_admin("T0TEST", SLACK_ADMIN)  # cached: one users.info so far
    assert len(fake.calls_to("users.info")) == 1
    now[0] += ROLE_MAX_AGE_SECONDS
    assert not roles.is_workspace_admin("T0TEST", SLACK_ADMIN)
    assert len(fake.calls_to("users.info")) == 2
