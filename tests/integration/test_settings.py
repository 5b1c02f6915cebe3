"""Settings come from the environment; each problem names its variable."""

from __future__ import annotations

import pytest

from bot.settings import (
    BOT_SCOPES,
    SLACK_VARIABLES,
    ServerSettings,
    SettingsError,
    load_settings,
)

BASE = {"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"}


def test_a_bot_token_and_a_signing_secret_are_enough():
    settings = load_settings(BASE)

    assert settings.port == 3000
    assert settings.public_url == "http://localhost:3000"
    assert settings.database_url == "sqlite:///roundtable.db"
    assert settings.oauth is None
    assert settings.api_url is None


def test_every_setting_is_read_and_normalized():
    settings = load_settings(
        {
            **BASE,
            "PORT": "8080",
            "PUBLIC_URL": "https://book.example.com/",
            "SLACK_API_URL": "https://slack-gov.com/api",
            "DATABASE_URL": "postgresql://u@db/roundtable",
            "SLACK_APP_TOKEN": "xapp-1",
        }
    )

    assert settings.port == 8080
    assert settings.public_url == "https://book.example.com"
    assert settings.redirect_uri == "https://book.example.com/slack/oauth_redirect"
    assert settings.api_url == "https://slack-gov.com/api/"
    assert settings.database_url == "postgresql+psycopg://u@db/roundtable"


def test_oauth_needs_no_bot_token_and_asks_for_the_apps_scopes():
    settings = load_settings(
        {"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}
    )

    assert settings.oauth is not None
    assert settings.oauth.scopes == BOT_SCOPES
    assert settings.bot_token is None


def test_socket_mode_needs_an_app_token_but_no_signing_secret():
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, socket_mode=True
    )

    assert settings.app_token == "xapp-1"
    with pytest.raises(SettingsError) as raised:
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, socket_mode=True)
    assert raised.value.variable == "SLACK_APP_TOKEN"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({**BASE, "SLACK_BOT_TOKEN": "xoxp-1"}, "SLACK_BOT_TOKEN"),
        ({**BASE, "SLACK_APP_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        ({**BASE, "PORT": "70000"}, "PORT"),
        ({**BASE, "PUBLIC_URL": "book.example.com"}, "PUBLIC_URL"),
        ({**BASE, "SLACK_API_URL": "localhost:9"}, "SLACK_API_URL"),
        ({**BASE, "SLACK_CLIENT_SECRET": "c"}, "SLACK_CLIENT_ID"),
        ({**BASE, "DATABASE_URL": "::nonsense::"}, "DATABASE_URL"),
        ({**BASE, "SLACK_SIGNING_SECRET": "   "}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_a_missing_or_malformed_setting_names_its_variable(environ, variable):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ)

    assert raised.value.variable == variable
    assert str(raised.value).startswith(f"{variable}: ")
    assert "\n" not in str(raised.value)


def test_without_any_slack_variable_only_the_server_settings_are_read():
    settings = load_settings({"PORT": "8080", "SLACK_API_URL": "https://slack-gov.com/api"})

    assert type(settings) is ServerSettings
    assert settings.port == 8080
    assert settings.public_url == "http://localhost:8080"


@pytest.mark.parametrize("variable", SLACK_VARIABLES)
def test_any_slack_variable_asks_for_the_slack_app_in_full(variable):
    value = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}.get(variable, "x")

    with pytest.raises(SettingsError):
        load_settings({variable: value})


def test_socket_mode_asks_for_slack_even_without_any_slack_variable():
    with pytest.raises(SettingsError) as raised:
        load_settings({}, socket_mode=True)

    assert raised.value.variable.startswith("SLACK_")


def test_a_database_path_instead_of_a_url_is_answered_with_the_url_meant():
    with pytest.raises(SettingsError) as raised:
        load_settings({**BASE, "DATABASE_URL": "/var/lib/roundtable/roundtable.db"})

    assert raised.value.variable == "DATABASE_URL"
    assert "write sqlite:////var/lib/roundtable/roundtable.db" in raised.value.problem
