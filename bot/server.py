"""The WSGI application ``roundtable serve`` runs: Slack's endpoints, a health check, mounts.

    POST /slack/events          slash commands, interactivity and events, signed by Slack
                                (checked first by ``bot.verify``: 401 unsigned, 413 too
                                large); 503 ``{"error": "slack_not_configured"}`` in local mode
    GET  /slack/install         "Add to Slack" (only with OAuth settings)
    GET  /slack/oauth_redirect  the end of an OAuth install (only with OAuth settings)
    GET  /healthz               200 when the database answers, else 503
    GET  /metrics               Prometheus' text format (``services.metrics``)
    GET  /                      the ``index`` app when given (the guest pages' welcome)
    /<prefix>…                  each mount, e.g. the guest pages at ``/l/``

Every request with a body over ``bot.verify.MAX_BODY_BYTES`` gets 413 unread. Every
request is counted in the metrics by route (a fixed path or a mount's prefix, never the
path itself, which may hold a link's token) and logged in one line: method, route, status
and milliseconds.

Mounts are the seam for other surfaces: ``build_wsgi_app(app, services, mounts={"/l/":
guest_pages})`` hands every request under the prefix, untouched, to that WSGI app. Without
a Bolt app (``app=None``: local mode, no Slack settings) the rest is still served, and every
``/slack/…`` request answers 503.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.verify import REFUSAL, body_length, signed_requests
from bot.verify import json_answer as _json
from services import metrics
from services.context import Services

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
INDEX_PATH = "/"
EVENTS_PATH = "/slack/events"
SLACK_PREFIX = "/slack/"
SLACK_PATHS = (EVENTS_PATH, "/slack/install", "/slack/oauth_redirect")
_log = logging.getLogger(__name__)
_requests = logging.getLogger("roundtable.requests")


def build_wsgi_app(
    app: App | None,
    services: Services,
    *,
    mounts: Mapping[str, WSGIApplication] | None = None,
    index: WSGIApplication | None = None,
) -> WSGIApplication:
    """Return the WSGI app serving Slack, ``/healthz``, ``/metrics``, ``/`` and every mount.

    Mounts are tried longest prefix first. ``app`` is None in local mode: Slack's paths then
    answer 503 ``slack_not_configured``. ``index`` answers ``/`` (404 without one).
    """
    slack: WSGIApplication = _slack_not_configured
    if app is not None:
        # Bolt keeps the secret it was given (or read from SLACK_SIGNING_SECRET) here; the
        # gate checks with the same one before Bolt sees anything.
        slack = signed_requests(SlackRequestHandler(app, path=EVENTS_PATH), app._signing_secret)
    routes = sorted((mounts or {}).items(), key=lambda item: -len(item[0]))

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if body_length(environ) is None:
            return _json("413 Content Too Large", {"error": "body_too_large"}, start_response)
        if path == HEALTH_PATH:
            return _health(services, start_response)
        if path == METRICS_PATH:
            body = metrics.exposition(services.engine, services.clock)
            start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE)])
            return [body]
        if path == INDEX_PATH and index is not None:
            return index(environ, start_response)
        for prefix, mounted in routes:
            if path.startswith(prefix):
                return mounted(environ, start_response)
        return slack(environ, start_response)

    def route(path: str) -> str:
        if path in (HEALTH_PATH, METRICS_PATH, INDEX_PATH, *SLACK_PATHS):
            return path
        return next((prefix for prefix, _ in routes if path.startswith(prefix)), "other")

    return _observed(application, route)


def _observed(application: WSGIApplication, route_of: Callable[[str], str]) -> WSGIApplication:
    """Count, time and log every request by its route (never its path: tokens live there)."""

    def observed(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        began = time.perf_counter()
        status = 500  # what waitress answers when the application raises

        def record(
            line: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            nonlocal status
            status = int(line.split(" ", 1)[0])
            if exc_info is None:
                return start_response(line, headers)
            return start_response(line, headers, exc_info)

        try:
            return application(environ, record)
        finally:
            seconds = time.perf_counter() - began
            route = route_of(environ.get("PATH_INFO", ""))
            metrics.http_request(route, status, seconds)
            method = environ.get("REQUEST_METHOD", "")
            refused = environ.get(REFUSAL)
            why = f" (refused: {refused})" if refused else ""
            _requests.info("%s %s %d %.1f ms%s", method, route, status, seconds * 1000, why)

    return observed


def _health(services: Services, start_response: StartResponse) -> Iterable[bytes]:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status, body = "200 OK", {"status": "ok"}
    except SQLAlchemyError:
        _log.warning("health check: the database does not answer", exc_info=True)
        status, body = "503 Service Unavailable", {"status": "database unavailable"}
    return _json(status, body, start_response)


def _slack_not_configured(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith(SLACK_PREFIX):
        return _json("503 Service Unavailable", {"error": "slack_not_configured"}, start_response)
    return _json("404 Not Found", {"error": "not_found"}, start_response)
