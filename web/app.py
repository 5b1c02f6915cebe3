"""The guest pages of one-time links: pick a time, confirm, get the ``.ics`` file.

    GET      /l/<token>             the master page, the link's event types, free times by day
    GET      /l/<token>/book        the chosen time and the booking form (no fields when the
                                    link is personalized), with a CSRF token
    POST     /l/<token>/book        book, then redirect (303) to the confirmation
    GET      /l/<token>/booked      the confirmation, to the browser that booked
    GET      /l/<token>/booked.ics  the booking as an iCalendar file
    GET      /l/_static/<file>      the style sheet and the time zone script
    GET      /cal/<token>.ics       a page's bookings feed (mounted at ``FEED_PREFIX`` too)
    GET      /                      what is running (local mode, Slack over HTTP or Socket
                                    Mode) and how to create a first link
    GET      /m/<token>             a guest's booking (its manage link), with Reschedule and
                                    Cancel until it starts
    GET      /m/<token>/times       the times it may move to, by day
    GET|POST /m/<token>/move        confirm a new time (CSRF-protected), then move it
    GET|POST /m/<token>/cancel      confirm (CSRF-protected), then cancel it

``roundtable serve`` hands every request under ``PREFIX``, ``MANAGE_PREFIX`` and
``FEED_PREFIX``, and ``/``, to ``GuestApp``, paths untouched. A manage token is derived from
the booking's id under the app's secret (``services.manage_links``); a forged or unknown one,
or one of a booking whose customer is not a guest, gets the same page as a withdrawn link.

Times are shown in the zone named by ``?tz=``; without it, in the workspace's zone, and the
page's one script (``static/zone.js``) reloads it with the browser's zone. A used, expired,
revoked or unknown link gets the same page with status 410 Gone, naming nothing behind the
link; only a used link says so ("already been used"), the other three read alike. The
confirmation travels in a signed cookie scoped to the link's path, so it needs no lookup and
shows only to the browser that booked. No view logs a path; ``web.logs`` keeps the servers'
logs free of tokens too. Each client may ask for so many pages a second (``web.ratelimit``);
past that it gets 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, TooManyRequests
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from engine.bounds import check_instant
from engine.durations import length_text
from engine.errors import BadInput, BookingCancelled, BookingStarted, Refused, SlotUnavailable
from engine.model import BookingStatus, EventType, FormField, Schedule, WorkspaceConfig
from engine.records import Booking
from engine.rules import needs_headcount
from engine.slots import Slot
from engine.zones import zulu
from services.booking import (
    BookingRequest,
    Customer,
    GuestBooking,
    book,
    cancel,
    guest_booking,
    reschedule,
    reschedule_slots,
)
from services.config import load_config
from services.context import LINK_GUEST, Guest, Services
from services.errors import LinkRefused, LinkUnknown, LinkUsed
from services.feeds import PREFIX as FEED_PREFIX
from services.feeds import feed_calendar
from services.links import LinkView, check_email, resolve_link
from services.manage_links import manage_url
from services.slots import offered_slots
from web.ics import Confirmation, build_ics, day_text, is_web_link, when_text
from web.logs import install_log_redaction
from web.ratelimit import RateLimit
from web.security import CONFIRMATION_MAX_AGE, CsrfToken, Signer, default_secret

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PREFIX = "/l/"
MANAGE_PREFIX = "/m/"
STATIC = Path(__file__).parent / "static"
CSRF_COOKIE = "rt_csrf"
BOOKED_COOKIE = "rt_booked"
DAYS_SHOWN = 7
_MAX_TEXT = 2000
_MAX_ATTENDEES = 1000
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


@dataclass(frozen=True, slots=True)
class Opened:
    """A usable link with what its pages show."""

    token: str
    view: LinkView
    config: WorkspaceConfig
    event_types: tuple[EventType, ...]
    # Event types whose booking may take a room: the page asks "How many people?".
    headcount: frozenset[str] = frozenset()

    def attendees(self, kind: EventType, values: Mapping[str, str]) -> int:
        """Return how many people attend (1 unless ``kind`` asks).

        Raises:
            BadRequest: the number is not a whole number from 1 to 1000.
        """
        if kind.id not in self.headcount:
            return 1
        text = values.get("attendees", "1").strip()
        if not text.isdigit() or not 1 <= int(text) <= _MAX_ATTENDEES:
            raise BadRequest(f"How many people: enter a whole number from 1 to {_MAX_ATTENDEES}.")
        return int(text)

    def people(self, kind: EventType, attendees: int) -> dict[str, str]:
        """Return the query parameter that carries the number, when ``kind`` asks for it."""
        return {"attendees": str(attendees)} if kind.id in self.headcount else {}

    def event_type(self, wanted: str | None) -> EventType:
        """Return the link's event type ``wanted``, or its first one when none is named.

        Raises:
            BadRequest: the link does not book ``wanted``.
        """
        if wanted is None:
            return self.event_types[0]
        for kind in self.event_types:
            if kind.id == wanted:
                return kind
        raise BadRequest("That is not something this link books.")


@dataclass(frozen=True, slots=True)
class FormInput:
    """One field of the booking form as the template shows it."""

    name: str
    label: str
    value: str
    required: bool
    type: str = "text"
    autocomplete: str = "off"
    multiline: bool = False
    error: str | None = None


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
        self._services = services
        self._rate_limit = rate_limit or RateLimit()
        self._slack = slack  # how Slack reaches this process, for "/": local, http, socket
        self._secret = default_secret() if secret is None else secret
        self._signer = Signer(self._secret)
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
        self._templates = Environment(
            loader=PackageLoader("web", "templates"),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates.tests["web_link"] = is_web_link
        self._templates.globals["static_url"] = lambda name: f"{PREFIX}_static/{name}"
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
            view = getattr(self, f"_{endpoint}")
            response: Response = view(request, urls, **values)
        except LinkRefused as refused:
            response = self._render("refused.html", status=410, used=isinstance(refused, LinkUsed))
        except HTTPException as error:
            managing = endpoint.startswith("manage")
            back = None
            if token is not None and endpoint != "feed":
                back = urls.build("manage" if managing else "slots", {"token": token})
            label = "Back to your booking" if managing else "Back to the free times"
            response = self._problem(error, back, label)
        response.headers.update(_SECURITY_HEADERS)
        return response(environ, start_response)

    # Views -----------------------------------------------------------------------------

    def _welcome(self, request: Request, urls: MapAdapter) -> Response:
        """``/``: what is running and how to make a first link (served when mounted at /)."""
        return self._render("welcome.html", slack=self._slack, public_url=self._services.public_url)

    def _slots(self, request: Request, urls: MapAdapter, token: str) -> Response:
        opened = self._open(token)
        kind = opened.event_type(request.args.get("event_type"))
        attendees = opened.attendees(kind, request.args)
        people = opened.people(kind, attendees)
        tz, notice = self._zone(request, opened.config)
        if request.args.get("notice") == "taken":
            notice = "Sorry, that time was just taken. Please pick another one."
        now = self._services.clock()
        first, until, today, last = _week(request, tz, kind, now)
        slots = offered_slots(
            self._services.engine,
            opened.view.workspace_id,
            opened.view.master_page,
            kind.id,
            first,
            until,
            tz=tz,
            now=now,
            link_token=token,
            attendees=attendees,
            actor=LINK_GUEST,
        )
        here = urls.build("slots", {"token": token})
        book_url = urls.build("book", {"token": token})

        def week(start: date) -> str:
            return _with_query(
                here, event_type=kind.id, tz=tz, **people, **{"from": start.isoformat()}
            )

        return self._render(
            "slots.html",
            master_page_name=opened.view.master_page_name,
            event_types=[
                {
                    "name": other.name,
                    "duration": length_text(other.duration),
                    "url": _with_query(here, event_type=other.id, tz=tz),
                    "current": other.id == kind.id,
                }
                for other in opened.event_types
            ],
            event_type={"id": kind.id, "name": kind.name, "duration": length_text(kind.duration)},
            headcount=kind.id in opened.headcount,
            attendees=attendees,
            notice=notice,
            here=here,
            tz=tz,
            zones=_zone_choices(tz),
            week_label=f"{first.day} {first:%B %Y} to {until.day} {until:%B %Y}",
            days=_days(slots, tz, book_url, {"event_type": kind.id, "tz": tz, **people}),
            earlier_url=week(max(today, first - timedelta(days=DAYS_SHOWN)))
            if first > today
            else None,
            later_url=week(until + timedelta(days=1)) if until < last else None,
            current=None,
            back_url=None,
        )

    def _book(self, request: Request, urls: MapAdapter, token: str) -> Response:
        if request.method == "POST":
            csrf = self._signer.check_csrf(
                token, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)
            )
            if csrf is None:
                raise BadRequest(
                    "This form has expired or did not come from this page. "
                    "Please pick your time again."
                )
            return self._submit(request, urls, token, csrf)
        opened = self._open(token)
        kind, start, tz = self._choice(request.args, opened.event_types)
        attendees = opened.attendees(kind, request.args)
        if not self._still_offered(opened, kind, start, tz, attendees):
            return self._taken(urls, opened, kind, start, tz, attendees)
        csrf = self._signer.issue_csrf(
            token, workspace_id=opened.view.workspace_id, master_page=opened.view.master_page
        )
        response = self._form(
            urls, opened, kind, start, tz, csrf, values=dict(request.args), errors={}
        )
        return _with_csrf_cookie(request, response, csrf, path=_link_path(token))

    def _submit(self, request: Request, urls: MapAdapter, token: str, csrf: CsrfToken) -> Response:
        try:
            opened = self._open(token)
        except LinkRefused as refused:
            if not isinstance(refused, LinkUsed):
                raise
            return self._repeat(request, urls, token, csrf)
        kind, start, tz = self._choice(request.form, opened.event_types)
        attendees = opened.attendees(kind, request.form)
        values = {key: request.form.get(key, "") for key in request.form}
        name = opened.view.guest_name or values.get("name", "").strip()
        email = opened.view.guest_email or values.get("email", "").strip()
        answers = dict(opened.view.form_answers)
        errors: dict[str, str] = {}
        if not name:
            errors["name"] = "Please enter your name."
        if not email:
            errors["email"] = "Please enter your email address."
        else:
            try:
                email = check_email(email)
            except BadInput as error:
                errors["email"] = error.message
        for item in _open_questions(kind, opened):
            answer = values.get(_answer_name(item), "").strip()
            if item.required and not answer:
                errors[_answer_name(item)] = f"Please answer “{item.label}”."
            if answer:
                answers[item.id] = answer
        errors.update(
            {key: "That is too long." for key, value in values.items() if len(value) > _MAX_TEXT}
        )
        if errors:
            return self._form(urls, opened, kind, start, tz, csrf, values=values, errors=errors)
        try:
            booking = book(
                self._services.engine,
                BookingRequest(
                    workspace_id=opened.view.workspace_id,
                    master_page=opened.view.master_page,
                    event_type=kind.id,
                    start=start,
                    customer=Customer(name=name, email=email),
                    tz=tz,
                    form_answers=answers,
                    link_token=token,
                    idempotency_key=csrf.idempotency_key,
                    attendees=attendees,
                ),
                actor=LINK_GUEST,
                now=self._services.clock(),
            )
        except SlotUnavailable:
            return self._taken(urls, opened, kind, start, tz, attendees)
        except BadInput as error:
            field = _form_field(error.field)
            errors[field] = error.message
            return self._form(urls, opened, kind, start, tz, csrf, values=values, errors=errors)
        return self._confirmed(request, urls, token, booking, opened.config)

    def _repeat(self, request: Request, urls: MapAdapter, token: str, csrf: CsrfToken) -> Response:
        """Answer a form sent again after its first submit used the link: the same booking.

        ``book`` returns the booking of the form's idempotency key; for any other form the
        link is used, and ``book`` says so.
        """
        config = load_config(self._services.engine, csrf.workspace_id)
        kind, start, tz = self._choice(request.form, config.event_types)
        booking = book(
            self._services.engine,
            BookingRequest(
                workspace_id=csrf.workspace_id,
                master_page=csrf.master_page,
                event_type=kind.id,
                start=start,
                customer=Customer(),
                tz=tz,
                link_token=token,
                idempotency_key=csrf.idempotency_key,
            ),
            actor=LINK_GUEST,
            now=self._services.clock(),
        )
        return self._confirmed(request, urls, token, booking, config)

    def _confirmed(
        self,
        request: Request,
        urls: MapAdapter,
        token: str,
        booking: Booking,
        config: WorkspaceConfig,
    ) -> Response:
        """Redirect to the confirmation, handing the browser the booking's details, signed."""
        pages = {page.id: page.name for page in config.pages}
        kinds = {kind.id: kind.name for kind in config.event_types}
        masters = {master.id: master.name for master in config.master_pages}
        confirmation = Confirmation(
            booking_id=booking.id,
            title=kinds[booking.event_type],
            master_page_name=masters[booking.master_page],
            start=booking.start,
            end=booking.end,
            timezone=booking.customer_timezone or config.workspace.timezone,
            hosts=tuple(pages[participant.page] for participant in booking.participants),
            guest_name=booking.customer_name or "",
            guest_email=booking.customer_email or "",
            location=booking.location,
        )
        response = redirect(urls.build("booked", {"token": token}), code=303)
        response.set_cookie(
            BOOKED_COOKIE,
            self._signer.seal_confirmation(token, confirmation.to_json()),
            max_age=int(CONFIRMATION_MAX_AGE.total_seconds()),
            path=_link_path(token),
            secure=request.scheme == "https",
            httponly=True,
            samesite="Lax",
        )
        return response

    def _booked(self, request: Request, urls: MapAdapter, token: str) -> Response:
        confirmation = self._confirmation(request, token)
        if confirmation is None:
            return redirect(urls.build("slots", {"token": token}), code=303)
        return self._render(
            "booked.html",
            booking=confirmation,
            when=when_text(confirmation.start, confirmation.end, confirmation.timezone),
            ics_url=urls.build("calendar", {"token": token}),
            manage_url=manage_url(self._services.public_url, self._secret, confirmation.booking_id),
        )

    def _calendar(self, request: Request, urls: MapAdapter, token: str) -> Response:
        confirmation = self._confirmation(request, token)
        if confirmation is None:
            raise NotFound("This browser holds no booking made with this link.")
        return Response(
            build_ics(confirmation, now=self._services.clock()),
            mimetype="text/calendar",
            headers={"Content-Disposition": 'attachment; filename="booking.ics"'},
        )

    def _feed(self, request: Request, urls: MapAdapter, token: str) -> Response:
        # An unknown token gets a bare 404 with no link back: it names nothing.
        ical = feed_calendar(self._services.engine, token, now=self._services.clock())
        if ical is None:
            return Response("Not found.\n", status=404, mimetype="text/plain")
        return Response(
            ical,
            mimetype="text/calendar",
            headers={"Content-Disposition": 'inline; filename="bookings.ics"'},
        )

    # The manage link of a guest's booking ----------------------------------------------

    def _manage(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        tz = booking.customer_timezone or config.workspace.timezone
        now = self._services.clock()
        notices = {
            "moved": "Your booking has been moved. Everyone in it has been told.",
            "cancelled": "Your booking has been cancelled. Everyone in it has been told.",
        }
        changeable = booking.status is BookingStatus.CONFIRMED and booking.start > now
        return self._render(
            "manage.html",
            details=_details(booking, config, tz),
            notice=notices.get(request.args.get("notice", "")),
            cancelled=booking.status is BookingStatus.CANCELLED,
            changeable=changeable,
            times_url=urls.build("manage_times", {"token": token}),
            cancel_url=urls.build("manage_cancel", {"token": token}),
        )

    def _manage_times(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        kind = _event_type(config, booking)
        tz, notice = self._zone(request, config, booking.customer_timezone)
        if request.args.get("notice") == "taken":
            notice = "Sorry, that time was just taken. Please pick another one."
        now = self._services.clock()
        first, until, today, last = _week(request, tz, kind, now)
        try:
            slots = reschedule_slots(
                self._services.engine,
                managed.workspace_id,
                booking.id,
                first,
                until,
                tz=tz,
                actor=Guest(booking.id),
                now=now,
            )
        except Refused:
            return redirect(urls.build("manage", {"token": token}), code=303)
        here = urls.build("manage_times", {"token": token})

        def week(start: date) -> str:
            return _with_query(here, tz=tz, **{"from": start.isoformat()})

        return self._render(
            "slots.html",
            master_page_name="Pick a new time",
            event_types=[],
            event_type={"id": kind.id, "name": kind.name, "duration": length_text(kind.duration)},
            headcount=False,  # the booking keeps the number it was made with
            attendees=booking.attendees,
            notice=notice,
            here=here,
            tz=tz,
            zones=_zone_choices(tz),
            week_label=f"{first.day} {first:%B %Y} to {until.day} {until:%B %Y}",
            days=_days(slots, tz, urls.build("manage_move", {"token": token}), {"tz": tz}),
            earlier_url=week(max(today, first - timedelta(days=DAYS_SHOWN)))
            if first > today
            else None,
            later_url=week(until + timedelta(days=1)) if until < last else None,
            current=when_text(booking.start, booking.end, tz),
            back_url=urls.build("manage", {"token": token}),
        )

    def _manage_move(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        guest = Guest(booking.id)
        values = request.form if request.method == "POST" else request.args
        start, tz = _start_and_zone(values)
        back = urls.build("manage", {"token": token})
        taken = _with_query(
            urls.build("manage_times", {"token": token}),
            tz=tz,
            notice="taken",
            **{"from": start.astimezone(ZoneInfo(tz)).date().isoformat()},
        )
        if request.method == "POST":
            self._require_csrf(request, token)
            try:
                reschedule(
                    self._services.engine,
                    managed.workspace_id,
                    booking.id,
                    start=start,
                    tz=tz,
                    actor=guest,
                    now=self._services.clock(),
                )
            except SlotUnavailable:
                return redirect(taken, code=303)
            except Refused:
                return redirect(back, code=303)  # cancelled or started meanwhile: it says so
            return redirect(_with_query(back, notice="moved"), code=303)
        kind = _event_type(config, booking)
        return self._confirm(
            request,
            token,
            managed,
            heading="Move your booking?",
            details=_details(booking, config, tz),
            change=("New time", when_text(start, start + kind.duration, tz)),
            action=urls.build("manage_move", {"token": token}),
            hidden={"start": zulu(start), "tz": tz},
            submit="Move my booking",
            back_url=back,
            back_label="Keep the current time",
        )

    def _manage_cancel(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        back = urls.build("manage", {"token": token})
        if request.method == "POST":
            self._require_csrf(request, token)
            try:
                cancel(
                    self._services.engine,
                    managed.workspace_id,
                    booking.id,
                    actor=Guest(booking.id),
                    now=self._services.clock(),
                )
            except (BookingCancelled, BookingStarted):
                return redirect(back, code=303)  # the page says which
            return redirect(_with_query(back, notice="cancelled"), code=303)
        tz = booking.customer_timezone or config.workspace.timezone
        return self._confirm(
            request,
            token,
            managed,
            heading="Cancel your booking?",
            details=_details(booking, config, tz),
            change=None,
            action=urls.build("manage_cancel", {"token": token}),
            hidden={},
            submit="Cancel my booking",
            back_url=back,
            back_label="Keep my booking",
        )

    def _confirm(
        self, request: Request, token: str, managed: GuestBooking, **page: Any
    ) -> Response:
        """The manage page's confirmation of a change: a form with a fresh CSRF token, whose
        cookie is scoped to the manage link's path."""
        booking = managed.booking
        csrf = self._signer.issue_csrf(
            token, workspace_id=managed.workspace_id, master_page=booking.master_page
        )
        response = self._render("manage_confirm.html", csrf=csrf.signed, **page)
        return _with_csrf_cookie(request, response, csrf, path=f"{MANAGE_PREFIX}{token}")

    def _managed(self, token: str) -> tuple[GuestBooking, WorkspaceConfig]:
        """Open a manage token; any token that names no guest's booking is refused alike.

        Raises:
            LinkRefused: the token is forged, altered or unknown (the same page as a
                withdrawn link).
        """
        managed = guest_booking(self._services.engine, self._secret, token)
        if managed is None:
            raise LinkUnknown()
        return managed, load_config(self._services.engine, managed.workspace_id)

    def _require_csrf(self, request: Request, token: str) -> CsrfToken:
        csrf = self._signer.check_csrf(
            token, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)
        )
        if csrf is None:
            raise BadRequest(
                "This form has expired or did not come from this page. Please try again."
            )
        return csrf

    # Helpers ---------------------------------------------------------------------------

    def _open(self, token: str) -> Opened:
        view = resolve_link(self._services.engine, token, now=self._services.clock())
        config = load_config(self._services.engine, view.workspace_id)
        kinds = {kind.id: kind for kind in config.event_types}
        allowed = tuple(kinds[kind] for kind in view.event_types if kind in kinds)
        if not allowed:
            raise LinkUnknown()  # nothing left to book behind it
        known = Schedule.of(config)
        headcount = frozenset(
            kind.id for kind in allowed if needs_headcount(known, view.master_page, kind.id)
        )
        return Opened(token, view, config, allowed, headcount)

    def _zone(
        self, request: Request, config: WorkspaceConfig, default: str | None = None
    ) -> tuple[str, str | None]:
        """Return the zone to show times in, and a notice when ``?tz=`` was not usable."""
        fallback = default or config.workspace.timezone
        asked = request.args.get("tz")
        if asked is None or asked in _zones():
            return asked or fallback, None
        return fallback, f"Unknown time zone; times are shown in {fallback}."

    def _choice(
        self, values: Mapping[str, str], event_types: Iterable[EventType]
    ) -> tuple[EventType, datetime, str]:
        """Read the event type, start and zone a booking form is for.

        Raises:
            BadRequest: one is missing, or not something this link books.
        """
        refusal = "That is not a time this link offers."
        wanted = values.get("event_type")
        kind = next((kind for kind in event_types if kind.id == wanted), None)
        if kind is None:
            raise BadRequest(refusal)
        start, tz = _start_and_zone(values, refusal)
        return kind, start, tz

    def _still_offered(
        self, opened: Opened, kind: EventType, start: datetime, tz: str, attendees: int
    ) -> bool:
        day = start.astimezone(ZoneInfo(tz)).date()
        slots = offered_slots(
            self._services.engine,
            opened.view.workspace_id,
            opened.view.master_page,
            kind.id,
            day,
            day,
            tz=tz,
            now=self._services.clock(),
            link_token=opened.token,
            attendees=attendees,
            actor=LINK_GUEST,
        )
        return any(slot.start == start for slot in slots)

    def _taken(
        self,
        urls: MapAdapter,
        opened: Opened,
        kind: EventType,
        start: datetime,
        tz: str,
        attendees: int,
    ) -> Response:
        day = start.astimezone(ZoneInfo(tz)).date()
        slots_url = urls.build("slots", {"token": opened.token})
        query = {"event_type": kind.id, "tz": tz, "from": day.isoformat(), "notice": "taken"}
        query |= opened.people(kind, attendees)
        return redirect(_with_query(slots_url, **query), code=303)

    def _form(
        self,
        urls: MapAdapter,
        opened: Opened,
        kind: EventType,
        start: datetime,
        tz: str,
        csrf: CsrfToken,
        *,
        values: Mapping[str, str],
        errors: Mapping[str, str],
    ) -> Response:
        fields: list[FormInput] = []
        if not opened.view.guest_name:
            fields.append(
                FormInput(
                    "name",
                    "Your name",
                    values.get("name", ""),
                    required=True,
                    autocomplete="name",
                    error=errors.get("name"),
                )
            )
        if not opened.view.guest_email:
            fields.append(
                FormInput(
                    "email",
                    "Your email",
                    values.get("email", ""),
                    required=True,
                    type="email",
                    autocomplete="email",
                    error=errors.get("email"),
                )
            )
        for item in _open_questions(kind, opened):
            key = _answer_name(item)
            fields.append(
                FormInput(
                    key,
                    item.label,
                    values.get(key, ""),
                    required=item.required,
                    multiline=True,
                    error=errors.get(key),
                )
            )
        slots_url = urls.build("slots", {"token": opened.token})
        people = opened.people(kind, opened.attendees(kind, values))
        return self._render(
            "book.html",
            status=400 if errors else 200,
            master_page_name=opened.view.master_page_name,
            event_type={"id": kind.id, "name": kind.name, "duration": length_text(kind.duration)},
            when=when_text(start, start + kind.duration, tz),
            start=zulu(start),
            tz=tz,
            guest_name=opened.view.guest_name,
            guest_email=opened.view.guest_email,
            errors=dict(errors),
            fields=fields,
            csrf=csrf.signed,
            action=urls.build("book", {"token": opened.token}),
            attendees=people.get("attendees"),
            back_url=_with_query(slots_url, event_type=kind.id, tz=tz, **people),
        )

    def _confirmation(self, request: Request, token: str) -> Confirmation | None:
        sealed = self._signer.open_confirmation(token, request.cookies.get(BOOKED_COOKIE))
        return None if sealed is None else Confirmation.from_json(sealed)

    def _problem(self, error: HTTPException, back_url: str | None, back_label: str) -> Response:
        headings = {
            400: "Something went wrong",
            404: "Page not found",
            405: "Not allowed",
            429: "Too many requests",
        }
        code = error.code or 500
        response = self._render(
            "problem.html",
            status=code,
            heading=headings.get(code, "Something went wrong"),
            message=error.description or "",
            back_url=back_url,
            back_label=back_label,
        )
        response.headers.extend(h for h in error.get_headers() if h[0] == "Retry-After")
        return response

    def _render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        body = self._templates.get_template(template).render(**context)
        return Response(body, status=status, mimetype="text/html")


def _week(request: Request, tz: str, kind: EventType, now: datetime) -> tuple[date, ...]:
    """Return the first and last local dates shown (``?from=``), today and the last bookable."""
    today = now.astimezone(ZoneInfo(tz)).date()
    last = (now + timedelta(days=kind.max_days_ahead)).astimezone(ZoneInfo(tz)).date()
    first = min(max(_date_arg(request.args.get("from")) or today, today), last)
    return first, first + timedelta(days=DAYS_SHOWN - 1), today, last


def _days(
    slots: Iterable[Slot], tz: str, target: str, query: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Group slots by local day, each a button to ``target`` with ``start`` and ``query``."""
    days: dict[date, list[dict[str, str]]] = {}
    for slot in slots:
        start = slot.start.astimezone(ZoneInfo(tz))
        days.setdefault(start.date(), []).append(
            {
                "label": f"{start:%H:%M}",
                "end_label": f"{slot.end.astimezone(ZoneInfo(tz)):%H:%M}",
                "url": _with_query(target, **query, start=zulu(slot.start)),
            }
        )
    return [{"label": day_text(day), "slots": found} for day, found in sorted(days.items())]


def _details(booking: Booking, config: WorkspaceConfig, tz: str) -> list[tuple[str, str]]:
    """Return what a guest sees of their booking, as (term, description) pairs."""
    pages = {page.id: page.name for page in config.pages}
    masters = {master.id: master.name for master in config.master_pages}
    kind = next((k for k in config.event_types if k.id == booking.event_type), None)
    status = {
        BookingStatus.CONFIRMED: "Confirmed",
        BookingStatus.CANCELLED: "Cancelled",
        BookingStatus.NO_SHOW: "Marked as missed",
    }[booking.status]
    return [
        ("What", kind.name if kind else booking.event_type),
        ("Booked on", masters.get(booking.master_page, booking.master_page)),
        ("When", when_text(booking.start, booking.end, tz)),
        ("Time zone", tz),
        ("With", ", ".join(pages.get(p.page, p.page) for p in booking.participants)),
        ("Name", booking.customer_name or ""),
        ("Email", booking.customer_email or ""),
        ("Status", status),
    ]


def _event_type(config: WorkspaceConfig, booking: Booking) -> EventType:
    """Return a booking's event type.

    Raises:
        NotFound: the event type is gone from the configuration (nothing to move it to).
    """
    for kind in config.event_types:
        if kind.id == booking.event_type:
            return kind
    raise NotFound("This booking can no longer be moved.")


def _start_and_zone(
    values: Mapping[str, str], refusal: str = "That is not a time this booking can move to."
) -> tuple[datetime, str]:
    """Read the chosen start (with its UTC offset, within ``engine.bounds``) and zone.

    Raises:
        BadRequest: one is missing or malformed (``refusal`` says so).
    """
    start: datetime | None = None
    try:
        asked = datetime.fromisoformat(values.get("start", ""))
        start = check_instant(asked) if asked.tzinfo else None
    except ValueError:
        pass
    tz = values.get("tz", "")
    if start is None or tz not in _zones():
        raise BadRequest(refusal)
    return start.astimezone(UTC), tz


def _with_csrf_cookie(
    request: Request, response: Response, csrf: CsrfToken, *, path: str
) -> Response:
    """Set the double-submit cookie of a form's CSRF token, scoped to one link's pages."""
    response.set_cookie(
        CSRF_COOKIE,
        csrf.nonce,
        path=path,
        secure=request.scheme == "https",
        httponly=True,
        samesite="Strict",
    )
    return response


def _link_path(token: str) -> str:
    return f"{PREFIX}{token}"


def _open_questions(kind: EventType, opened: Opened) -> list[FormField]:
    """Return the questions of ``kind``'s form that the link does not answer already."""
    return [item for item in kind.form if item.id not in opened.view.form_answers]


def _answer_name(item: FormField) -> str:
    return f"answer-{item.id}"


def _form_field(field: str | None) -> str:
    """Return the form input that a service error's ``field`` is about."""
    if field is not None and field.startswith("form."):
        return "answer-" + field.removeprefix("form.")
    known = {"customer": "name", "customer_name": "name", "customer_email": "email"}
    return known.get(field or "", field or "form")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _common_zones() -> tuple[str, ...]:
    """Return the zones to choose from: every "Area/City" name, and UTC."""
    skipped = ("Etc/", "posix/", "right/")
    cities = sorted(name for name in _zones() if "/" in name and not name.startswith(skipped))
    return (*cities, "UTC")


def _zone_choices(current: str) -> tuple[str, ...]:
    zones = _common_zones()
    return zones if current in zones else tuple(sorted((*zones, current)))


def _date_arg(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _with_query(url: str, **params: str) -> str:
    return f"{url}?{urlencode(params)}"
