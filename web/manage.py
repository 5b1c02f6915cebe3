"""The manage page of a guest's booking (its manage link), with Reschedule and Cancel.

    GET      /m/<token>             the booking, with Reschedule and Cancel until it starts
    GET      /m/<token>/times       the times it may move to, by day
    GET|POST /m/<token>/move        confirm a new time (CSRF-protected), then move it
    GET|POST /m/<token>/cancel      confirm (CSRF-protected), then cancel it

A manage token is derived from the booking's id under the app's secret
(``services.manage_links``); a forged or unknown one, or one of a booking whose customer is
not a guest, gets the same page as a withdrawn link.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.exceptions import NotFound
from werkzeug.routing import MapAdapter
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from engine.errors import BookingCancelled, BookingStarted, Refused, SlotUnavailable
from engine.model import BookingStatus, EventType, WorkspaceConfig
from engine.records import Booking
from engine.zones import zulu
from services.booking_changes import cancel as cancel_booking
from services.booking_changes import reschedule, reschedule_slots
from services.booking_reads import GuestBooking, guest_booking
from services.config import load_config
from services.context import Guest
from services.errors import LinkUnknown
from web.ics import when_text
from web.pages import (
    MANAGE_PREFIX,
    TAKEN,
    Site,
    free_times,
    start_and_zone,
    week,
    with_csrf_cookie,
    with_query,
    zone,
)

_EXPIRED = "This form has expired or did not come from this page. Please try again."
_NOTICES = {
    "moved": "Your booking has been moved. Everyone in it has been told.",
    "cancelled": "Your booking has been cancelled. Everyone in it has been told.",
}
_STATUS = {
    BookingStatus.CONFIRMED: "Confirmed",
    BookingStatus.CANCELLED: "Cancelled",
    BookingStatus.NO_SHOW: "Marked as missed",
}


class ManagePages:
    """The views of a manage link's pages; each takes the request, the URLs and the token."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self._services = site.services

    def show(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        tz = booking.customer_timezone or config.workspace.timezone
        now = self._services.clock()
        changeable = booking.status is BookingStatus.CONFIRMED and booking.start > now
        return self._site.render(
            "manage.html",
            details=_details(booking, config, tz),
            notice=_NOTICES.get(request.args.get("notice", "")),
            cancelled=booking.status is BookingStatus.CANCELLED,
            changeable=changeable,
            times_url=urls.build("manage_times", {"token": token}),
            cancel_url=urls.build("manage_cancel", {"token": token}),
        )

    def times(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        kind = _event_type(config, booking)
        tz, notice = zone(request, config, booking.customer_timezone)
        if request.args.get("notice") == "taken":
            notice = TAKEN
        now = self._services.clock()
        shown = week(request, tz, kind, now)
        try:
            slots = reschedule_slots(
                self._services.engine,
                managed.workspace_id,
                booking.id,
                shown[0],
                shown[1],
                tz=tz,
                actor=Guest(booking.id),
                now=now,
            )
        except Refused:
            return redirect(urls.build("manage", {"token": token}), code=303)
        return self._site.render(
            "slots.html",
            master_page_name="Pick a new time",
            event_types=[],
            headcount=False,  # the booking keeps the number it was made with
            attendees=booking.attendees,
            notice=notice,
            current=when_text(booking.start, booking.end, tz),
            back_url=urls.build("manage", {"token": token}),
            **free_times(
                kind,
                slots,
                tz,
                shown,
                here=urls.build("manage_times", {"token": token}),
                target=urls.build("manage_move", {"token": token}),
                query={"tz": tz},
            ),
        )

    def move(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        guest = Guest(booking.id)
        values = request.form if request.method == "POST" else request.args
        start, tz = start_and_zone(values)
        back = urls.build("manage", {"token": token})
        taken = with_query(
            urls.build("manage_times", {"token": token}),
            tz=tz,
            notice="taken",
            **{"from": start.astimezone(ZoneInfo(tz)).date().isoformat()},
        )
        if request.method == "POST":
            self._site.check_csrf(request, token, _EXPIRED)
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
            return redirect(with_query(back, notice="moved"), code=303)
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

    def cancel(self, request: Request, urls: MapAdapter, token: str) -> Response:
        managed, config = self._managed(token)
        booking = managed.booking
        back = urls.build("manage", {"token": token})
        if request.method == "POST":
            self._site.check_csrf(request, token, _EXPIRED)
            try:
                cancel_booking(
                    self._services.engine,
                    managed.workspace_id,
                    booking.id,
                    actor=Guest(booking.id),
                    now=self._services.clock(),
                )
            except (BookingCancelled, BookingStarted):
                return redirect(back, code=303)  # the page says which
            return redirect(with_query(back, notice="cancelled"), code=303)
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
        csrf = self._site.signer.issue_csrf(
            token, workspace_id=managed.workspace_id, master_page=booking.master_page
        )
        response = self._site.render("manage_confirm.html", csrf=csrf.signed, **page)
        return with_csrf_cookie(request, response, csrf, path=f"{MANAGE_PREFIX}{token}")

    def _managed(self, token: str) -> tuple[GuestBooking, WorkspaceConfig]:
        """Open a manage token; any token that names no guest's booking is refused alike.

        Raises:
            LinkRefused: the token is forged, altered or unknown (the same page as a
                withdrawn link).
        """
        managed = guest_booking(self._services.engine, self._site.secret, token)
        if managed is None:
            raise LinkUnknown()
        return managed, load_config(self._services.engine, managed.workspace_id)


def _details(booking: Booking, config: WorkspaceConfig, tz: str) -> list[tuple[str, str]]:
    """Return what a guest sees of their booking, as (term, description) pairs."""
    pages = config.pages
    kind, master = (
        config.event_types.get(booking.event_type),
        config.master_pages.get(booking.master_page),
    )
    return [
        ("What", kind.name if kind else booking.event_type),
        ("Booked on", booking.master_page if master is None else master.name),
        ("When", when_text(booking.start, booking.end, tz)),
        ("Time zone", tz),
        (
            "With",
            ", ".join(
                pages[p.page].name if p.page in pages else p.page for p in booking.participants
            ),
        ),
        ("Name", booking.customer_name or ""),
        ("Email", booking.customer_email or ""),
        ("Status", _STATUS[booking.status]),
    ]


def _event_type(config: WorkspaceConfig, booking: Booking) -> EventType:
    """Return a booking's event type.

    Raises:
        NotFound: the event type is gone from the configuration (nothing to move it to).
    """
    kind = config.event_types.get(booking.event_type)
    if kind is None:
        raise NotFound("This booking can no longer be moved.")
    return kind
