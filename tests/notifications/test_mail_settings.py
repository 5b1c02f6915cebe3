"""SMTP_URL and MAIL_FROM: the forms that work and the errors that name the variable."""

from __future__ import annotations

import pytest

from bot.mail import MailSettings, load_mail_settings
from engine.errors import BadInput

SECRET = {"ROUNDTABLE_SECRET": "s"}


def settings(url: str, sender: str = "bookings@acme.test", **more: str) -> MailSettings | None:
    return load_mail_settings({"SMTP_URL": url, "MAIL_FROM": sender, **SECRET, **more})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.acme.test", ("mail.acme.test", 25, None, None, False, False)),
        ("smtp://u:p@mail.acme.test:587", ("mail.acme.test", 587, "u", "p", False, False)),
        (
            "smtp://me%40acme.test:p%3Aw%2Fd@mail.acme.test:587?starttls=true",
            ("mail.acme.test", 587, "me@acme.test", "p:w/d", False, True),
        ),
        ("smtps://u:p@mail.acme.test", ("mail.acme.test", 465, "u", "p", True, False)),
        ("smtp://127.0.0.1:2525?starttls=false", ("127.0.0.1", 2525, None, None, False, False)),
    ],
)
def test_the_forms_of_smtp_url(url: str, expected: tuple[object, ...]) -> None:
    got = settings(url)
    assert got is not None
    assert (got.host, got.port, got.username, got.password, got.tls, got.starttls) == expected


def test_mail_from_may_carry_a_display_name() -> None:
    got = settings("smtp://mail.acme.test", "Acme Bookings <bookings@acme.test>")
    assert got is not None
    assert (got.sender, got.sender_name, got.domain) == (
        "bookings@acme.test",
        "Acme Bookings",
        "acme.test",
    )


def test_neither_variable_means_no_email() -> None:
    assert load_mail_settings({}) is None
    assert load_mail_settings({"SMTP_URL": " ", "MAIL_FROM": ""}) is None


@pytest.mark.parametrize(
    ("environ", "field", "problem"),
    [
        ({"SMTP_URL": "smtp://h"}, "MAIL_FROM", "missing"),
        ({"MAIL_FROM": "a@b.test"}, "SMTP_URL", "missing"),
        ({"SMTP_URL": "http://h", "MAIL_FROM": "a@b.test"}, "SMTP_URL", "unknown scheme 'http'"),
        ({"SMTP_URL": "smtp://", "MAIL_FROM": "a@b.test"}, "SMTP_URL", "no host"),
        ({"SMTP_URL": "smtp://h:99999", "MAIL_FROM": "a@b.test"}, "SMTP_URL", "cannot read it"),
        ({"SMTP_URL": "smtp://h?tls=1", "MAIL_FROM": "a@b.test"}, "SMTP_URL", "unknown option"),
        (
            {"SMTP_URL": "smtps://h?starttls=true", "MAIL_FROM": "a@b.test"},
            "SMTP_URL",
            "smtps:// is TLS already",
        ),
        ({"SMTP_URL": "smtp://h", "MAIL_FROM": "not an address"}, "MAIL_FROM", "is not an address"),
    ],
)
def test_bad_settings_name_the_variable(environ: dict[str, str], field: str, problem: str) -> None:
    with pytest.raises(BadInput) as error:
        load_mail_settings({**environ, **SECRET})
    assert error.value.field == field
    assert problem in error.value.message


def test_email_needs_a_shared_secret_for_the_manage_links() -> None:
    with pytest.raises(BadInput) as error:
        load_mail_settings({"SMTP_URL": "smtp://h", "MAIL_FROM": "a@b.test"})
    assert error.value.field == "ROUNDTABLE_SECRET"
    assert load_mail_settings(
        {"SMTP_URL": "smtp://h", "MAIL_FROM": "a@b.test", "SLACK_SIGNING_SECRET": "x"}
    )
