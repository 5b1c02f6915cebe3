"""Link tokens never reach the logs: neither waitress's nor Werkzeug's."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import datetime

import pytest

from services.context import Services
from tests.serving import served
from tests.web.conftest import SECRET, MakeLink
from web.app import GuestApp
from web.logs import redact

REDACTED = "/l/[link]"
"""What a one-time link's path reads as in the logs."""


def test_redact_replaces_the_token_of_every_link_path() -> None:
    line = '"GET /l/AbC-12_x?tz=UTC HTTP/1.1" 200 and "POST /l/Zz9/book HTTP/1.1" 303'

    assert (
        redact(line)
        == f'"GET {REDACTED}?tz=UTC HTTP/1.1" 200 and "POST {REDACTED}/book HTTP/1.1" 303'
    )


def test_a_werkzeug_request_line_is_logged_without_the_token(
    guest_app: GuestApp, caplog: pytest.LogCaptureFixture
) -> None:
    del guest_app  # making the app installs the filter
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info(
            '%s - - [%s] "%s" %s -', "127.0.0.1", "07/Dec/2026", "GET /l/SeCrEt HTTP/1.1", 200
        )

    assert "SeCrEt" not in caplog.text
    assert f"GET {REDACTED} HTTP/1.1" in caplog.text


def test_a_failing_request_served_by_waitress_is_logged_without_the_token(
    services: Services, make_link: MakeLink, caplog: pytest.LogCaptureFixture
) -> None:
    token = make_link()

    def broken_clock() -> datetime:
        raise RuntimeError("the clock stopped")

    app = GuestApp(replace(services, clock=broken_clock), secret=SECRET)
    with caplog.at_level(logging.INFO), served(app) as url:
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(f"{url}/l/{token}/book?tz=UTC")
        failed.value.close()

    assert "Exception while serving /l/[link]/book" in caplog.text
    assert "the clock stopped" in caplog.text
    assert token not in caplog.text


def test_redact_replaces_the_token_of_a_manage_path_too() -> None:
    assert redact("GET /m/Tok3n_-x/times HTTP/1.1") == "GET /m/[link]/times HTTP/1.1"
