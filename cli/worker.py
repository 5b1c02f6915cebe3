"""``roundtable worker``: deliver notifications and reminders without serving Slack.

It runs the same outbox job as ``roundtable serve`` on an APScheduler ``BlockingScheduler``,
the calendar sync job (every ``CALENDAR_SYNC_MINUTES``, default 5) and the calendar write
job (bookings to writable CalDAV calendars, every 5 seconds); any number of workers and
servers can share one database. ``--once`` sends what is
due now (``--now`` moves "now") and exits, which suits cron and tests.

Environment: ``SLACK_BOT_TOKEN`` (required unless it only sends email), ``SLACK_API_URL``
(optional Web API base URL, e.g. for GovSlack or a local test server). One token serves every
workspace in the database; a multi-workspace install delivers from ``roundtable serve``, which
knows each installation. With ``SMTP_URL`` and ``MAIL_FROM`` it emails guests too (see
``bot.mail``); ``PUBLIC_URL`` then makes their manage links (default ``http://localhost:PORT``).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC
from types import FrameType
from typing import TYPE_CHECKING

import click

from cli.runtime import Runtime, pass_runtime, served_at
from engine.errors import BadInput

if TYPE_CHECKING:
    from slack_sdk import WebClient

DEFAULT_API_URL = "https://slack.com/api/"


def _dispatch_default_interval() -> float:
    from bot.dispatch import DEFAULT_INTERVAL_SECONDS  # imported only when worker runs

    return DEFAULT_INTERVAL_SECONDS


def slack_client(environ: Mapping[str, str]) -> WebClient:
    """Return a Web API client from ``SLACK_BOT_TOKEN`` and ``SLACK_API_URL``.

    Raises:
        BadInput: ``SLACK_BOT_TOKEN`` is not set.
    """
    token = environ.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        raise BadInput(
            "is not set; the worker needs the bot token (xoxb-…) to post",
            field="SLACK_BOT_TOKEN",
        )
    base_url = environ.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    from slack_sdk import WebClient  # here: every other command would pay for its import

    return WebClient(token=token, base_url=base_url.rstrip("/") + "/")


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.5),
    default=lambda: _dispatch_default_interval(),
    show_default="the dispatcher's",
    help="Seconds between looks at the outbox.",
)
@pass_runtime
def worker(runtime: Runtime, once: bool, interval: float) -> None:
    """Deliver due notifications and reminders (until stopped, or --once)."""
    # Imported here, not at the top: APScheduler and the dispatcher (slack_sdk, the
    # notification blocks) would slow down every other command's start.
    from apscheduler.schedulers.blocking import BlockingScheduler

    from bot.dispatch import ClientFor, senders_of, start_dispatcher
    from bot.mail import mail_senders
    from services.calendar_sync import start_calendar_sync, sync_interval
    from services.calendar_writes import start_calendar_writes
    from services.delivery import drain

    calendar_interval = sync_interval()
    engine = runtime.engine()
    mail = mail_senders(engine, os.environ, public_url=served_at())
    client_for: ClientFor | None = None
    if not mail or os.environ.get("SLACK_BOT_TOKEN", "").strip():
        client = slack_client(os.environ)

        def client_for(team_id: str) -> WebClient:
            return client

    if once:
        result = drain(engine, senders_of(client_for, mail), clock=lambda: runtime.now)
        runtime.emit(
            {"dispatch": asdict(result)},
            f"Sent {result.sent} (already sent {result.found_sent}), skipped {result.skipped}, "
            f"retrying {result.retried}, failed {result.failed}.",
        )
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = BlockingScheduler(timezone=UTC)
    start_dispatcher(scheduler, engine, senders_of(client_for, mail), interval_seconds=interval)
    start_calendar_sync(scheduler, engine, interval=calendar_interval)
    start_calendar_writes(scheduler, engine, environ=os.environ)

    def stop(signum: int, frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"Roundtable worker: looking at the outbox every {interval:g}s", err=True)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown(wait=False)
