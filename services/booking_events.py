"""A booking as a calendar event: the one shape of the bookings feed and of CalDAV writes.

``UID`` is ``<booking id>@roundtable`` (calendar sync skips events whose UID ends so: they
are Roundtable's own), ``SUMMARY`` the event type's name and the customer, ``DESCRIPTION``
the customer, the hosts (every page of the booking) and the form answers, and the customer
is an ``ATTENDEE`` when their email is known. Times are UTC. Hosts are Slack users whose
email Roundtable does not know, so there is no ``ORGANIZER`` (which would also make a CalDAV
server send invitations): the event is a plain published one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vDuration

from engine.model import WorkspaceConfig
from engine.records import Booking

PRODUCT_ID = "-//Roundtable//Bookings//EN"
UID_SUFFIX = "@roundtable"
REFRESH = timedelta(minutes=15)
"""How often a subscribed feed asks to be read again (Outlook and Apple honour it)."""


def event_uid(booking_id: str) -> str:
    """Return the calendar UID of a booking."""
    return f"{booking_id}{UID_SUFFIX}"


def booking_event(booking: Booking, config: WorkspaceConfig, *, now: datetime) -> Event:
    """Return ``booking`` as a VEVENT; ``config`` names its event type and pages."""
    kind = config.event_types.get(booking.event_type)
    customer = booking.customer_name or (
        f"Slack user {booking.customer_slack_user}" if booking.customer_slack_user else "a guest"
    )
    hosts = [
        config.pages[p.page].name if p.page in config.pages else p.page
        for p in booking.participants
    ]
    labels = {item.id: item.label for item in kind.form} if kind else {}
    order = list(labels) + sorted(set(booking.form_answers) - set(labels))
    answers = [
        f"{labels.get(key, key)}: {booking.form_answers[key]}"
        for key in order
        if booking.form_answers.get(key)
    ]
    who = f"{customer} <{booking.customer_email}>" if booking.customer_email else customer
    event = Event()
    event.add("uid", event_uid(booking.id))
    event.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", f"{kind.name if kind else booking.event_type} with {customer}")
    event.add("description", "\n".join([f"Customer: {who}", f"With: {', '.join(hosts)}", *answers]))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    if booking.customer_email:
        event.add(
            "attendee",
            vCalAddress.new(
                booking.customer_email, cn=customer, role="REQ-PARTICIPANT", partstat="ACCEPTED"
            ),
        )
    return event


def calendar_file(events: Iterable[Event], *, name: str | None = None) -> bytes:
    """Return an iCalendar file holding ``events``; a ``name`` makes it a subscribable feed."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    if name is not None:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
    for event in events:
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
