"""Offered slots of a master page; ``engine.search`` holds the algorithm."""

from __future__ import annotations

from datetime import datetime

from engine.model import Schedule
from engine.rules import seat_candidates
from engine.search import Slot, SlotSearch

__all__ = ["Slot", "offered_slots"]


def offered_slots(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    start: datetime,
    end: datetime,
    tz: str,
    now: datetime,
    pick: str | None = None,
    *,
    attendees: int = 1,
    member: str | None = None,
) -> list[Slot]:
    """Return the slots offered for booking ``event_type`` on ``master_page``, sorted.

    Args:
        schedule: the loaded configuration, bookings and ledger.
        master_page: the master page's id.
        event_type: the event type's id.
        start: the beginning of the UTC range to search.
        end: the end of the range, excluded; a slot lies wholly inside the range.
        tz: the requester's time zone, in which starts are aligned.
        now: the current instant.
        pick: the page the customer chose, where the master page lets them choose.
        attendees: how many people will attend; smaller resources take no seat.
        member: the member a one-time link names for a flexible round-robin seat.

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type, the pick is not allowed,
            or ``attendees`` is below 1.
    """
    seats = seat_candidates(
        schedule, master_page, event_type, tz, now, pick, attendees=attendees, member=member
    )
    kind = schedule.event_types[event_type]
    return list(SlotSearch(schedule, kind, seats, start, end, tz, now).slots())
