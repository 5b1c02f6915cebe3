"""Reading bookings: one by id, the lists a reader may see, a guest's through its manage link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from engine.errors import (
    NotFound,
)
from engine.model import (
    BookingStatus,
)
from engine.records import Booking
from services import roles
from services.context import Actor, SlackUser
from services.manage_links import booking_of
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class GuestBooking:
    """A guest's booking opened through its manage link, with its workspace."""

    workspace_id: str
    booking: Booking


def guest_booking(engine: Engine, secret: bytes, token: str) -> GuestBooking | None:
    """Return the booking a manage token names, if it is a guest's; None for anything else.

    A forged, altered or unknown token, a booking gone since, and a booking whose customer
    is a Slack user all answer None alike, so a token's holder learns nothing more.
    """
    booking_id = booking_of(secret, token)
    if booking_id is None:
        return None
    with UnitOfWork(engine) as uow:
        workspace_id = uow.bookings.workspace_of(booking_id)
        booking = None if workspace_id is None else uow.bookings.get(workspace_id, booking_id)
    if workspace_id is None or booking is None or booking.customer_slack_user is not None:
        return None
    return GuestBooking(workspace_id, booking)


@dataclass(frozen=True, slots=True)
class BookingFilter:
    """Which bookings to list; every field left out matches every booking.

    ``mine`` keeps those the actor is in (as customer or as a page's Slack user), even for
    an admin; ``ends_after`` and ``starts_before`` keep the bookings that overlap that span.
    """

    page: str | None = None
    customer_slack: str | None = None
    ends_after: datetime | None = None
    starts_before: datetime | None = None
    status: BookingStatus | None = None
    mine: bool = False


def list_bookings(
    engine: Engine, workspace_id: str, wanted: BookingFilter, *, actor: Actor
) -> list[Booking]:
    """Return the bookings ``actor`` may see that match ``wanted``, soonest first.

    An admin sees every booking; anyone else those they are in (as customer or host) and
    those holding a seat from a pool they manage.

    Raises:
        NotFound: no such workspace, or ``wanted.page`` names no page.
    """
    with UnitOfWork(engine) as uow:
        return _matching(uow, workspace_id, wanted, actor)


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A Slack user's bookings to come, soonest first, and those they may reschedule now."""

    bookings: list[Booking]
    reschedulable: frozenset[str]


def my_upcoming(engine: Engine, workspace_id: str, *, actor: Actor, now: datetime) -> Upcoming:
    """Return the confirmed bookings ``actor`` is in that have not ended, in one transaction.

    Those that have not started and that the actor may change (``roles.may_change``) are
    reschedulable.

    Raises:
        NotFound: no such workspace.
    """
    wanted = BookingFilter(ends_after=now, status=BookingStatus.CONFIRMED, mine=True)
    with UnitOfWork(engine) as uow:
        found = _matching(uow, workspace_id, wanted, actor)
        config = uow.config.load(workspace_id)
    movable = frozenset(
        booking.id
        for booking in found
        if booking.start > now and roles.may_change(config.workspace, booking, config.pages, actor)
    )
    return Upcoming(found, movable)


def _matching(
    uow: UnitOfWork, workspace_id: str, wanted: BookingFilter, actor: Actor
) -> list[Booking]:
    config = uow.config.load(workspace_id)
    if wanted.page is not None:
        config.page(wanted.page)
    admin = roles.is_admin(config.workspace, actor)
    visible = None
    if wanted.mine or not admin:
        pools = (
            ()
            if wanted.mine
            else roles.managed_pools(config.workspace, config.pools.values(), actor)
        )
        visible = (actor.slack_user or "", frozenset(pools))
    return uow.bookings.matching(
        workspace_id,
        page=wanted.page,
        customer=wanted.customer_slack,
        ends_after=wanted.ends_after,
        starts_before=wanted.starts_before,
        status=wanted.status,
        visible_to=visible,
    )


def upcoming_bookings(
    engine: Engine, workspace_id: str, slack_user: str, *, now: datetime
) -> list[Booking]:
    """Return a Slack user's confirmed bookings that have not ended, as customer or host.

    Raises:
        NotFound: no such workspace.
    """
    wanted = BookingFilter(ends_after=now, status=BookingStatus.CONFIRMED, mine=True)
    return list_bookings(engine, workspace_id, wanted, actor=SlackUser(slack_user))


def get_booking(engine: Engine, workspace_id: str, booking_id: str) -> Booking:
    """Return a booking by id.

    Raises:
        NotFound: no such booking in the workspace.
    """
    with UnitOfWork(engine) as uow:
        return stored(uow, workspace_id, booking_id)


def stored(uow: UnitOfWork, workspace_id: str, booking_id: str, *, lock: bool = False) -> Booking:
    booking = uow.bookings.get(workspace_id, booking_id, lock=lock)
    if booking is None:
        raise NotFound(f"unknown booking '{booking_id}'", field="booking")
    return booking
