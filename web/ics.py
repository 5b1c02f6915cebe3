"""What a guest's confirmation shows, and the ``.ics`` file that adds it to a calendar.

The file is a plain published event (no ``METHOD``, so not an iTIP invitation): ``UID`` is the
booking id, ``DTSTART``/``DTEND`` are UTC, the guest is the ``ATTENDEE`` (accepted) and the
hosts are named in the description. Hosts are Slack users whose email Roundtable does not
know, so there is no ``ORGANIZER``: a made-up address would be worse than none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

PRODUCT_ID = "-//Roundtable//Guest booking//EN"


def day_text(day: date) -> str:
    """Write a date the way the guest pages and emails do: ``Monday 7 December 2026``."""
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def when_text(start: datetime, end: datetime, tz: str) -> str:
    """Write a meeting's time in ``tz``: ``Monday 7 December 2026, 10:00 to 10:30``."""
    local_start = start.astimezone(ZoneInfo(tz))
    local_end = end.astimezone(ZoneInfo(tz))
    return f"{day_text(local_start.date())}, {local_start:%H:%M} to {local_end:%H:%M}"


def is_web_link(location: object) -> bool:
    """Tell whether a location is a web address (shown as a link) rather than plain text."""
    if not isinstance(location, str):
        return False
    parts = urlsplit(location)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in location


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A booking as its guest sees it; ``start``/``end`` are UTC, ``timezone`` the guest's."""

    booking_id: str
    title: str
    master_page_name: str
    start: datetime
    end: datetime
    timezone: str
    hosts: tuple[str, ...]
    guest_name: str
    guest_email: str
    location: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the confirmation as JSON-ready values (to sign into a cookie)."""
        values = asdict(self)
        values["start"] = self.start.isoformat()
        values["end"] = self.end.isoformat()
        values["hosts"] = list(self.hosts)
        return values

    @classmethod
    def from_json(cls, values: Mapping[str, Any]) -> Confirmation:
        """Read back what ``to_json`` made.

        Raises:
            KeyError, TypeError, ValueError: the values are not a confirmation.
        """
        return cls(
            booking_id=str(values["booking_id"]),
            title=str(values["title"]),
            master_page_name=str(values["master_page_name"]),
            start=datetime.fromisoformat(values["start"]).astimezone(UTC),
            end=datetime.fromisoformat(values["end"]).astimezone(UTC),
            timezone=str(values["timezone"]),
            hosts=tuple(str(host) for host in values["hosts"]),
            guest_name=str(values["guest_name"]),
            guest_email=str(values["guest_email"]),
            location=None if values.get("location") is None else str(values["location"]),
        )


@dataclass(frozen=True, slots=True)
class Invitation:
    """Makes the file an iTIP message (emails): ``REQUEST`` or ``CANCEL``, from ``organizer``.

    ``sequence`` orders the versions of one event (a cancellation comes after the request).
    """

    method: str
    organizer_email: str
    organizer_name: str
    sequence: int = 0


def build_ics(
    confirmation: Confirmation, *, now: datetime, invitation: Invitation | None = None
) -> bytes:
    """Return an iCalendar file holding the booking as one event.

    Without ``invitation`` a published event (the guest page's download); with one, an
    invitation or its cancellation with ``ORGANIZER`` (what emails attach).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    if invitation is not None:
        calendar.add("method", invitation.method)
    event = Event()
    event.add("uid", confirmation.booking_id)
    event.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", confirmation.start.astimezone(UTC))
    event.add("dtend", confirmation.end.astimezone(UTC))
    event.add("summary", f"{confirmation.title} ({confirmation.master_page_name})")
    if confirmation.hosts:
        event.add("description", "With " + ", ".join(confirmation.hosts))
    if confirmation.location:
        event.add("location", confirmation.location)
    cancelled = invitation is not None and invitation.method == "CANCEL"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if invitation is not None:
        event.add("sequence", invitation.sequence)
        event.add(
            "organizer",
            vCalAddress.new(invitation.organizer_email, cn=invitation.organizer_name),
        )
    event.add(
        "attendee",
        vCalAddress.new(
            confirmation.guest_email,
            cn=confirmation.guest_name,
            role="REQ-PARTICIPANT",
            partstat="ACCEPTED",
            rsvp=False if invitation is not None else None,
        ),
    )
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
