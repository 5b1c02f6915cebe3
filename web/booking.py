"""The pages of a one-time link: the free times, the booking form, the confirmation.

    GET      /l/<token>             the master page, the link's event types, free times by day
    GET      /l/<token>/book        the chosen time and the booking form (no fields when the
                                    link is personalized), with a CSRF token
    POST     /l/<token>/book        book, then redirect (303) to the confirmation
    GET      /l/<token>/booked      the confirmation, to the browser that booked
    GET      /l/<token>/booked.ics  the booking as an iCalendar file

The confirmation travels in a signed cookie scoped to the link's path, so it needs no lookup
and shows only to the browser that booked. A form sent again after its first submit used the
link gets the same booking (its CSRF token carries the idempotency key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import MapAdapter
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from engine.errors import BadInput, SlotUnavailable
from engine.model import EventType, FormField, Schedule, WorkspaceConfig
from engine.records import Booking
from engine.seats import needs_headcount
from engine.zones import zulu
from services.booking import BookingRequest, Customer, book
from services.config import load_config
from services.context import LINK_GUEST
from services.errors import LinkRefused, LinkUnknown, LinkUsed
from services.links import LinkView, check_email, resolve_link
from services.manage_links import manage_url
from services.slots import offered_slots
from web.ics import Confirmation, build_ics, when_text
from web.pages import (
    PREFIX,
    TAKEN,
    Site,
    event_type_shown,
    free_times,
    start_and_zone,
    week,
    with_csrf_cookie,
    with_query,
    zone,
)
from web.security import CONFIRMATION_MAX_AGE, CsrfToken

BOOKED_COOKIE = "rt_booked"
_MAX_TEXT = 2000
_MAX_ATTENDEES = 1000


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


class LinkPages:
    """The views of a one-time link's pages; each takes the request, the URLs and the token."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self._services = site.services

    def slots(self, request: Request, urls: MapAdapter, token: str) -> Response:
        opened = self._open(token)
        kind = opened.event_type(request.args.get("event_type"))
        attendees = opened.attendees(kind, request.args)
        people = opened.people(kind, attendees)
        tz, notice = zone(request, opened.config)
        if request.args.get("notice") == "taken":
            notice = TAKEN
        now = self._services.clock()
        shown = week(request, tz, kind, now)
        slots = offered_slots(
            self._services.engine,
            opened.view.workspace_id,
            opened.view.master_page,
            kind.id,
            shown[0],
            shown[1],
            tz=tz,
            now=now,
            link_token=token,
            attendees=attendees,
            actor=LINK_GUEST,
        )
        here = urls.build("slots", {"token": token})
        return self._site.render(
            "slots.html",
            master_page_name=opened.view.master_page_name,
            event_types=[
                event_type_shown(other)
                | {
                    "url": with_query(here, event_type=other.id, tz=tz),
                    "current": other.id == kind.id,
                }
                for other in opened.event_types
            ],
            headcount=kind.id in opened.headcount,
            attendees=attendees,
            notice=notice,
            current=None,
            back_url=None,
            **free_times(
                kind,
                slots,
                tz,
                shown,
                here=here,
                target=urls.build("book", {"token": token}),
                query={"event_type": kind.id, "tz": tz, **people},
            ),
        )

    def book(self, request: Request, urls: MapAdapter, token: str) -> Response:
        if request.method == "POST":
            refusal = (
                "This form has expired or did not come from this page. Please pick your time again."
            )
            return self._submit(
                request, urls, token, self._site.check_csrf(request, token, refusal)
            )
        opened = self._open(token)
        kind, start, tz = self._choice(request.args, opened.event_types)
        attendees = opened.attendees(kind, request.args)
        if not self._still_offered(opened, kind, start, tz, attendees):
            return self._taken(urls, opened, kind, start, tz, attendees)
        csrf = self._site.signer.issue_csrf(
            token, workspace_id=opened.view.workspace_id, master_page=opened.view.master_page
        )
        response = self._form(
            urls, opened, kind, start, tz, csrf, values=dict(request.args), errors={}
        )
        return with_csrf_cookie(request, response, csrf, path=_link_path(token))

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
        kind, start, tz = self._choice(request.form, config.event_types.values())
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
        confirmation = Confirmation(
            booking_id=booking.id,
            title=config.event_types[booking.event_type].name,
            master_page_name=config.master_pages[booking.master_page].name,
            start=booking.start,
            end=booking.end,
            timezone=booking.customer_timezone or config.workspace.timezone,
            hosts=tuple(config.pages[p.page].name for p in booking.participants),
            guest_name=booking.customer_name or "",
            guest_email=booking.customer_email or "",
            location=booking.location,
        )
        response = redirect(urls.build("booked", {"token": token}), code=303)
        response.set_cookie(
            BOOKED_COOKIE,
            self._site.signer.seal_confirmation(token, confirmation.to_json()),
            max_age=int(CONFIRMATION_MAX_AGE.total_seconds()),
            path=_link_path(token),
            secure=request.scheme == "https",
            httponly=True,
            samesite="Lax",
        )
        return response

    def booked(self, request: Request, urls: MapAdapter, token: str) -> Response:
        confirmation = self._confirmation(request, token)
        if confirmation is None:
            return redirect(urls.build("slots", {"token": token}), code=303)
        return self._site.render(
            "booked.html",
            booking=confirmation,
            when=when_text(confirmation.start, confirmation.end, confirmation.timezone),
            ics_url=urls.build("calendar", {"token": token}),
            manage_url=manage_url(
                self._services.public_url, self._site.secret, confirmation.booking_id
            ),
        )

    def calendar(self, request: Request, urls: MapAdapter, token: str) -> Response:
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
        kinds = config.event_types
        allowed = tuple(kinds[kind] for kind in view.event_types if kind in kinds)
        if not allowed:
            raise LinkUnknown()  # nothing left to book behind it
        known = Schedule(config)
        headcount = frozenset(
            kind.id for kind in allowed if needs_headcount(known, view.master_page, kind.id)
        )
        return Opened(token, view, config, allowed, headcount)

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
        start, tz = start_and_zone(values, refusal)
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
        return redirect(with_query(slots_url, **query), code=303)

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
        return self._site.render(
            "book.html",
            status=400 if errors else 200,
            master_page_name=opened.view.master_page_name,
            event_type=event_type_shown(kind),
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
            back_url=with_query(slots_url, event_type=kind.id, tz=tz, **people),
        )

    def _confirmation(self, request: Request, token: str) -> Confirmation | None:
        sealed = self._site.signer.open_confirmation(token, request.cookies.get(BOOKED_COOKIE))
        return None if sealed is None else Confirmation.from_json(sealed)


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
