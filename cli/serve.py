"""``roundtable serve``: the Slack app over HTTP (or Socket Mode) on a production WSGI server.

Settings come from the environment (``bot/settings.py``); the database from ``--db`` or
``DATABASE_URL`` like every command. Requests are served by waitress (threads, no event
loop: the Bolt app is synchronous). The notification dispatcher runs beside it on an
APScheduler ``BackgroundScheduler``.

The calendar sync job (``services.calendar_sync``) and the calendar write job
(``services.calendar_writes``) run on their own ``BackgroundScheduler`` in both modes.
Without any Slack variable (``bot.settings.SLACK_VARIABLES``) it runs in local mode: the
guest pages and ``/healthz``; ``/slack/events`` answers 503 and Slack notifications wait in
the outbox for a process connected to Slack (guests' emails, when set up, are sent).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING
from urllib.error import URLError

import click

from cli.runtime import Runtime, pass_runtime
from engine.errors import BadInput

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.dispatch import ClientFor
    from bot.settings import Settings
    from services.context import Services
    from services.delivery import Sender

DEFAULT_HOST = "0.0.0.0"  # Slack must reach it; bind 127.0.0.1 behind a reverse proxy
THREADS = 16
"""waitress's request threads. A request holds one while Bolt checks it and the listener acks
(the work after an ack runs on ``bot.work``'s pool), while a submission computes its answer
(a booking: tens of milliseconds), and while a guest page computes its times. Sixteen let a
burst of Slack requests be read and acked while a few guest pages and submissions compute;
a thread that waits costs no CPU, and more would only queue on the interpreter lock."""
LOCAL_MODE = (
    "warning: Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or "
    "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) to connect it; serving the guest pages only"
)


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port [default: env PORT, else 3000].",
)
@click.option(
    "--socket-mode",
    is_flag=True,
    help="Receive Slack's requests over Socket Mode (needs SLACK_APP_TOKEN) instead of HTTP.",
)
@pass_runtime
def serve(runtime: Runtime, host: str, port: int | None, socket_mode: bool) -> None:
    """Run the Slack app: /slack/events, OAuth install, /healthz, and the reminder job."""
    # Imported here, not at the top: Bolt, waitress, APScheduler and the web app take
    # half a second to import, which every other command (say `slots`) would pay.
    import waitress

    from bot.mail import mail_senders
    from bot.server import EVENTS_PATH, build_wsgi_app
    from bot.settings import Settings, SettingsError, load_settings
    from bot.verify import MAX_BODY_BYTES
    from services.calendar_sync import sync_interval
    from services.context import Services
    from services.feeds import PREFIX as FEED_PREFIX
    from web.app import GuestApp
    from web.pages import MANAGE_PREFIX, PREFIX

    try:
        environ = {**os.environ, **({"PORT": str(port)} if port else {})}
        settings = load_settings(environ, socket_mode=socket_mode)
    except SettingsError as error:
        raise BadInput(error.problem, field=error.variable) from None
    calendar_interval = sync_interval()
    services = Services(engine=runtime.engine(), public_url=settings.public_url)
    mail = mail_senders(services.engine, os.environ, public_url=settings.public_url)
    app: App | None
    running: AbstractContextManager[None]
    if isinstance(settings, Settings):
        app = _build_app(settings, services)
        running = _connected(app, settings, services, mail, socket_mode=socket_mode)
        endpoint = f"http://{host}:{settings.port}{EVENTS_PATH}"
        serves = f"Slack {'over Socket Mode' if socket_mode else 'on ' + endpoint}"
    else:
        click.echo(LOCAL_MODE, err=True)
        app = None
        running = _dispatching(services, None, mail) if mail else nullcontext()
        serves = f"the guest pages on http://{host}:{settings.port}{PREFIX}"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    signal.signal(signal.SIGTERM, _stop)
    try:
        with running, _calendar_sync(services, calendar_interval):
            click.echo(f"Roundtable serves {serves}", err=True)
            # In Socket Mode nothing verifies HTTP requests (no signing secret), so Slack's
            # HTTP endpoint answers 503 like local mode's.
            http_app = None if socket_mode else app
            slack = "local" if app is None else "socket" if socket_mode else "http"
            guest = GuestApp(services, slack=slack)
            wsgi = build_wsgi_app(
                http_app,
                services,
                mounts={PREFIX: guest, FEED_PREFIX: guest, MANAGE_PREFIX: guest},
                index=guest,
            )
            gc.freeze()  # the app lives as long as the process (see cli.main.main)
            waitress.serve(
                wsgi,
                host=host,
                port=settings.port,
                threads=THREADS,
                max_request_body_size=MAX_BODY_BYTES,  # 413 before the body is read
            )
    except KeyboardInterrupt:
        pass


def _build_app(settings: Settings, services: Services) -> App:
    """Build the Bolt app; a token Slack refuses or a Web API out of reach is bad input."""
    from slack_bolt.error import BoltError
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from bot.app import build_app

    try:
        return build_app(settings, services)
    except BoltError as error:
        # Bolt raises its BoltError while handling the SlackApiError of its start-up
        # auth.test, so Slack's answer is the context of the error.
        refusal = error.__context__
        if isinstance(refusal, SlackApiError):
            problem = f"Slack refused it ({refusal.response.get('error')})"
        else:
            problem = str(error)
        raise BadInput(problem, field="SLACK_BOT_TOKEN") from None
    except OSError as error:  # URLError, refused, timed out: auth.test got no answer at all
        reason = error.reason if isinstance(error, URLError) else error
        url = settings.api_url or WebClient.BASE_URL
        problem = f"cannot reach the Slack Web API at {url} ({reason})"
        raise BadInput(problem, field="SLACK_API_URL") from None


@contextmanager
def _connected(
    app: App,
    settings: Settings,
    services: Services,
    mail: Mapping[str, Sender],
    *,
    socket_mode: bool,
) -> Iterator[None]:
    """Run the notification dispatcher (and the Socket Mode connection) for the block."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import workspace_clients

    socket = SocketModeHandler(app, settings.app_token) if socket_mode else None
    with _dispatching(services, workspace_clients(settings, app), mail):
        try:
            if socket is not None:
                socket.connect()  # type: ignore[no-untyped-call]
            yield
        finally:
            if socket is not None:
                socket.close()  # type: ignore[no-untyped-call]


@contextmanager
def _dispatching(
    services: Services, client_for: ClientFor | None, mail: Mapping[str, Sender]
) -> Iterator[None]:
    """Run the outbox job for the block: Slack with ``client_for``, and ``mail``.

    Polls every few seconds, and a commit of this process that queues messages wakes it.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.dispatch import senders_of, start_dispatcher, stop_dispatcher

    scheduler = BackgroundScheduler(timezone="UTC")
    start_dispatcher(scheduler, services.engine, senders_of(client_for, mail))
    scheduler.start()
    try:
        yield
    finally:
        stop_dispatcher(scheduler)
        scheduler.shutdown(wait=False)


@contextmanager
def _calendar_sync(services: Services, interval: timedelta) -> Iterator[None]:
    """Run the calendar sync and write jobs for the block (in local mode too: no Slack)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from services.calendar_sync import start_calendar_sync
    from services.calendar_writes import start_calendar_writes

    scheduler = BackgroundScheduler(timezone="UTC")
    start_calendar_sync(scheduler, services.engine, interval=interval)
    start_calendar_writes(scheduler, services.engine, environ=os.environ)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # waitress and the finally block above end cleanly on it
