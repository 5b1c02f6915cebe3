"""Small builders for engine tests: pages, event types, schedules and readable slot lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.model import (
    BusyBlock,
    DynamicRule,
    EventType,
    LedgerEntry,
    LedgerKind,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Occupancy,
    Page,
    PageKind,
    Pool,
    PoolMember,
    Schedule,
    SeatRef,
    StaticMethod,
    Workspace,
    WorkspaceConfig,
    by_id,
)
from engine.search import Slot

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def at(text: str) -> datetime:
    """Parse ``2026-06-01T09:00Z`` (or with an offset) as an aware UTC instant."""
    return datetime.fromisoformat(text).astimezone(UTC)


def minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def ranges(*texts: str) -> tuple[LocalRange, ...]:
    """Turn ``"09:00-12:00"`` strings into local ranges."""
    result = []
    for text in texts:
        start, end = text.split("-")
        result.append(LocalRange(_minute(start), _minute(end)))
    return tuple(result)


def _minute(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def weekly(*texts: str, days: str = "mon-sun") -> tuple[tuple[LocalRange, ...], ...]:
    """Return seven days of hours with ``texts`` on ``days`` (``mon-fri`` or ``mon-sun``)."""
    first, _, last = days.partition("-")
    open_days = range(DAYS.index(first), DAYS.index(last or first) + 1)
    return tuple(ranges(*texts) if day in open_days else () for day in range(7))


def page(
    page_id: str,
    tz: str = "UTC",
    hours: tuple[tuple[LocalRange, ...], ...] | None = None,
    **fields: object,
) -> Page:
    return Page(
        page_id,
        PageKind.MEMBER,
        page_id.title(),
        tz,
        hours=weekly("09:00-17:00") if hours is None else hours,
        **fields,  # type: ignore[arg-type]
    )


def room(page_id: str, tz: str = "UTC") -> Page:
    return Page(page_id, PageKind.RESOURCE, page_id.title(), tz, hours=weekly("08:00-18:00"))


def event(
    duration: int = 60,
    *,
    pages: Sequence[str] = (),
    step: int | None = None,
    before: int = 0,
    after: int = 0,
    notice: int = 0,
    horizon: int = 60,
    event_id: str = "meet",
) -> EventType:
    return EventType(
        event_id,
        event_id.title(),
        minutes(duration),
        step=None if step is None else minutes(step),
        buffer_before=minutes(before),
        buffer_after=minutes(after),
        min_notice=minutes(notice),
        max_days_ahead=horizon,
        pages=tuple(pages),
    )


def booking(
    page_id: str,
    start: str,
    end: str,
    *,
    before: int = 0,
    after: int = 0,
    booking_id: str | None = None,
) -> Occupancy:
    return Occupancy(page_id, at(start), at(end), minutes(before), minutes(after), booking_id)


def busy(page_id: str, start: str, end: str) -> BusyBlock:
    return BusyBlock(page_id, at(start), at(end))


def pool(
    pool_id: str,
    *pages: str,
    method: Method = Method.POOLED,
    members: Sequence[PoolMember] | None = None,
    **fields: object,
) -> Pool:
    listed = (
        members if members is not None else [PoolMember(p, joined=i) for i, p in enumerate(pages)]
    )
    return Pool(pool_id, pool_id.title(), method, members=tuple(listed), **fields)  # type: ignore[arg-type]


def received(pool_id: str, page_id: str, when: str) -> LedgerEntry:
    return LedgerEntry(pool_id, page_id, LedgerKind.RECEIVED, at(when))


def removed(pool_id: str, page_id: str, when: str) -> LedgerEntry:
    return LedgerEntry(pool_id, page_id, LedgerKind.REMOVED, at(when))


def static(
    master_id: str, *event_types: str, method: StaticMethod = StaticMethod.POOLED
) -> MasterPage:
    return MasterPage(
        master_id, master_id.title(), MasterMode.STATIC, event_types=event_types, method=method
    )


def selection(
    master_id: str, *event_types: str, mode: MasterMode = MasterMode.PAGES_FIRST
) -> MasterPage:
    return MasterPage(master_id, master_id.title(), mode, event_types=event_types)


def dynamic(master_id: str, event_type: str, primary: SeatRef, *additional: SeatRef) -> MasterPage:
    rule = DynamicRule(event_type, primary, tuple(additional))
    return MasterPage(master_id, master_id.title(), MasterMode.DYNAMIC, rules=(rule,))


def schedule(
    pages: Iterable[Page],
    event_types: Iterable[EventType],
    masters: Iterable[MasterPage] = (),
    pools: Iterable[Pool] = (),
    bookings: Iterable[Occupancy] = (),
    blocks: Iterable[BusyBlock] = (),
    ledger: Iterable[LedgerEntry] = (),
    workspace_tz: str = "UTC",
) -> Schedule:
    occupancy: dict[str, list[Occupancy]] = defaultdict(list)
    for item in bookings:
        occupancy[item.page].append(item)
    external: dict[str, list[BusyBlock]] = defaultdict(list)
    for block in blocks:
        external[block.page].append(block)
    entries: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in ledger:
        entries[entry.pool].append(entry)
    return Schedule(
        WorkspaceConfig(
            Workspace("T1", workspace_tz),
            pages=by_id(pages),
            event_types=by_id(event_types),
            pools=by_id(pools),
            master_pages=by_id(masters),
        ),
        occupancy={key: tuple(value) for key, value in occupancy.items()},
        busy={key: tuple(value) for key, value in external.items()},
        ledger={key: tuple(value) for key, value in entries.items()},
    )


def with_config(found: Schedule, **changes: object) -> Schedule:
    """``found`` with parts of its configuration replaced (``pages=``, ``master_pages=``, …)."""
    return replace(found, config=replace(found.config, **changes))  # type: ignore[arg-type]


def one_page(target: Page, kind: EventType, **extra: object) -> Schedule:
    """A schedule with one page offered by the static master page ``desk``."""
    kind = EventType(**{**_fields(kind), "pages": (target.id,)})
    return schedule([target], [kind], [static("desk", kind.id)], **extra)  # type: ignore[arg-type]


def _fields(kind: EventType) -> dict[str, object]:
    return {name: getattr(kind, name) for name in kind.__slots__}


def clock(slots: Iterable[Slot], tz: str = "UTC") -> list[str]:
    """Show slot starts as local ``HH:MM`` (readable expected lists)."""
    zone = ZoneInfo(tz)
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in slots]


def stamps(slots: Iterable[Slot]) -> list[str]:
    """Show slot starts as UTC ``YYYY-MM-DD HH:MM``."""
    return [slot.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for slot in slots]


def day_range(day: str, tz: str = "UTC", days: int = 1) -> tuple[datetime, datetime]:
    """Return the UTC range of ``days`` local dates from ``day`` in ``tz``."""
    first = date.fromisoformat(day)
    zone = ZoneInfo(tz)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    last = first + timedelta(days=days)
    return start.astimezone(UTC), datetime(last.year, last.month, last.day, tzinfo=zone).astimezone(
        UTC
    )
