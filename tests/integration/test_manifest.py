"""manifest.yml is a valid Slack manifest and names exactly what the app listens to."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from slack_bolt import App

from bot.app import build_app
from bot.settings import BOT_SCOPES
from tests.integration.conftest import ADMIN

ROOT = Path(__file__).parents[2]
# Slack's manifest schema, kept beside the test with its MIT license (schemas/).
SCHEMA = Path(__file__).with_name("schemas") / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest():
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.fixture
def registered(monkeypatch, settings, services):
    """Build the app while recording the commands and events its modules register."""
    seen: dict[str, list[str]] = {"commands": [], "events": []}
    command, event = App.command, App.event

    def record_command(self, name, *args, **kwargs):
        seen["commands"].append(name)
        return command(self, name, *args, **kwargs)

    def record_event(self, name, *args, **kwargs):
        seen["events"].append(name)
        return event(self, name, *args, **kwargs)

    monkeypatch.setattr(App, "command", record_command)
    monkeypatch.setattr(App, "event", record_event)
    build_app(settings, services)
    return seen


def test_the_manifest_is_valid_against_slacks_schema(manifest):
    schema = json.loads(SCHEMA.read_text())

    jsonschema.validate(manifest, schema)


def test_the_manifest_lists_exactly_the_commands_the_app_registers(manifest, registered):
    listed = sorted(item["command"] for item in manifest["features"]["slash_commands"])

    assert listed == sorted(registered["commands"])


def test_the_manifest_subscribes_to_exactly_the_events_the_app_handles(manifest, registered):
    listed = manifest["settings"]["event_subscriptions"]["bot_events"]

    assert sorted(listed) == sorted(set(registered["events"]))


def test_the_manifest_asks_for_the_scopes_an_oauth_install_asks_for(manifest):
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_every_url_in_the_manifest_is_an_endpoint_of_the_server(manifest):
    commands = {item["url"] for item in manifest["features"]["slash_commands"]}
    interactivity = manifest["settings"]["interactivity"]
    events = manifest["settings"]["event_subscriptions"]["request_url"]
    urls = {*commands, events, interactivity["request_url"]}

    assert {url.split("/", 3)[3] for url in urls} == {"slack/events"}
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_every_command_in_the_manifest_is_answered_and_an_unknown_one_is_not(slack, manifest):
    for item in manifest["features"]["slash_commands"]:
        assert slack.command(item["command"], "", user=ADMIN).status == 200

    assert slack.command("/book-nothing", "", user=ADMIN).status == 404


def test_the_socket_mode_manifest_the_setup_guide_describes_is_valid(manifest):
    # The README's guide: socket_mode_enabled true, and no request URLs (Slack uses none).
    variant = copy.deepcopy(manifest)
    variant["settings"]["socket_mode_enabled"] = True
    for command in variant["features"]["slash_commands"]:
        del command["url"]
    del variant["settings"]["event_subscriptions"]["request_url"]
    del variant["settings"]["interactivity"]["request_url"]
    del variant["settings"]["interactivity"]["message_menu_options_url"]
    del variant["oauth_config"]["redirect_urls"]

    jsonschema.validate(variant, json.loads(SCHEMA.read_text()))
