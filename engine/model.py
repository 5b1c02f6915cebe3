"""Domain values shared by the engine, storage, services and every surface.

Everything here is a frozen dataclass or an enum from the standard library. Ids are the
configuration ids (``alice``, ``sales``, ``demo``): unique inside one workspace,
stable across ``config apply``. Instants are timezone-aware UTC ``datetime`` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from engine.errors import NotFound
from engine.intervals import Interval, Windows

MINUTES_PER_DAY = 24 * 60


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T")
IdentifiedT = TypeVar("IdentifiedT", bound=_Identified)


class PageKind(StrEnum):
    MEMBER = "member"
    RESOURCE = "resource"


class Method(StrEnum):
    """How a pool distributes bookings."""

    ROUND_ROBIN = "round_robin"
    POOLED = "pooled"
    POOLED_PRIORITY = "pooled_priority"


class Cycle(StrEnum):
    """Reporting cycle of a pool, in the workspace time zone."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    CONTINUOUS = "continuous"


class Priority(StrEnum):
    """Priority of a pool member; ``rank`` is higher for the more preferred."""

    HIGHEST = "highest"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    LOWEST = "lowest"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {
    Priority.HIGHEST: 5,
    Priority.HIGH: 4,
    Priority.MEDIUM: 3,
    Priority.LOW: 2,
    Priority.LOWEST: 1,
}


class MasterMode(StrEnum):
    """How a master page assigns bookings."""

    DYNAMIC = "dynamic"
    STATIC = "static"
    PAGES_FIRST = "pages_first"
    EVENT_TYPES_FIRST = "event_types_first"


class StaticMethod(StrEnum):
    """The choice a static master page makes among the event type's free pages."""

    POOLED = "pooled"
    POOLED_PRIORITY = "pooled_priority"
    FIND_MEMBER_BY_TIME = "find_member_by_time"


class PickStep(StrEnum):
    """When the customer picks one of the event type's pages: never, or before or after the time."""

    NONE = "none"
    BEFORE_TIME = "before_time"  # pages_first, event_types_first
    AFTER_TIME = "after_time"  # static find_member_by_time: a page free at the chosen time


class LedgerKind(StrEnum):
    """A pool's distribution event; ``no_show`` is counted for the report only."""

    RECEIVED = "received"
    REMOVED = "removed"
    NO_SHOW = "no_show"


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True, order=True)
class LocalRange:
    """A wall-clock range in a page's zone, in minutes after local midnight; end may be 1440."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"bad local range {self.start}-{self.end}")


@dataclass(frozen=True, slots=True)
class Page:
    """A booking page: a member (a Slack user) or a resource (a room, a device).

    ``hours`` has seven entries, Monday first; ``overrides`` replace a local date's hours
    (an empty tuple is a day off). ``location`` (text or URL, say a personal video link)
    wins over the event type's for bookings the page owns.
    """

    id: str
    kind: PageKind
    name: str
    timezone: str
    hours: tuple[tuple[LocalRange, ...], ...] = ((),) * 7
    overrides: Mapping[date, tuple[LocalRange, ...]] = field(default_factory=dict)
    slack_user: str | None = None
    capacity: int | None = None
    max_per_day: int | None = None
    max_per_week: int | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError("hours needs seven weekdays, Monday first")


@dataclass(frozen=True, slots=True)
class FormField:
    id: str
    label: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class EventType:
    """What is booked. ``step`` defaults to ``duration``."""

    id: str
    name: str
    duration: timedelta
    step: timedelta | None = None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    max_days_ahead: int = 60
    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(minutes=15))
    pages: tuple[str, ...] = ()
    form: tuple[FormField, ...] = ()
    location: str | None = None

    @property
    def slot_step(self) -> timedelta:
        return self.step if self.step is not None else self.duration


@dataclass(frozen=True, slots=True)
class PoolMember:
    """A page's membership of a pool; ``joined`` is the join order (lower joined earlier)."""

    page: str
    priority: Priority = Priority.MEDIUM
    active: bool = True
    joined: int = 0


@dataclass(frozen=True, slots=True)
class Pool:
    """A resource pool.

    ``lookahead`` bounds how far ahead a round-robin member must have a bookable start to
    keep its turn (None: the event type's horizon); ``flexible`` lets whoever creates a
    one-time link name the round-robin member instead of the next in line.

    ``former`` are the members dropped from the configuration (inactive) whose distribution
    history still counts in reports: storage loads them, no configuration file names them,
    and they are no part of the pool's value (equality leaves them out).
    """

    id: str
    name: str
    method: Method
    cycle: Cycle = Cycle.MONTHLY
    automatic_correction: bool = True
    members: tuple[PoolMember, ...] = ()
    managers: tuple[str, ...] = ()
    channel: str | None = None
    lookahead: timedelta | None = None
    flexible: bool = False
    former: tuple[PoolMember, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class SeatRef:
    """One seat of a dynamic rule: exactly one of a page or a pool."""

    page: str | None = None
    pool: str | None = None

    def __post_init__(self) -> None:
        if (self.page is None) == (self.pool is None):
            raise ValueError("a seat names exactly one of page or pool")


@dataclass(frozen=True, slots=True)
class DynamicRule:
    event_type: str
    primary: SeatRef
    additional: tuple[SeatRef, ...] = ()


@dataclass(frozen=True, slots=True)
class MasterPage:
    """What customers open.

    ``rules`` serve ``dynamic`` pages; ``event_types`` serve the other modes; ``method`` is
    the static choice. ``one_time_links_only`` hides a dynamic page from everyone but holders
    of a one-time link.
    """

    id: str
    name: str
    mode: MasterMode
    rules: tuple[DynamicRule, ...] = ()
    event_types: tuple[str, ...] = ()
    method: StaticMethod | None = None
    one_time_links_only: bool = False

    @property
    def pick_step(self) -> PickStep:
        """When a customer of this master page picks the page: the one place that decides."""
        if self.mode in (MasterMode.PAGES_FIRST, MasterMode.EVENT_TYPES_FIRST):
            return PickStep.BEFORE_TIME
        if self.mode is MasterMode.STATIC and self.method is StaticMethod.FIND_MEMBER_BY_TIME:
            return PickStep.AFTER_TIME
        return PickStep.NONE

    def offered_event_types(self) -> tuple[str, ...]:
        if self.mode is MasterMode.DYNAMIC:
            return tuple(rule.event_type for rule in self.rules)
        return self.event_types


@dataclass(frozen=True, slots=True)
class Workspace:
    """A Slack workspace: its zone, its listed admins, and whether Slack's own admins count."""

    id: str
    timezone: str
    admins: tuple[str, ...] = ()
    slack_admins: bool = True


@dataclass(frozen=True, slots=True)
class BusyBlock:
    """An external busy block on a page (e.g. from a calendar export)."""

    page: str
    start: datetime
    end: datetime


def by_id(items: Iterable[IdentifiedT]) -> dict[str, IdentifiedT]:
    """Return ``items`` keyed by their ids, in their order.

    Raises:
        ValueError: two items share an id.
    """
    listed = list(items)
    found = {item.id: item for item in listed}
    if len(found) < len(listed):
        raise ValueError("two items share an id")
    return found


@dataclass(frozen=True, slots=True, eq=False)
class WorkspaceConfig:
    """The whole configuration of one workspace, as in a configuration file.

    Each section maps ids to entities in file order (the order the file, the setup modals
    and the App Home list them in); ``page``, ``event_type``, ``pool`` and ``master_page``
    look one up or raise ``NotFound``. Two configurations are equal when they hold the same
    entities in the same order. ``busy`` are the blocks the file lists. Build the sections
    with ``by_id``; nobody may change them once built (cached values are shared by threads).
    """

    workspace: Workspace
    pages: Mapping[str, Page] = field(default_factory=dict)
    event_types: Mapping[str, EventType] = field(default_factory=dict)
    pools: Mapping[str, Pool] = field(default_factory=dict)
    master_pages: Mapping[str, MasterPage] = field(default_factory=dict)
    busy: tuple[BusyBlock, ...] = ()

    def page(self, page_id: str) -> Page:
        """Return a page. Raises ``NotFound``: no such page."""
        return _find(self.pages, page_id, "page")

    def event_type(self, event_type_id: str) -> EventType:
        """Return an event type. Raises ``NotFound``: no such event type."""
        return _find(self.event_types, event_type_id, "event type")

    def pool(self, pool_id: str) -> Pool:
        """Return a pool. Raises ``NotFound``: no such pool."""
        return _find(self.pools, pool_id, "pool")

    def master_page(self, master_page_id: str) -> MasterPage:
        """Return a master page. Raises ``NotFound``: no such master page."""
        return _find(self.master_pages, master_page_id, "master page")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkspaceConfig):
            return NotImplemented
        return self._ordered() == other._ordered()

    __hash__ = None  # type: ignore[assignment]  # equal by value, holds mappings

    def _ordered(self) -> tuple[object, ...]:
        sections = (self.pages, self.event_types, self.pools, self.master_pages)
        return (self.workspace, *(tuple(items.items()) for items in sections), self.busy)


def _find(items: Mapping[str, T], key: str, kind: str) -> T:
    try:
        return items[key]
    except KeyError:
        raise NotFound(f"unknown {kind} '{key}'", field=kind.replace(" ", "_")) from None


@dataclass(frozen=True, slots=True)
class Occupancy:
    """A confirmed booking occupying one page (as owner or participant), with its buffers."""

    page: str
    start: datetime
    end: datetime
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    booking_id: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One distribution event of a pool: a booking received by, or removed from, a page.

    ``count`` > 1 stands for that many events of one kind, page and pool, ``at`` being the
    latest of them: how storage hands over a cycle's counts without a value per event.
    """

    pool: str
    page: str
    kind: LedgerKind
    at: datetime
    booking_id: str | None = None
    count: int = 1


@dataclass(frozen=True, slots=True)
class KnownFree:
    """A page's free windows for one event type over ``[start, end)``, computed before.

    ``windows`` are what ``engine.availability.FreeTime`` computed for that page, event type
    and span from the page's bookings and busy blocks: a normal-form tuple of
    ``engine.intervals.Interval``. The engine clips them instead of computing them again.
    """

    event_type: str
    start: datetime
    end: datetime
    windows: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class KnownCover:
    """The free windows of a set of pages for one event type over ``[start, end)``, together.

    ``windows`` indexes every window of every page (each as in ``KnownFree``), ``combined``
    is their union in normal form: what ``engine.search`` builds for a seat those pages may
    fill, kept so that a question about thousands of pages need not sort their windows.
    """

    event_type: str
    start: datetime
    end: datetime
    windows: Windows
    combined: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Everything the engine needs to answer one question, loaded in bulk by storage.

    ``config`` is the workspace's configuration, which the schedule reads like
    (``schedule.pages``, ``schedule.page(id)`` are its configuration's); the rest is what
    happens on it.
    ``occupancy`` and ``busy`` are keyed by page id and cover at least the pages the
    question involves (``engine.seats.involved_pages``), over the question's range from
    ``now`` on, widened by the buffers that reach into it (the longest buffer of any stored
    booking, which keeps its own buffers when its event type's change, plus the event
    types' longest) and, for a page with a per-day or per-week limit, to the whole local
    Monday–Sunday weeks holding it; for every page of a rule with a round-robin seat also
    the booking horizon from ``now``. Other pages' entries may be missing. ``ledger`` is
    keyed by pool id and holds at least every entry of the current cycle up to ``now``
    (or entries counting several, ``LedgerEntry.count``) plus each member's latest
    ``received`` entry. ``last_received`` is keyed by (master page, event type) and
    holds, for a static ``pooled`` question, when each page of the event type last received
    a booking of that event type on that master page (at or before ``now``; a page that
    never did is missing). ``free`` holds, by page id, free windows already computed for
    a page (``KnownFree``); a page found there needs no ``occupancy`` or ``busy`` for
    questions about that event type within its span. ``covers`` holds, by the set of pages,
    their windows together (``KnownCover``), for a seat those pages fill.
    """

    config: WorkspaceConfig
    occupancy: Mapping[str, tuple[Occupancy, ...]] = field(default_factory=dict)
    busy: Mapping[str, tuple[BusyBlock, ...]] = field(default_factory=dict)
    ledger: Mapping[str, tuple[LedgerEntry, ...]] = field(default_factory=dict)
    last_received: Mapping[tuple[str, str], Mapping[str, datetime]] = field(default_factory=dict)
    free: Mapping[str, KnownFree] = field(default_factory=dict)
    covers: Mapping[frozenset[str], KnownCover] = field(default_factory=dict)

    # The configuration's parts and look-ups, read through the schedule.

    @property
    def workspace(self) -> Workspace:
        return self.config.workspace

    @property
    def pages(self) -> Mapping[str, Page]:
        return self.config.pages

    @property
    def event_types(self) -> Mapping[str, EventType]:
        return self.config.event_types

    @property
    def pools(self) -> Mapping[str, Pool]:
        return self.config.pools

    @property
    def master_pages(self) -> Mapping[str, MasterPage]:
        return self.config.master_pages

    def page(self, page_id: str) -> Page:
        return self.config.page(page_id)

    def event_type(self, event_type_id: str) -> EventType:
        return self.config.event_type(event_type_id)

    def pool(self, pool_id: str) -> Pool:
        return self.config.pool(pool_id)

    def master_page(self, master_page_id: str) -> MasterPage:
        return self.config.master_page(master_page_id)
