"""``roundtable serve``: the Slack app over HTTP (or Socket Mode) on a production WSGI server.

Settings come from the environment (``bot/settings.py``); the database from ``--db`` or
``DATABASE_URL`` like every command. Requests are served by waitress (threads, no event
loop: the Bolt app is synchronous). The notification dispatcher runs beside it on an
APScheduler ``BackgroundScheduler``.
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

import click
import waitress
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError

from bot.app import build_app, workspace_clients
from bot.dispatch import start_dispatcher
from bot.server import EVENTS_PATH, build_wsgi_app
from bot.settings import SettingsError, load_settings
from cli.runtime import Runtime, pass_runtime
from engine.errors import BadInput
from services.context import Services
from web.app import PREFIX, GuestApp

DEFAULT_HOST = "0.0.0.0"  # Slack must reach it; bind 127.0.0.1 behind a reverse proxy
THREADS = 8


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
    try:
        environ = {**os.environ, **({"PORT": str(port)} if port else {})}
        settings = load_settings(environ, socket_mode=socket_mode)
    except SettingsError as error:
        raise BadInput(error.problem, field=error.variable) from None
    services = Services(engine=runtime.engine(), public_url=settings.public_url)
    try:
        app = build_app(settings, services)
    except BoltError as error:
        raise BadInput(str(error), field="SLACK_BOT_TOKEN") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = BackgroundScheduler(timezone="UTC")
    start_dispatcher(scheduler, services.engine, workspace_clients(settings, app))
    scheduler.start()
    socket = SocketModeHandler(app, settings.app_token) if socket_mode else None
    signal.signal(signal.SIGTERM, _stop)
    try:
        if socket is not None:
            socket.connect()  # type: ignore[no-untyped-call]
        where = f"http://{host}:{settings.port}{EVENTS_PATH}"
        click.echo(f"Roundtable serves Slack on {where}", err=True)
        wsgi = build_wsgi_app(app, services, mounts={PREFIX: GuestApp(services)})
        waitress.serve(wsgi, host=host, port=settings.port, threads=THREADS)
    except KeyboardInterrupt:
        pass
    finally:
        if socket is not None:
            socket.close()  # type: ignore[no-untyped-call]
        scheduler.shutdown(wait=False)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # waitress and the finally block above end cleanly on it
