"""Booking a meeting (``book``), and the page locks every write that moves seats takes.

Every surface (Slack, the command line, the guest page) calls these use cases; each opens
its own unit of work and commits once, so a booking, its participants, its ledger entries,
its outbox rows and its link's consumption are written together or not at all. The changes
to a booking are in ``services.booking_changes`` and ``services.booking_reassign``, the
reads in ``services.booking_reads``.

No overlap, ever: ``book``, ``reassign`` and ``reschedule`` first lock every page the
request could occupy (``locked``: ``UnitOfWork.lock_pages``, SQLite's write lock, or row
locks in page order on PostgreSQL) and only then reload the schedule and decide, so two
requests for one page take turns and the second sees the first's booking. On PostgreSQL
the exclusion constraint on ``booking_participants`` is the last line; storage reports its
violation (and a serialization failure or a deadlock) as a ``Conflict``, told here as
``SlotUnavailable``.

Choices made here:

* A customer is a Slack user or a guest with a name and an email; a one-time link fills in
  what the request leaves out (its guest's name, email and form answers; the request's own
  answers win).
* A booking's ``customer_timezone`` is the requester's zone (``tz``, else the workspace's).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine

from engine.bounds import check_instant
from engine.errors import (
    Aborted,
    BadInput,
    Duplicate,
    Overlap,
    RoundtableError,
    SlotUnavailable,
)
from engine.model import (
    LedgerEntry,
    LedgerKind,
    Schedule,
)
from engine.records import Booking, Participant, Role
from engine.rules import assign, booking_view
from engine.seats import involved_pages
from services import notifications
from services.calendar_writes import queue_calendar_writes
from services.context import Actor
from services.errors import LinkUsed
from services.links import check_email, check_form_answers, check_typed
from services.slots import (
    Request,
    read_request,
    with_bookings,
)
from storage.uow import UnitOfWork

T = TypeVar("T")


# Attempts of a locked transaction whose page set grew between reading and locking (the
# configuration changed in between); more than a couple means something keeps changing it.
_LOCK_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Customer:
    """Who books: a Slack user, or a guest with a name and an email."""

    slack_user: str | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """A request to book ``event_type`` on ``master_page`` at ``start``."""

    workspace_id: str
    master_page: str
    event_type: str
    start: datetime
    customer: Customer
    tz: str | None = None
    form_answers: Mapping[str, str] = field(default_factory=dict)
    pick: str | None = None
    link_token: str | None = None
    idempotency_key: str | None = None
    attendees: int = 1


def book(engine: Engine, request: BookingRequest, *, actor: Actor, now: datetime) -> Booking:
    """Book a meeting: check the start, assign pages, write it all at once.

    A repeated request with the same ``idempotency_key`` returns the first booking; the
    key reused for another master page, event type or start is refused.

    Raises:
        NotFound: the workspace, master page, event type or pick does not exist.
        BadInput: the start has no time zone, the customer, an email or a form answer is
            wrong, the request does not fit the master page or link, or its idempotency key
            was used for another request.
        SlotUnavailable: the start is not offered, or was taken meanwhile.
        LinkRefused: the link is unknown, used, revoked or expired.
        Forbidden: the master page is open only to holders of a one-time link.
    """
    start = checked_start(request.start)
    key = request.idempotency_key  # a repeat is found under the locks, in the same transaction
    from services import metrics  # prometheus_client: 0.1 s to import, for booking only

    try:
        booking = _book(engine, request, start, actor=actor, now=now)
    except RoundtableError as error:
        # A concurrent twin may have won, consuming the link or the slot this request
        # meant to take: the repeated request gets the first booking, not a refusal.
        earlier = None if key is None else _by_key(engine, request.workspace_id, key)
        if earlier is None:
            metrics.booking_refused(error.code)
            raise
        return _replayed(request, start, earlier)
    return booking


def _book(
    engine: Engine, request: BookingRequest, start: datetime, *, actor: Actor, now: datetime
) -> Booking:
    from services import metrics  # prometheus_client: 0.1 s to import, for booking only

    ws = request.workspace_id

    def checked(uow: UnitOfWork) -> Request:
        return read_request(
            uow,
            ws,
            request.master_page,
            request.event_type,
            tz=request.tz,
            link_token=request.link_token,
            now=now,
            pick=request.pick,
        )

    # Learn which pages to lock from the configuration this process read last (no query);
    # the first booking of a process, or a request it cannot place, reads the current
    # configuration first, without locks, which also refuses a bad request cheaply.
    # Everything is decided again under the locks, with bookings read once, there.
    with UnitOfWork(engine) as uow:
        pages = _pages_to_lock(uow, request)
        if pages is None:
            pages = set(checked(uow).involved.pages)

    def write(uow: UnitOfWork, held: frozenset[str]) -> Booking:
        if request.idempotency_key is not None:
            earlier = uow.bookings.by_idempotency_key(ws, request.idempotency_key)
            if earlier is not None:
                return _replayed(request, start, earlier)
        opened = checked(uow)
        if not opened.involved.pages <= held:
            raise MorePages(opened.involved.pages)
        view_start, view_end = booking_view(start, opened.tz)
        opened = with_bookings(uow, opened, view_start, view_end, now=now)
        booking = _new_booking(request, opened, start, actor=actor, now=now)
        uow.bookings.add(ws, booking)
        uow.ledger.add(ws, pool_ledger(booking, LedgerKind.RECEIVED, now))
        if opened.link is not None and not uow.links.mark_used(
            ws, opened.link.id, booking.id, at=now
        ):
            raise LinkUsed()
        notifications.queue_booked(uow, ws, booking, now, known=opened.schedule.config)
        queue_calendar_writes(uow, ws, booking.id, pages_of(booking), now)
        uow.commit()
        metrics.booking_made()  # only a booking written here: a repeat is not a new one
        return booking

    try:
        return locked(engine, ws, pages, write)
    except Duplicate:
        # The one unique key a new booking can meet: a concurrent request with its key.
        earlier = _by_key(engine, ws, request.idempotency_key) if request.idempotency_key else None
        if earlier is None:
            raise
        return _replayed(request, start, earlier)
    except (Overlap, Aborted) as error:
        raise SlotUnavailable(f"{start.isoformat()} was just taken") from error


def checked_start(start: datetime) -> datetime:
    """Return a requested start in UTC.

    Raises:
        BadInput: it has no UTC offset, or lies outside ``engine.bounds``.
    """
    if start.tzinfo is None:
        raise BadInput("the start needs a time zone or a UTC offset", field="start")
    try:
        return check_instant(start)
    except ValueError as error:
        raise BadInput(str(error), field="start") from None


def pages_of(booking: Booking) -> set[str]:
    return {participant.page for participant in booking.participants}


def locked(
    engine: Engine,
    workspace_id: str,
    pages: set[str],
    write: Callable[[UnitOfWork, frozenset[str]], T],
) -> T:
    """Run ``write`` in a transaction holding ``pages``; widen and retry if it needs more.

    ``write`` gets the pages held and returns its result, or raises ``MorePages`` with the
    pages it needs when that is more than the transaction holds (the configuration or
    booking changed since they were read): the transaction rolls back and the next one
    locks those too.
    """
    for _ in range(_LOCK_ATTEMPTS):
        try:
            with UnitOfWork(engine) as uow:
                uow.lock_pages(workspace_id, pages)
                return write(uow, frozenset(pages))
        except MorePages as more:
            pages = pages | more.pages
    raise SlotUnavailable("the booking's pages keep changing; try again")


class MorePages(Exception):
    """A locked write found it needs more pages than its transaction holds (``locked``)."""

    def __init__(self, pages: Iterable[str]) -> None:
        super().__init__("more pages to lock")
        self.pages = set(pages)


def _pages_to_lock(uow: UnitOfWork, request: BookingRequest) -> set[str] | None:
    """Guess the pages a booking request may take from the last configuration seen.

    A stale guess is safe: ``locked`` widens the locks when the current configuration
    needs more pages, and pages removed since are not locked (``UnitOfWork.lock_pages``).
    None when this process has seen no configuration of the workspace, or the request
    does not fit the one it saw.
    """
    known = uow.last_configuration(request.workspace_id)
    if known is None:
        return None
    try:
        involved = involved_pages(
            Schedule(known.config), request.master_page, request.event_type, request.pick
        )
    except RoundtableError:
        return None
    return set(involved.pages)


def _new_booking(
    request: BookingRequest, checked: Request, start: datetime, *, actor: Actor, now: datetime
) -> Booking:
    """Assign the pages and return the booking to write (not yet stored)."""
    customer = _customer(request.customer, checked)
    link = checked.link
    answers = check_form_answers(
        {**((link.form_answers or {}) if link else {}), **request.form_answers},
        [checked.event_type],
        complete=True,
    )
    assignment = assign(
        checked.schedule,
        checked.master_page.id,
        checked.event_type.id,
        start,
        checked.tz,
        now,
        request.pick,
        attendees=request.attendees,
        member=None if link is None else link.member,
    )
    kind = checked.event_type
    owner = checked.schedule.pages.get(assignment.seats[0].page)
    return Booking(
        id=str(uuid.uuid4()),
        master_page=checked.master_page.id,
        event_type=kind.id,
        start=start,
        end=start + kind.duration,
        participants=tuple(
            Participant(seat.page, index, Role.OWNER if index == 0 else Role.PARTICIPANT, seat.pool)
            for index, seat in enumerate(assignment.seats)
        ),
        created_at=now,
        buffer_before=kind.buffer_before,
        buffer_after=kind.buffer_after,
        customer_slack_user=customer.slack_user,
        customer_name=customer.name,
        customer_email=customer.email,
        customer_timezone=checked.tz,
        attendees=request.attendees,
        form_answers=answers,
        idempotency_key=request.idempotency_key,
        link_id=None if link is None else link.id,
        created_by=actor.slack_user,
        location=(owner.location if owner is not None else None) or kind.location,
    )


def _customer(customer: Customer, checked: Request) -> Customer:
    """Complete the customer from the link's guest and check it.

    Raises:
        BadInput: neither a Slack user nor a guest's name and email, or a bad email.
    """
    link = checked.link
    name = check_typed(customer.name or "", "customer_name").strip() or (
        link.guest_name if link else None
    )
    email = (customer.email or "").strip() or (link.guest_email if link else None)
    if email is not None:
        email = check_email(email, "customer_email")
    if customer.slack_user is None and not (name and email):
        raise BadInput(
            "a booking needs a Slack customer, or a guest's name and email", field="customer"
        )
    return Customer(customer.slack_user, name, email)


def pool_ledger(booking: Booking, kind: LedgerKind, now: datetime) -> list[LedgerEntry]:
    """Return the ledger entries of every seat of ``booking`` that came from a pool."""
    return [
        LedgerEntry(p.pool, p.page, kind, now, booking.id)
        for p in booking.participants
        if p.pool is not None
    ]


def _by_key(engine: Engine, workspace_id: str, key: str) -> Booking | None:
    with UnitOfWork(engine) as uow:
        return uow.bookings.by_idempotency_key(workspace_id, key)


def _replayed(request: BookingRequest, start: datetime, earlier: Booking) -> Booking:
    """Return the first booking of a repeated request; refuse a key reused for another one.

    Raises:
        BadInput: the key first booked another master page, event type or time (a client
            bug that would otherwise be answered with a booking it did not ask for).
    """
    asked = (request.master_page, request.event_type, start)
    if (earlier.master_page, earlier.event_type, earlier.start) != asked:
        raise BadInput(
            f"idempotency key '{request.idempotency_key}' was already used for another "
            "booking request",
            field="idempotency_key",
        )
    return earlier
