"""What a customer may book: the catalogue of master pages, the offered slots, and what a
new one-time link opens (``plan_link``).

``read_request`` is the one place that turns a master page, an event type, a requester
zone and an optional one-time link into a checked request, from the configuration alone;
``with_bookings`` then loads the bookings its answer depends on. Offering slots and booking
(``services.booking``) both start there, so they can never disagree on what a link allows
or what a ``one_time_links_only`` master page shows.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import Engine

from engine.bounds import check_day
from engine.errors import BadInput
from engine.model import (
    EventType,
    FormField,
    MasterMode,
    MasterPage,
    PickStep,
    Schedule,
    WorkspaceConfig,
)
from engine.records import OneTimeLink
from engine.rules import booking_view
from engine.rules import free_pages as engine_free_pages
from engine.rules import offered_slots as engine_offered_slots
from engine.search import Slot
from engine.seats import (
    Involved,
    flexible_members,
    flexible_pool,
    involved_pages,
    needs_headcount,
    seat_candidates,
)
from engine.zones import local_to_utc, zone
from services import free_time, roles
from services.context import Actor, system_clock
from services.errors import Forbidden
from services.links import link_event_types, usable_link
from services.single_flight import SingleFlight
from storage.config import Configuration
from storage.config_cache import configuration_key
from storage.page_changes import page_stamps
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Request:
    """A checked request: its master page, event type, zone and link, and the schedule.

    ``involved`` names the pages it can touch. Until ``with_bookings`` the schedule holds
    the configuration only.
    """

    schedule: Schedule
    master_page: MasterPage
    event_type: EventType
    tz: str
    link: OneTimeLink | None
    involved: Involved
    configuration: Configuration


@dataclass(frozen=True, slots=True)
class Choice:
    """A booking page the customer may pick."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class BookableEventType:
    """An event type of a master page; ``pages`` lists the pages to pick (empty: assigned).

    ``headcount``: a booking may take a room or another resource, so the customer is asked
    how many people will attend.
    """

    id: str
    name: str
    duration: timedelta
    form: tuple[FormField, ...]
    pages: tuple[Choice, ...] = ()
    headcount: bool = False


@dataclass(frozen=True, slots=True)
class BookableMasterPage:
    """A master page as the booking modal shows it; ``pick_step`` as ``MasterPage.pick_step``."""

    id: str
    name: str
    mode: MasterMode
    event_types: tuple[BookableEventType, ...]
    pick_step: PickStep


def read_request(
    uow: UnitOfWork,
    workspace_id: str,
    master_page: str,
    event_type: str,
    *,
    tz: str | None,
    link_token: str | None,
    now: datetime,
    pick: str | None = None,
    moving: bool = False,
) -> Request:
    """Check a request against the configuration; its schedule holds no bookings yet.

    A link fixes the master page (and the event type when it names one); a master page
    open only to link holders needs one, except to move a booking made there (``moving``).
    ``tz`` defaults to the workspace's zone.

    Raises:
        NotFound: the workspace, master page or event type does not exist.
        BadInput: the master page does not offer the event type, the link does not open
            this master page or event type, or ``tz`` is unknown.
        LinkRefused: the link is unknown, used, revoked or expired.
        Forbidden: the master page is open only to holders of a one-time link.
    """
    link = None if link_token is None else usable_link(uow, workspace_id, link_token, now)
    configuration = uow.config.configuration(workspace_id)
    schedule = Schedule(configuration.config)
    master = schedule.master_page(master_page)
    if link is not None:
        if link.master_page != master.id:
            raise BadInput(f"this link does not open master page '{master_page}'", field="link")
        if event_type not in link_event_types(master, link):
            raise BadInput(f"this link does not book event type '{event_type}'", field="link")
    elif master.one_time_links_only and not moving:
        raise Forbidden(f"master page '{master_page}' is open only to holders of a one-time link")
    if event_type not in master.offered_event_types():
        raise BadInput(
            f"master page '{master_page}' does not offer event type '{event_type}'",
            field="event_type",
        )
    kind = schedule.event_type(event_type)
    tz = schedule.workspace.timezone if tz is None else tz
    zone(tz)
    involved = involved_pages(schedule, master.id, kind.id, pick)
    return Request(schedule, master, kind, tz, link, involved, configuration)


def with_bookings(
    uow: UnitOfWork,
    request: Request,
    since: datetime,
    until: datetime,
    *,
    now: datetime,
    ignore: str | None = None,
) -> Request:
    """Load what the request's answer about ``[since, until)`` depends on into its schedule.

    Only the involved pages' bookings are read, and only over the bookable part of the
    range: nothing is offered before ``now`` or past the horizon (plus one meeting).
    ``ignore`` names a booking left out (one being moved: it neither blocks its own time
    nor counts towards limits). Pages' free windows computed before and unchanged since are
    reused (``services.free_time``), except when a booking is ignored.
    """
    kind = request.event_type
    since = max(since, now)
    until = max(since, min(until, now + timedelta(days=kind.max_days_ahead) + kind.duration))

    def fill(pages: Collection[str], ahead: Collection[str], until: datetime) -> Schedule:
        return uow.schedules.fill(
            request.configuration,
            since,
            until,
            now=now,
            pages=pages,
            ahead=ahead,
            pools=request.involved.pools,
            booking_ids=False,  # offering and booking ignore no booking but ``ignore``
            idle=(request.master_page.id, kind.id) if request.involved.idle else None,
            without=ignore,
        )

    involved = request.involved
    if ignore is not None:  # kept windows hold the ignored booking
        return replace(request, schedule=fill(involved.pages, involved.ahead, until))
    schedule = free_time.load(
        uow,
        request.configuration,
        kind,
        since,
        until,
        now=now,
        pages=involved.pages,
        ahead=involved.ahead,
        fill=fill,
    )
    return replace(request, schedule=schedule)


def offered_slots(
    engine: Engine,
    workspace_id: str,
    master_page: str,
    event_type: str,
    from_date: date,
    to_date: date,
    *,
    tz: str | None,
    now: datetime,
    pick: str | None = None,
    link_token: str | None = None,
    attendees: int = 1,
    moving: str | None = None,
    actor: Actor,
) -> list[Slot]:
    """Return the slots offered on the local dates ``from_date`` … ``to_date`` in ``tz``.

    ``tz`` defaults to the workspace's zone; ``attendees`` leaves out smaller rooms. ``moving``
    names a booking being rescheduled: the slots are those offered as if it were not there.
    Anyone may ask; ``actor`` is taken for symmetry with the other use cases.

    Raises:
        NotFound: the workspace, master page, event type or pick does not exist.
        BadInput: the dates are reversed or outside ``engine.bounds``, ``tz`` is unknown, or
            as for ``open_request``.
        LinkRefused: the link cannot be used.
        Forbidden: the master page needs a link.
    """
    del actor  # offering slots is open to everyone
    for name, day in (("from", from_date), ("to", to_date)):
        try:
            check_day(day)
        except ValueError as error:
            raise BadInput(str(error), field=name) from None
    if to_date < from_date:
        raise BadInput(f"{to_date} is before {from_date}", field="to")
    with UnitOfWork(engine) as uow:
        request = read_request(
            uow,
            workspace_id,
            master_page,
            event_type,
            tz=tz,
            link_token=link_token,
            now=now,
            pick=pick,
            moving=moving is not None,
        )
        local = zone(request.tz)
        start = local_to_utc(from_date, 0, local)
        end = local_to_utc(to_date + timedelta(days=1), 0, local)

        def answer() -> tuple[Slot, ...]:
            loaded = with_bookings(uow, request, start, end, now=now, ignore=moving)
            return tuple(
                engine_offered_slots(
                    loaded.schedule,
                    master_page,
                    event_type,
                    start,
                    end,
                    request.tz,
                    now,
                    pick,
                    attendees=attendees,
                    member=request.link.member if request.link else None,
                )
            )

        if moving is not None:  # a question of one booking's customer: not shared
            return list(answer())
        question = _question(uow, request, start, end, pick, link_token, attendees)
        return list(answer() if question is None else ASKED.once(question, answer))


def _question(uow: UnitOfWork, request: Request, *asked: Hashable) -> Hashable | None:
    """What makes two ``offered_slots`` questions the same: the configuration's version,
    the master page, event type and zone, the rest ``asked``, and the stamp of every page
    (``storage.page_changes``, read before any booking). None when no version was read."""
    ws = request.configuration.workspace_pk
    version = configuration_key(uow.session, ws)
    if version is None:
        return None
    stamps = frozenset(page_stamps(uow.session, ws).items())
    kind = request.event_type.id
    return (version, request.master_page.id, kind, request.tz, *asked, stamps)


ASKED = SingleFlight()
"""The ``offered_slots`` questions in flight in this process."""


def free_pages(
    engine: Engine,
    workspace_id: str,
    master_page: str,
    event_type: str,
    start: datetime,
    *,
    tz: str | None,
    now: datetime,
    link_token: str | None = None,
    attendees: int = 1,
    actor: Actor,
) -> list[str]:
    """Return the pages that may own a booking at ``start``, most preferred first.

    For ``find_member_by_time`` these are the pages the customer may pick after the time.
    Anyone may ask, as for ``offered_slots``.

    Raises:
        NotFound: the workspace, master page or event type does not exist.
        BadInput: ``tz`` is unknown, or as for ``read_request``.
        SlotUnavailable: ``start`` is not offered.
        LinkRefused: the link cannot be used.
        Forbidden: the master page needs a link.
    """
    del actor  # as for offered_slots
    with UnitOfWork(engine) as uow:
        request = read_request(
            uow, workspace_id, master_page, event_type, tz=tz, link_token=link_token, now=now
        )
        view_start, view_end = booking_view(start, request.tz)
        request = with_bookings(uow, request, view_start, view_end, now=now)
    return engine_free_pages(
        request.schedule, master_page, event_type, start, request.tz, now, attendees=attendees
    )


def bookable(
    engine: Engine,
    workspace_id: str,
    *,
    actor: Actor,
    link_token: str | None = None,
    now: datetime | None = None,
) -> list[BookableMasterPage]:
    """Return the master pages the actor may book, with event types and pages to pick.

    With a link, only the link's master page and event types; without, every master page
    but those open only to link holders. A master page's ``pages`` are filled for the
    customer-selection modes and ``find_member_by_time``. ``now`` (default the clock)
    decides whether a link has expired.

    Raises:
        NotFound: no such workspace.
        LinkRefused: the link cannot be used.
    """
    del actor  # every employee may book; links restrict, roles do not
    with UnitOfWork(engine) as uow:
        link = None
        if link_token is not None:
            link = usable_link(uow, workspace_id, link_token, now or system_clock())
        config = uow.config.load(workspace_id)
    return catalogue(config, link)


def catalogue(config: WorkspaceConfig, link: OneTimeLink | None) -> list[BookableMasterPage]:
    """Return the bookable master pages of a configuration, as seen with ``link``."""
    known = Schedule(config)
    found: list[BookableMasterPage] = []
    for master in config.master_pages.values():
        if link is not None:
            if master.id != link.master_page:
                continue
            offered = link_event_types(master, link)
        elif master.one_time_links_only:
            continue
        else:
            offered = master.offered_event_types()
        picks = master.pick_step is not PickStep.NONE
        event_types = tuple(
            BookableEventType(
                id=kind.id,
                name=kind.name,
                duration=kind.duration,
                form=kind.form,
                pages=tuple(Choice(p, config.pages[p].name) for p in kind.pages) if picks else (),
                headcount=needs_headcount(known, master.id, kind.id),
            )
            for kind in (config.event_types[k] for k in offered if k in config.event_types)
        )
        if event_types:
            step = master.pick_step
            found.append(BookableMasterPage(master.id, master.name, master.mode, event_types, step))
    return found


@dataclass(frozen=True, slots=True)
class LinkMembers:
    """Whom a new one-time link may name for its flexible round-robin seat.

    ``choices`` in line order; ``next_in_line`` is whom the seat would give a booking now
    (the first choice when nobody can be booked).
    """

    choices: tuple[Choice, ...]
    next_in_line: str


def link_members(
    engine: Engine,
    workspace_id: str,
    master_page: str,
    event_type: str | None = None,
    *,
    actor: Actor,
    now: datetime,
) -> LinkMembers | None:
    """Return whom a link to ``master_page`` (and ``event_type``) may name, or None.

    None when the link cannot name anyone: some event type it books has no flexible
    round-robin seat. Only those who may create the link may ask.

    Raises:
        NotFound: the workspace, master page or event type does not exist.
        BadInput: the master page does not offer the event type.
        Forbidden: the actor is neither an admin nor a manager of the master page's pools.
    """
    with UnitOfWork(engine) as uow:
        configuration = uow.config.configuration(workspace_id)
        known = Schedule(configuration.config)
        master = known.master_page(master_page)
        roles.require_master_page_manager(
            known.workspace, master, known.pools.values(), actor, "create links to this master page"
        )
        booked = [event_type] if event_type else list(master.offered_event_types())
        if not booked:
            return None
        # Not read_request: whoever makes a link may look at a page open only to links.
        involved = involved_pages(known, master.id, booked[0])
        kind = known.event_type(booked[0])
        schedule = uow.schedules.fill(
            configuration,
            now,
            now + timedelta(days=kind.max_days_ahead) + kind.duration,
            now=now,
            pages=involved.pages,
            ahead=involved.ahead,
            pools=involved.pools,
            booking_ids=False,
        )
    members = flexible_members(schedule, master.id, booked, now)
    pool = flexible_pool(schedule, master.id, kind.id)
    if not members or pool is None:
        return None
    seats = seat_candidates(schedule, master.id, kind.id, schedule.workspace.timezone, now)
    turn = next(seat.pages for seat in seats if seat.pool == pool.id)
    choices = tuple(Choice(page, schedule.pages[page].name) for page in members)
    return LinkMembers(choices, turn[0] if turn and turn[0] in members else members[0])


@dataclass(frozen=True, slots=True)
class LinkPlan:
    """What ``/book-link`` does next for the master page it was asked about.

    ``linkable`` are the master pages a one-time link may open (those with dynamic rules);
    ``master_page`` is the one asked for, None when the request names none of them (and
    there is not exactly one); ``members`` whom the link must name first (a flexible round
    robin, ``link_members``), None when it names nobody.
    """

    linkable: tuple[Choice, ...]
    master_page: Choice | None = None
    members: LinkMembers | None = None


def plan_link(
    engine: Engine, workspace_id: str, asked: str | None, *, actor: Actor, now: datetime
) -> LinkPlan:
    """Return which master page a new link opens and whom it must name first.

    ``asked`` names a master page by id or name, in any case; without it the only linkable
    master page is taken.

    Raises:
        NotFound: the workspace does not exist.
        Forbidden: the actor may not create links to the master page asked for.
    """
    with UnitOfWork(engine) as uow:
        masters = uow.config.load(workspace_id).master_pages.values()
    linkable = tuple(Choice(m.id, m.name) for m in masters if m.mode is MasterMode.DYNAMIC)
    if asked is None:
        chosen = linkable[0] if len(linkable) == 1 else None
    else:
        chosen = named_by(linkable, asked)
    if chosen is None:
        return LinkPlan(linkable)
    members = link_members(engine, workspace_id, chosen.id, actor=actor, now=now)
    return LinkPlan(linkable, chosen, members)


class _Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def named_by(found: Iterable[_N], text: str) -> _N | None:
    """Return the first of ``found`` whose id or name is ``text`` (any case, trimmed)."""
    wanted = text.strip().lower()
    return next((item for item in found if wanted in (item.id.lower(), item.name.lower())), None)
