"""/metrics, /healthz, "/" and the request log of the real app on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from bot.server import build_wsgi_app
from services.context import Services
from tests.integration.conftest import CUSTOMER, PUBLIC_URL
from tests.serving import served
from web.app import GuestApp


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (found.name, tuple(sorted(found.labels.items()))): found.value
        for family in text_string_to_metric_families(text)
        for found in family.samples
    }


def _requests(samples, route: str, status: str) -> float:
    key = ("roundtable_http_requests_total", (("route", route), ("status", status)))
    return samples.get(key, 0.0)


def test_metrics_count_requests_by_route_and_status_and_time_them(slack):
    before = _samples(_get(slack.url + "/metrics")[2])

    slack.command("/book-room", "list", user=CUSTOMER)
    _get(slack.url + "/nope")
    status, content_type, text = _get(slack.url + "/metrics")

    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    after = _samples(text)
    assert _requests(after, "/slack/events", "200") == _requests(before, "/slack/events", "200") + 1
    assert _requests(after, "other", "404") == _requests(before, "other", "404") + 1
    count = ("roundtable_http_request_duration_seconds_count", (("route", "/slack/events"),))
    assert after[count] >= 1
    assert ("roundtable_outbox_due_messages", ()) in after
    assert ("roundtable_outbox_oldest_due_age_seconds", ()) in after


def test_one_log_line_per_request_names_the_route_never_the_path(slack, caplog):
    caplog.set_level(logging.INFO, logger="roundtable.requests")

    _get(slack.url + "/healthz")
    _get(slack.url + "/slack/secret-looking-path")

    lines = [r.getMessage() for r in caplog.records if r.name == "roundtable.requests"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /healthz 200 ")
    assert lines[0].endswith(" ms")
    assert lines[1].startswith("GET other 404 ")
    assert "secret-looking-path" not in caplog.text


def test_health_and_metrics_when_the_database_does_not_answer(tmp_path):
    unreachable = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    services = Services(engine=unreachable, public_url=PUBLIC_URL)

    with served(build_wsgi_app(None, services)) as url:
        health = _get(url + "/healthz")
        scraped = _get(url + "/metrics")

    assert health[0] == 503
    assert json.loads(health[2]) == {"status": "database unavailable"}
    assert scraped[0] == 200
    assert "roundtable_outbox_due_messages" not in scraped[2]
    assert "roundtable_http_requests_total" in scraped[2]


@pytest.mark.parametrize(
    ("slack_mode", "says"),
    [
        ("local", "local mode: Slack is not connected"),
        ("http", f"{PUBLIC_URL}/slack/events"),
        ("socket", "connected over Socket Mode"),
    ],
)
def test_the_root_page_says_what_runs_and_how_to_make_a_first_link(services, slack_mode, says):
    guest = GuestApp(services, slack=slack_mode)

    with served(build_wsgi_app(None, services, mounts={"/l/": guest}, index=guest)) as url:
        status, content_type, page = _get(url + "/")

    assert status == 200
    assert content_type.startswith("text/html")
    assert says in page
    assert "roundtable link create --master-page" in page
    assert f"{PUBLIC_URL}/l/" in page
