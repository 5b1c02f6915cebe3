"""The app's secret and the encryption of stored secrets under it."""

from __future__ import annotations

import pytest

from engine.errors import BadInput
from services.secret import SecretBox, SecretUnreadable, app_secret, process_secret, secret_box


def test_the_secret_is_roundtable_secret_when_set() -> None:
    environ = {"ROUNDTABLE_SECRET": "s3cret", "SLACK_SIGNING_SECRET": "signing"}

    assert app_secret(environ) == b"s3cret"
    assert process_secret(environ) == b"s3cret"


def test_without_it_the_secret_is_derived_from_the_slack_signing_secret() -> None:
    derived = app_secret({"SLACK_SIGNING_SECRET": "signing"})

    assert derived is not None
    assert derived == app_secret({"SLACK_SIGNING_SECRET": "signing"})
    assert derived != app_secret({"SLACK_SIGNING_SECRET": "other"})
    assert b"signing" not in derived


def test_without_either_each_process_makes_a_random_secret_and_there_is_no_app_secret() -> None:
    assert app_secret({}) is None
    assert process_secret({}) != process_secret({})
    assert len(process_secret({})) == 32


def test_a_sealed_value_opens_under_the_same_secret_and_hides_its_content() -> None:
    value = {"url": "https://cal.example.com/private-abc/basic.ics", "password": "hunter2"}
    sealed = SecretBox(b"one").seal(value)

    assert "private-abc" not in sealed
    assert "hunter2" not in sealed
    assert SecretBox(b"one").open(sealed) == value


def test_a_value_sealed_under_another_secret_or_altered_is_unreadable() -> None:
    sealed = SecretBox(b"one").seal({"password": "hunter2"})

    with pytest.raises(SecretUnreadable, match="ROUNDTABLE_SECRET changed"):
        SecretBox(b"two").open(sealed)
    with pytest.raises(SecretUnreadable):
        SecretBox(b"one").open(sealed[:-4] + "AAAA")


def test_storing_secrets_without_an_app_secret_is_refused_naming_the_variable() -> None:
    with pytest.raises(BadInput) as refused:
        secret_box({})

    assert refused.value.field == "ROUNDTABLE_SECRET"
    assert secret_box({"ROUNDTABLE_SECRET": "x"}).open(SecretBox(b"x").seal({"a": "b"})) == {
        "a": "b"
    }
