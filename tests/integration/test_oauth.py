"""With SLACK_CLIENT_ID/SECRET the app installs over OAuth and keeps installs in its database."""

from __future__ import annotations

import re
import urllib.request
from dataclasses import replace

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import inspect

from bot.app import build_app, workspace_clients
from bot.server import build_wsgi_app
from bot.settings import OAuthCredentials
from services.config import load_config
from tests.integration.conftest import CUSTOMER, SECRET
from tests.integration.driver import SlackDriver, TrackingExecutor
from tests.serving import served


@pytest.fixture
def oauth_app(settings, services):
    oauth = OAuthCredentials(client_id="1111.2222", client_secret="oauth-secret")
    settings = replace(settings, bot_token=None, oauth=oauth)
    executor = TrackingExecutor()
    app = build_app(settings, services, work=executor)
    return settings, app, executor


@pytest.fixture
def oauth_slack(oauth_app, services, fake):
    _, app, executor = oauth_app
    with served(build_wsgi_app(app, services)) as url:
        try:
            yield SlackDriver(url, SECRET, fake, executor)
        finally:
            executor.shutdown(wait=True)


def _install(app, team="T0TEST", token="xoxb-installed-token"):
    app.installation_store.save(
        Installation(
            app_id="A0ROUNDTABLE",
            team_id=team,
            bot_token=token,
            bot_id="B0BOT",
            bot_user_id="U0BOT",
            bot_scopes=["commands", "chat:write"],
            user_id="U0ADMIN",
        )
    )


def test_the_install_page_sends_the_admin_to_slack_with_a_stored_state(oauth_slack, engine):
    with urllib.request.urlopen(oauth_slack.url + "/slack/install", timeout=5) as answer:
        page = answer.read().decode()

    assert answer.status == 200
    assert "client_id=1111.2222" in page
    assert "redirect_uri=https://roundtable.example.com/slack/oauth_redirect" in page
    assert "scope=chat:write,chat:write.public,commands,im:write,users:read" in page
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= set(
        inspect(engine).get_table_names()
    )


def test_an_installed_workspace_is_served_with_its_own_bot_token(oauth_app, oauth_slack, fake):
    _install(oauth_app[1])

    response = oauth_slack.command("/book-room", "list", user=CUSTOMER)

    assert response.status == 200
    [lookup] = fake.calls_to("users.info")
    assert lookup.headers["authorization"] == "Bearer xoxb-installed-token"
    assert "no upcoming bookings" in oauth_slack.last_message()["text"]


def test_a_workspace_that_has_not_installed_the_app_is_not_served(oauth_slack, fake):
    response = oauth_slack.command("/book-room", "list", user=CUSTOMER)

    assert response.status == 200
    assert fake.calls_to("users.info") == []


def test_background_jobs_reach_each_workspace_with_its_installation(oauth_app):
    settings, app, _ = oauth_app
    _install(app, team="T0TEST", token="xoxb-first")
    _install(app, team="T0OTHER", token="xoxb-second")
    client_for = workspace_clients(settings, app)

    assert client_for("T0TEST").token == "xoxb-first"
    assert client_for("T0OTHER").token == "xoxb-second"
    assert client_for("T0OTHER").base_url == settings.api_url
    with pytest.raises(LookupError):
        client_for("T0NOWHERE")


def test_an_install_over_oauth_records_the_workspace_empty(oauth_slack, fake, engine):
    fake.installs_team = "T0NEWCO"
    with urllib.request.urlopen(oauth_slack.url + "/slack/install", timeout=5) as answer:
        cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
        state = re.search(r"state=([\w-]+)", answer.read().decode())
    assert state is not None
    redirect = urllib.request.Request(
        f"{oauth_slack.url}/slack/oauth_redirect?code=the-code&state={state[1]}",
        headers={"Cookie": cookie},
    )

    with urllib.request.urlopen(redirect, timeout=5) as answer:
        assert answer.status == 200

    assert fake.calls_to("oauth.v2.access")[0].args["code"] == "the-code"
    started = load_config(engine, "T0NEWCO")
    assert started.pages == {}
    assert started.workspace.slack_admins is True
