"""The real app on 127.0.0.1 (waitress, as ``roundtable serve`` runs it) against the fake Slack.

Each test gets a fresh SQLite database holding ``workspace.yml``, a fixed clock (Monday
2 March 2026, 08:00 UTC) it may move, the fake Web API, and ``slack``: a driver sending
signed requests. After every test, every view and message the app sent is checked against
slack-sdk's block models and Slack's limits (``tests/slack_checks.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app import build_app
from bot.server import build_wsgi_app
from bot.settings import Settings
from services.config import apply_config
from services.context import Services
from storage.db import open_database
from tests.fakes.slack_api import FakeSlackApi
from tests.integration.driver import HeldDeadlines, SlackDriver, TrackingExecutor
from tests.serving import served
from tests.slack_checks import check_calls

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PUBLIC_URL = "https://roundtable.example.com"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CUSTOMER = "U0ASHA"
ADMIN = "U0ADMIN"
MANAGER = "U0BOSS"
GUEST = "U0GINA"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        api.add_user(CUSTOMER, tz="Asia/Kolkata", real_name="Asha Rao", email="asha@example.com")
        api.add_user(ADMIN, tz="Europe/London", real_name="Ada Admin", email="ada@example.com")
        api.add_user(MANAGER, tz="Europe/London", real_name="Boss Man", email="boss@example.com")
        api.add_user(GUEST, tz="America/New_York", real_name="Gina Guest", email="gina@example.com")
        yield api


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(f"sqlite:///{tmp_path / 'roundtable.db'}")
    apply_config(engine, Path(__file__).with_name("workspace.yml"))
    yield engine
    engine.dispose()


@pytest.fixture
def settings(fake: FakeSlackApi, tmp_path: Path) -> Settings:
    return Settings(
        signing_secret=SECRET,
        database_url=f"sqlite:///{tmp_path / 'roundtable.db'}",
        public_url=PUBLIC_URL,
        bot_token="xoxb-test-token",
        api_url=fake.base_url,
    )


@pytest.fixture
def services(engine: Engine, clock: Clock) -> Services:
    return Services(engine=engine, public_url=PUBLIC_URL, clock=clock)


@pytest.fixture
def slack(settings: Settings, services: Services, fake: FakeSlackApi) -> Iterator[SlackDriver]:
    executor = TrackingExecutor()
    deadlines = HeldDeadlines()  # no loading view unless a test lets the deadline pass
    app = build_app(settings, services, work=executor, deadlines=deadlines)
    with served(build_wsgi_app(app, services)) as url:
        try:
            yield SlackDriver(url, SECRET, fake, executor, deadlines=deadlines)
            check_calls(fake.calls)
        finally:
            executor.shutdown(wait=True)
