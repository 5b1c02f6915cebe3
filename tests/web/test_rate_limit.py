"""The guest pages answer a client asking too often with 429 and Retry-After."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.test import Client, TestResponse

from services.context import Services
from tests.web.conftest import SECRET, MakeLink
from web.app import GuestApp
from web.ratelimit import BURST, RateLimit


@dataclass
class Ticks:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


GUESSER = "203.0.113.9"
GUEST = "198.51.100.7"


def _get(client: Client, path: str, address: str = GUESSER) -> TestResponse:
    with client.get(path, environ_base={"REMOTE_ADDR": address}) as response:
        response.get_data()
        return response


def test_guessing_tokens_past_the_burst_gets_429_with_retry_after(services: Services) -> None:
    ticks = Ticks()
    app = GuestApp(services, secret=SECRET, rate_limit=RateLimit(clock=ticks))
    client = Client(app)

    statuses = [_get(client, f"/l/guess-{n}").status_code for n in range(BURST + 5)]
    refused = _get(client, "/l/guess-again")

    assert statuses == [410] * BURST + [429] * 5
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "Too many requests" in refused.get_data(as_text=True)
    assert refused.headers["Cache-Control"] == "no-store"


def test_other_clients_and_a_patient_client_are_served(
    services: Services, make_link: MakeLink
) -> None:
    ticks = Ticks()
    app = GuestApp(services, secret=SECRET, rate_limit=RateLimit(burst=3, clock=ticks))
    client = Client(app)
    for n in range(4):
        _get(client, f"/l/guess-{n}")

    served = _get(client, f"/l/{make_link()}", GUEST)
    ticks.now += 1.0
    after_a_second = _get(client, "/l/guess-again")

    assert served.status_code == 200
    assert after_a_second.status_code == 410


def test_the_style_sheet_is_not_counted(services: Services) -> None:
    app = GuestApp(services, secret=SECRET, rate_limit=RateLimit(burst=1, clock=Ticks()))
    client = Client(app)

    statuses = [_get(client, "/l/_static/guest.css").status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert _get(client, "/l/guess").status_code == 410
