"""The guest pages of one-time links: pick a time, confirm, get the ``.ics`` file (§8).

    GET      /l/<token>             the master page, the link's event types, free times by day
    GET      /l/<token>/book        the chosen time and the booking form (no fields when the
                                    link is personalized), with a CSRF token
    POST     /l/<token>/book        book, then redirect (303) to the confirmation
    GET      /l/<token>/booked      the confirmation, to the browser that booked
    GET      /l/<token>/booked.ics  the booking as an iCalendar file
    GET      /l/_static/<file>      the style sheet and the time zone script

``roundtable serve`` hands every request under ``PREFIX`` to ``GuestApp``, paths untouched.

Times are shown in the zone named by ``?tz=``; without it, in the workspace's zone, and the
page's one script (``static/zone.js``) reloads it with the browser's zone. A used, expired,
revoked or unknown link gets the same page with status 410 Gone, naming nothing behind the
link; only a used link says so ("already been used"), the other three read alike. The
confirmation travels in a signed cookie scoped to the link's path, so it needs no lookup and
shows only to the browser that booked. No view logs a path; ``web.logs`` keeps the servers'
logs free of tokens too.
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
from werkzeug.exceptions import BadRequest, HTTPException, NotFound
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from engine.errors import BadInput, LinkRefused, SlotUnavailable
from engine.model import EventType, FormField, WorkspaceConfig
from services.booking import BookingRequest, Customer, book
from services.config import load_config
from services.context import Actor, Services
from services.links import LINK_UNKNOWN, LINK_USED, LinkView, check_email, refuse, resolve_link
from services.slots import offered_slots
from storage.records import Booking
from web.ics import Confirmation, build_ics, day_text, is_web_link, when_text
from web.logs import install_log_redaction
from web.security import CONFIRMATION_MAX_AGE, CsrfToken, Signer, default_secret

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PREFIX = "/l/"
STATIC = Path(__file__).parent / "static"
CSRF_COOKIE = "rt_csrf"
BOOKED_COOKIE = "rt_booked"
DAYS_SHOWN = 7
GUEST = Actor()  # the link is the guest's authority; the use cases check it, not a role
_MAX_TEXT = 2000
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

    def __init__(self, services: Services, *, secret: bytes | None = None) -> None:
        self._services = services
        self._signer = Signer(default_secret() if secret is None else secret)
        self._urls = Map(
            [
                Rule("/l/<token>", endpoint="slots", methods=["GET"]),
                Rule("/l/<token>/book", endpoint="book", methods=["GET", "POST"]),
                Rule("/l/<token>/booked", endpoint="booked", methods=["GET"]),
                Rule("/l/<token>/booked.ics", endpoint="calendar", methods=["GET"]),
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
        try:
            endpoint, values = urls.match()
            token = values["token"]
            view = getattr(self, f"_{endpoint}")
            response: Response = view(request, urls, **values)
        except LinkRefused as refused:
            response = self._render("refused.html", status=410, used=refused.code == LINK_USED)
        except HTTPException as error:
            back = None if token is None else urls.build("slots", {"token": token})
            response = self._problem(error, back)
        response.headers.update(_SECURITY_HEADERS)
        return response(environ, start_response)

    # Views -----------------------------------------------------------------------------

    def _slots(self, request: Request, urls: MapAdapter, token: str) -> Response:
        opened = self._open(token)
        kind = opened.event_type(request.args.get("event_type"))
        tz, notice = self._zone(request, opened)
        if request.args.get("notice") == "taken":
            notice = "Sorry, that time was just taken. Please pick another one."
        now = self._services.clock()
        today = now.astimezone(ZoneInfo(tz)).date()
        last = (now + timedelta(days=kind.max_days_ahead)).astimezone(ZoneInfo(tz)).date()
        first = min(max(_date_arg(request.args.get("from")) or today, today), last)
        until = first + timedelta(days=DAYS_SHOWN - 1)
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
            actor=GUEST,
        )
        here = urls.build("slots", {"token": token})
        book_url = urls.build("book", {"token": token})
        days: dict[date, list[dict[str, str]]] = {}
        for slot in slots:
            start = slot.start.astimezone(ZoneInfo(tz))
            days.setdefault(start.date(), []).append(
                {
                    "label": f"{start:%H:%M}",
                    "end_label": f"{slot.end.astimezone(ZoneInfo(tz)):%H:%M}",
                    "url": _with_query(book_url, event_type=kind.id, start=_iso(slot.start), tz=tz),
                }
            )

        def week(start: date) -> str:
            return _with_query(here, event_type=kind.id, tz=tz, **{"from": start.isoformat()})

        return self._render(
            "slots.html",
            master_page_name=opened.view.master_page_name,
            event_types=[
                {
                    "name": other.name,
                    "duration": _duration(other.duration),
                    "url": _with_query(here, event_type=other.id, tz=tz),
                    "current": other.id == kind.id,
                }
                for other in opened.event_types
            ],
            event_type={"id": kind.id, "name": kind.name, "duration": _duration(kind.duration)},
            notice=notice,
            here=here,
            tz=tz,
            zones=_zone_choices(tz),
            week_label=f"{first.day} {first:%B %Y} to {until.day} {until:%B %Y}",
            days=[{"label": day_text(day), "slots": found} for day, found in sorted(days.items())],
            earlier_url=week(max(today, first - timedelta(days=DAYS_SHOWN)))
            if first > today
            else None,
            later_url=week(until + timedelta(days=1)) if until < last else None,
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
        if not self._still_offered(opened, kind, start, tz):
            return self._taken(urls, token, kind, start, tz)
        csrf = self._signer.issue_csrf(
            token, workspace_id=opened.view.workspace_id, master_page=opened.view.master_page
        )
        response = self._form(urls, opened, kind, start, tz, csrf, values={}, errors={})
        response.set_cookie(
            CSRF_COOKIE,
            csrf.nonce,
            path=_link_path(token),
            secure=request.scheme == "https",
            httponly=True,
            samesite="Strict",
        )
        return response

    def _submit(self, request: Request, urls: MapAdapter, token: str, csrf: CsrfToken) -> Response:
        try:
            opened = self._open(token)
        except LinkRefused as refused:
            if refused.code != LINK_USED:
                raise
            return self._repeat(request, urls, token, csrf)
        kind, start, tz = self._choice(request.form, opened.event_types)
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
                ),
                actor=GUEST,
                now=self._services.clock(),
            )
        except SlotUnavailable:
            return self._taken(urls, token, kind, start, tz)
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
            actor=GUEST,
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

    # Helpers ---------------------------------------------------------------------------

    def _open(self, token: str) -> Opened:
        view = resolve_link(self._services.engine, token, now=self._services.clock())
        config = load_config(self._services.engine, view.workspace_id)
        kinds = {kind.id: kind for kind in config.event_types}
        allowed = tuple(kinds[kind] for kind in view.event_types if kind in kinds)
        if not allowed:
            raise refuse(LINK_UNKNOWN)  # nothing left to book behind it
        return Opened(token, view, config, allowed)

    def _zone(self, request: Request, opened: Opened) -> tuple[str, str | None]:
        """Return the zone to show times in, and a notice when ``?tz=`` was not usable."""
        fallback = opened.config.workspace.timezone
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
        wanted = values.get("event_type")
        kind = next((kind for kind in event_types if kind.id == wanted), None)
        try:
            start = datetime.fromisoformat(values.get("start", ""))
        except ValueError:
            start = None
        tz = values.get("tz", "")
        if kind is None or start is None or start.tzinfo is None or tz not in _zones():
            raise BadRequest("That is not a time this link offers.")
        return kind, start.astimezone(UTC), tz

    def _still_offered(self, opened: Opened, kind: EventType, start: datetime, tz: str) -> bool:
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
            actor=GUEST,
        )
        return any(slot.start == start for slot in slots)

    def _taken(
        self, urls: MapAdapter, token: str, kind: EventType, start: datetime, tz: str
    ) -> Response:
        day = start.astimezone(ZoneInfo(tz)).date()
        slots_url = urls.build("slots", {"token": token})
        query = {"event_type": kind.id, "tz": tz, "from": day.isoformat(), "notice": "taken"}
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
        return self._render(
            "book.html",
            status=400 if errors else 200,
            master_page_name=opened.view.master_page_name,
            event_type={"id": kind.id, "name": kind.name, "duration": _duration(kind.duration)},
            when=when_text(start, start + kind.duration, tz),
            start=_iso(start),
            tz=tz,
            guest_name=opened.view.guest_name,
            guest_email=opened.view.guest_email,
            errors=dict(errors),
            fields=fields,
            csrf=csrf.signed,
            action=urls.build("book", {"token": opened.token}),
            back_url=_with_query(slots_url, event_type=kind.id, tz=tz),
        )

    def _confirmation(self, request: Request, token: str) -> Confirmation | None:
        sealed = self._signer.open_confirmation(token, request.cookies.get(BOOKED_COOKIE))
        return None if sealed is None else Confirmation.from_json(sealed)

    def _problem(self, error: HTTPException, back_url: str | None) -> Response:
        headings = {400: "Something went wrong", 404: "Page not found", 405: "Not allowed"}
        code = error.code or 500
        return self._render(
            "problem.html",
            status=code,
            heading=headings.get(code, "Something went wrong"),
            message=error.description or "",
            back_url=back_url,
        )

    def _render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        body = self._templates.get_template(template).render(**context)
        return Response(body, status=status, mimetype="text/html")


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
    return {"customer": "name", "customer_email": "email"}.get(field or "", field or "form")


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


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(length: timedelta) -> str:
    minutes = int(length.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts)
