"""The guest pages: one WSGI app for the one-time links, the manage links, the feeds and ``/``.

    GET      /l/<token>…            a one-time link's pages (``web.booking``)
    GET      /l/_static/<file>      the style sheet and the time zone script
    GET|POST /m/<token>…            a guest booking's manage pages (``web.manage``)
    GET      /cal/<token>.ics       a page's bookings feed (mounted at ``FEED_PREFIX`` too)
    GET      /                      what is running (local mode, Slack over HTTP or Socket
                                    Mode) and how to create a first link

``roundtable serve`` hands every request under ``PREFIX``, ``MANAGE_PREFIX`` and
``FEED_PREFIX``, and ``/``, to ``GuestApp``, paths untouched. ``web.pages`` holds what the
pages share.

Times are shown in the zone named by ``?tz=``; without it, in the workspace's zone, and the
page's one script (``static/zone.js``) reloads it with the browser's zone. A used, expired,
revoked or unknown link gets the same page with status 410 Gone, naming nothing behind the
link; only a used link says so ("already been used"), the other three read alike. No view
logs a path; ``web.logs`` keeps the servers' logs free of tokens too. Each client may ask for
so many pages a second (``web.ratelimit``); past that it gets 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException, TooManyRequests
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.wrappers import Request, Response

from services.context import Services
from services.errors import LinkRefused, LinkUsed
from services.feeds import PREFIX as FEED_PREFIX
from services.feeds import feed_calendar
from web.booking import LinkPages
from web.logs import install_log_redaction
from web.manage import ManagePages
from web.pages import PREFIX, Site
from web.ratelimit import RateLimit
from web.security import default_secret

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

STATIC = Path(__file__).parent / "static"
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    # A Referer header would carry the link's token to wherever the guest goes next.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


View = Callable[..., Response]


class GuestApp:
    """The WSGI application of the guest pages; mount it at ``PREFIX``."""

    def __init__(
        self,
        services: Services,
        *,
        secret: bytes | None = None,
        rate_limit: RateLimit | None = None,
        slack: str = "local",
    ) -> None:
        self._site = Site(services, default_secret() if secret is None else secret)
        self._rate_limit = rate_limit or RateLimit()
        self._slack = slack  # how Slack reaches this process, for "/": local, http, socket
        links = LinkPages(self._site)
        manage = ManagePages(self._site)
        self._views: dict[str, View] = {
            "welcome": self._welcome,
            "slots": links.slots,
            "book": links.book,
            "booked": links.booked,
            "calendar": links.calendar,
            "feed": self._feed,
            "manage": manage.show,
            "manage_times": manage.times,
            "manage_move": manage.move,
            "manage_cancel": manage.cancel,
        }
        self._urls = Map(
            [
                Rule("/", endpoint="welcome", methods=["GET"]),
                Rule("/l/<token>", endpoint="slots", methods=["GET"]),
                Rule("/l/<token>/book", endpoint="book", methods=["GET", "POST"]),
                Rule("/l/<token>/booked", endpoint="booked", methods=["GET"]),
                Rule("/l/<token>/booked.ics", endpoint="calendar", methods=["GET"]),
                Rule(f"{FEED_PREFIX}<token>.ics", endpoint="feed", methods=["GET"]),
                Rule("/m/<token>", endpoint="manage", methods=["GET"]),
                Rule("/m/<token>/times", endpoint="manage_times", methods=["GET"]),
                Rule("/m/<token>/move", endpoint="manage_move", methods=["GET", "POST"]),
                Rule("/m/<token>/cancel", endpoint="manage_cancel", methods=["GET", "POST"]),
            ]
        )
        self._wsgi = SharedDataMiddleware(self._respond, {f"{PREFIX}_static": str(STATIC)})
        install_log_redaction()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self._wsgi(environ, start_response)

    def _respond(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        urls = self._urls.bind_to_environ(environ)
        token: str | None = None
        endpoint = ""
        try:
            wait = self._rate_limit.wait(environ.get("REMOTE_ADDR", ""))
            if wait:
                message = f"Too many requests from your address. Try again in {wait} s."
                raise TooManyRequests(message, retry_after=wait)
            endpoint, values = urls.match()
            token = values.get("token")
            response = self._views[endpoint](request, urls, **values)
        except LinkRefused as refused:
            response = self._site.render(
                "refused.html", status=410, used=isinstance(refused, LinkUsed)
            )
        except HTTPException as error:
            managing = endpoint.startswith("manage")
            back = None
            if token is not None and endpoint != "feed":
                back = urls.build("manage" if managing else "slots", {"token": token})
            label = "Back to your booking" if managing else "Back to the free times"
            response = self._site.problem(error, back, label)
        response.headers.update(_SECURITY_HEADERS)
        return response(environ, start_response)

    def _welcome(self, request: Request, urls: MapAdapter) -> Response:
        """``/``: what is running and how to make a first link (served when mounted at /)."""
        services = self._site.services
        return self._site.render("welcome.html", slack=self._slack, public_url=services.public_url)

    def _feed(self, request: Request, urls: MapAdapter, token: str) -> Response:
        # An unknown token gets a bare 404 with no link back: it names nothing.
        services = self._site.services
        ical = feed_calendar(services.engine, token, now=services.clock())
        if ical is None:
            return Response("Not found.\n", status=404, mimetype="text/plain")
        return Response(
            ical,
            mimetype="text/calendar",
            headers={"Content-Disposition": 'inline; filename="bookings.ics"'},
        )
