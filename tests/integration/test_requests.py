"""Requests reach the app only when Slack signed them; unconfigured workspaces are told so."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from storage.tables import BookingRow
from tests.integration.conftest import CUSTOMER, SECRET
from tests.integration.driver import sign


def _bookings(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(BookingRow)).scalar_one()


def test_a_wrong_signature_gets_401_and_changes_nothing(slack, fake, engine):
    body = slack.command_body("/book-room", "list", user=CUSTOMER)

    response = slack.post(body, signature="v0=" + "0" * 64)

    assert response.status == 401
    assert fake.calls_to("views.open") == []
    assert fake.calls_to("response_url") == []
    assert _bookings(engine) == 0


def test_a_signed_request_that_names_no_user_is_refused(slack, fake):
    # Every role check needs to know who acts: without a user nothing runs.
    response = slack.command("/book-room", "", user="")

    assert response.status == 403
    assert [call.method for call in fake.calls if call.method != "auth.test"] == []


def test_a_body_changed_after_signing_gets_401(slack, fake):
    timestamp = str(int(time.time()))
    body = slack.command_body("/book-room", "", user=CUSTOMER)
    signature = sign(SECRET, timestamp, body)

    response = slack.post(
        body.replace("book-room", "book-link"), signature=signature, timestamp=timestamp
    )

    assert response.status == 401
    assert [call.method for call in fake.calls if call.method != "auth.test"] == []


def test_a_stale_timestamp_gets_401_even_when_signed(slack, fake):
    stale = str(int(time.time()) - 10 * 60)

    response = slack.command("/book-room", "", user=CUSTOMER, timestamp=stale)

    assert response.status == 401
    assert fake.calls_to("views.open") == []


def test_a_signature_made_with_another_secret_gets_401(slack, fake):
    timestamp = str(int(time.time()))
    body = slack.command_body("/book-room", "", user=CUSTOMER)

    response = slack.post(
        body, signature=sign("not-the-secret", timestamp, body), timestamp=timestamp
    )

    assert response.status == 401
    assert fake.calls_to("views.open") == []


def test_a_workspace_without_configuration_starts_empty_with_nothing_to_book(slack, fake):
    slack.team = "T0OTHER"

    response = slack.command("/book-room", "", user=CUSTOMER)

    assert response.status == 200
    modal = slack.opened_modal(user=CUSTOMER)
    assert "There is nothing to book here yet" in modal.text
    assert "/book-admin" in modal.text


def test_the_health_check_answers_when_the_database_does(slack):
    with urllib.request.urlopen(slack.url + "/healthz", timeout=5) as answer:
        assert answer.status == 200
        assert json.loads(answer.read()) == {"status": "ok"}


def test_unknown_paths_are_not_found(slack):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(slack.url + "/nope", timeout=5)

    raised.value.close()
    assert raised.value.code == 404
