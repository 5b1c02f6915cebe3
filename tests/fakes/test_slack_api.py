"""The fake Slack Web API answers slack_sdk like Slack does, and records what it was asked."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def fake():
    with FakeSlackApi() as api:
        yield api


def test_calls_are_recorded_with_their_arguments(fake):
    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    answer = client.chat_postMessage(channel="C1", text="hello")
    assert answer["ts"]
    [call] = fake.calls_to("chat.postMessage")
    assert call.args["channel"] == "C1"
    assert call.args["text"] == "hello"
    assert call.headers["authorization"] == "Bearer xoxb-test"


def test_a_queued_slack_error_answers_once(fake):
    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    fake.fail_next("views.open", error="expired_trigger_id")
    with pytest.raises(SlackApiError) as raised:
        client.views_open(
            trigger_id="t",
            view={"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []},
        )
    assert raised.value.response["error"] == "expired_trigger_id"
    assert client.views_open(
        trigger_id="t",
        view={"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []},
    )["ok"]


def test_a_rate_limit_carries_retry_after(fake):
    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"


def test_unknown_users_are_not_found(fake):
    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    fake.add_user("U1", tz="Asia/Kolkata", real_name="Asha")
    assert client.users_info(user="U1")["user"]["tz"] == "Asia/Kolkata"
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U2")
    assert raised.value.response["error"] == "user_not_found"
