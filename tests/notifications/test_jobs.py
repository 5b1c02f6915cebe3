"""The outbox job on a real APScheduler 3 scheduler, and ``roundtable worker``."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner

from bot.dispatch import JOB_ID, senders_of, start_dispatcher, stop_dispatcher
from cli.main import cli
from engine.records import OutboxStatus
from services.delivery import Delivered
from storage.uow import UnitOfWork
from tests.notifications.conftest import NOW, START, TEAM, a_booking, book, client_factory


def one_message_booking(engine):
    return book(engine, a_booking(owner="carol", owner_pool=None, room=False, customer=None))


def test_the_dispatcher_job_runs_at_start_and_delivers_what_is_due(workspace, slack):
    booking = one_message_booking(workspace)
    scheduler = BackgroundScheduler(timezone=UTC)
    ran = threading.Event()
    scheduler.add_listener(lambda event: ran.set(), EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        job = start_dispatcher(
            scheduler,
            workspace,
            senders_of(client_factory(slack)),
            interval_seconds=60,
            clock=lambda: NOW,
        )
        again = start_dispatcher(
            scheduler,
            workspace,
            senders_of(client_factory(slack)),
            interval_seconds=60,
            clock=lambda: NOW,
        )
        assert ran.wait(timeout=20)
        assert (job.id, again.id) == (f"{JOB_ID}:default", f"{JOB_ID}:default")
        assert [j.id for j in scheduler.get_jobs()] == [job.id]  # replaced, not doubled
        assert (again.coalesce, again.max_instances, again.args) == (True, 1, ("default",))
        stop_dispatcher(scheduler)
        assert scheduler.get_jobs() == []
    finally:
        scheduler.shutdown(wait=True)
    assert list(slack.outbox_ids().values()) == [1]
    with UnitOfWork(workspace) as uow:
        statuses = {m.kind: m.status for m in uow.outbox.for_booking(TEAM, booking.id)}
    assert statuses["booked"] is OutboxStatus.SENT


def test_worker_once_sends_what_is_due_and_reports_it(workspace, slack, monkeypatch):
    one_message_booking(workspace)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.base_url.rstrip("/"))
    url = workspace.url.render_as_string(hide_password=False)

    args = ["--db", url, "--now", NOW.isoformat(), "--json", "worker", "--once"]
    first = CliRunner().invoke(cli, args)
    second = CliRunner().invoke(cli, args)

    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["dispatch"]["sent"] == 1
    assert json.loads(second.output)["dispatch"]["claimed"] == 0
    [call] = slack.calls_to("chat.postMessage")
    assert call.headers["authorization"] == "Bearer xoxb-test"


@pytest.mark.parametrize("token", [None, "  "])
def test_worker_without_a_bot_token_names_the_variable(sqlite_engine, monkeypatch, token):
    if token is None:
        monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    else:
        monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    url = sqlite_engine.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(cli, ["--db", url, "worker", "--once"])

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: SLACK_BOT_TOKEN: is not set; the worker needs the bot token (xoxb-…) to post"
    ]


def test_a_commit_during_a_round_makes_the_job_drain_once_more(workspace, monkeypatch):
    """The round under way claimed before the second booking's commit; the wake-up that the
    commit sends is kept, and the job drains again instead of waiting for the next poll."""
    monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:1")
    monkeypatch.setenv("MAIL_FROM", "bookings@acme.test")
    entered, release = threading.Event(), threading.Event()
    delivered: list[str] = []
    done = threading.Condition()

    def deliver(team, message, booking, cfg, claimed_at, now):
        entered.set()
        assert release.wait(timeout=20)
        with done:
            delivered.append(booking.id)
            done.notify_all()
        return Delivered()

    def guest_booking(hours):
        booking = a_booking(START + timedelta(hours=hours), customer=None, room=False)
        return replace(booking, participants=booking.participants[:1])

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start()
    try:
        start_dispatcher(
            scheduler,
            workspace,
            {"email": deliver},
            interval_seconds=3600,
            clock=lambda: NOW,
        )
        first = book(workspace, guest_booking(0))
        assert entered.wait(timeout=20)  # the woken round is sending the first
        second = book(workspace, guest_booking(2))
        release.set()
        with done:
            assert done.wait_for(lambda: len(delivered) == 2, timeout=10)
    finally:
        stop_dispatcher(scheduler)
        scheduler.shutdown(wait=True)
    assert delivered == [first.id, second.id]
