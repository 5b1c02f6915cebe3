"""Distribution of bookings among a pool's members.

Counts come from the pool's ``LedgerEntry`` values: a ``received`` entry when a booking is
assigned from the pool, a ``removed`` entry when it is cancelled or reassigned away (or, with
automatic correction, marked a no-show), and a ``no_show`` entry, which only the report counts.

Choices made here:

* Only entries at or before ``now`` count, so a what-if ``now`` in the past sees the past.
* *last received* looks at every entry (it is not reset by the cycle); a member that never
  received one sorts as the oldest.
* The report lists every member, active or not, in join order; its ``average`` is the
  mean ``net`` over the *active* members (0.0 when none), because inactive members get
  nothing new and would drag the mean that the others are compared against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from engine.intervals import to_utc
from engine.model import Cycle, LedgerEntry, LedgerKind, Method, Pool, PoolMember
from engine.zones import local_to_utc, zone

# The "last received" of a member that never received one: older than any instant.
NEVER = datetime.min.replace(tzinfo=UTC)
_CYCLE_MONTHS = {Cycle.MONTHLY: 1, Cycle.QUARTERLY: 3}


@dataclass(frozen=True, slots=True)
class MemberStats:
    """One member's distribution counts in the current cycle."""

    page: str
    received: int
    removed: int
    net: int
    last_received: datetime | None
    active: bool = True
    """False for a member that gets nothing new; it keeps its history and is left out of the
    report's average."""
    no_show: int = 0


@dataclass(frozen=True, slots=True)
class PoolReport:
    """A pool's distribution in the current cycle; bounds are None when continuous."""

    pool: str
    cycle_start: datetime | None
    cycle_end: datetime | None
    members: tuple[MemberStats, ...]
    average: float


def cycle_bounds(cycle: Cycle, tz: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """Return the UTC start and end of the reporting cycle holding ``now``.

    Weekly cycles start on Monday 00:00, monthly ones on the 1st, quarterly ones on the 1st
    of January, April, July and October, all in the workspace zone ``tz``.

    Args:
        cycle: the pool's reporting cycle.
        tz: the workspace's time zone.
        now: the current instant.

    Raises:
        BadInput: ``tz`` is unknown.
    """
    if cycle is Cycle.CONTINUOUS:
        return None, None
    local_zone = zone(tz)
    today = to_utc(now).astimezone(local_zone).date()
    if cycle is Cycle.WEEKLY:
        first = date.fromordinal(today.toordinal() - today.weekday())
        return local_to_utc(first, 0, local_zone), local_to_utc(first, 7 * 24 * 60, local_zone)
    months = _CYCLE_MONTHS[cycle]
    month = (today.month - 1) // months * months
    first = date(today.year, month + 1, 1)
    after = date(today.year + (month + months) // 12, (month + months) % 12 + 1, 1)
    return local_to_utc(first, 0, local_zone), local_to_utc(after, 0, local_zone)


def member_stats(
    pool: Pool, entries: Sequence[LedgerEntry], tz: str, now: datetime
) -> list[MemberStats]:
    """Return each member's counts in the cycle holding ``now``, in join order.

    Args:
        pool: the pool.
        entries: the pool's ledger (entries of other pools are ignored).
        tz: the workspace's time zone, where cycles start.
        now: the current instant.

    Raises:
        BadInput: ``tz`` is unknown.
    """
    now = to_utc(now)
    start, end = cycle_bounds(pool.cycle, tz, now)
    counts: dict[LedgerKind, dict[str, int]] = {kind: {} for kind in LedgerKind}
    received, removed = counts[LedgerKind.RECEIVED], counts[LedgerKind.REMOVED]
    no_show = counts[LedgerKind.NO_SHOW]
    last: dict[str, datetime] = {}
    for entry in entries:
        at = to_utc(entry.at)
        if entry.pool != pool.id or at > now:
            continue
        if entry.kind is LedgerKind.RECEIVED and at > last.get(entry.page, NEVER):
            last[entry.page] = at
        if (start is None or start <= at) and (end is None or at < end):
            counted = counts[entry.kind]
            counted[entry.page] = counted.get(entry.page, 0) + entry.count
    return [
        MemberStats(
            page=member.page,
            received=received.get(member.page, 0),
            removed=removed.get(member.page, 0),
            net=received.get(member.page, 0) - removed.get(member.page, 0),
            last_received=last.get(member.page),
            active=member.active,
            no_show=no_show.get(member.page, 0),
        )
        for member in _members(pool)
    ]


def pool_report(pool: Pool, entries: Sequence[LedgerEntry], tz: str, now: datetime) -> PoolReport:
    """Return the pool's report for the cycle holding ``now``.

    Args:
        pool: the pool.
        entries: the pool's ledger.
        tz: the workspace's time zone.
        now: the current instant.

    Raises:
        BadInput: ``tz`` is unknown.
    """
    start, end = cycle_bounds(pool.cycle, tz, now)
    stats = member_stats(pool, entries, tz, now)
    nets = [row.net for row in stats if row.active]
    return PoolReport(
        pool=pool.id,
        cycle_start=start,
        cycle_end=end,
        members=tuple(stats),
        average=sum(nets) / len(nets) if nets else 0.0,
    )


def round_robin_line(
    pool: Pool, entries: Sequence[LedgerEntry], tz: str, now: datetime
) -> list[str]:
    """Return the active members in round-robin order, next in line first.

    Score ascending (received − removed with automatic correction, else received), then
    last received ascending (never first), then joined, then page id.

    Args:
        pool: the pool.
        entries: the pool's ledger.
        tz: the workspace's time zone.
        now: the current instant.
    """

    def key(member: PoolMember, stats: MemberStats) -> tuple[int, datetime, int, str]:
        score = stats.net if pool.automatic_correction else stats.received
        return (score, stats.last_received or NEVER, member.joined, member.page)

    return _ordered(pool, entries, tz, now, key)


def pooled_order(pool: Pool, entries: Sequence[LedgerEntry], tz: str, now: datetime) -> list[str]:
    """Return the active members by pooled preference, most preferred first.

    Longest idle first (last received ascending, never first), then fewest received in the
    cycle, then joined, then page id.
    """
    return _ordered(pool, entries, tz, now, _idle_key)


def priority_order(pool: Pool, entries: Sequence[LedgerEntry], tz: str, now: datetime) -> list[str]:
    """Return the active members by priority, highest first, then as ``pooled_order``."""

    def key(member: PoolMember, stats: MemberStats) -> tuple[int, datetime, int, int, str]:
        return (-member.priority.rank, *_idle_key(member, stats))

    return _ordered(pool, entries, tz, now, key)


def preference_order(
    pool: Pool, entries: Sequence[LedgerEntry], tz: str, now: datetime
) -> list[str]:
    """Return the active members in the order the pool's method prefers them."""
    order = {
        Method.ROUND_ROBIN: round_robin_line,
        Method.POOLED: pooled_order,
        Method.POOLED_PRIORITY: priority_order,
    }[pool.method]
    return order(pool, entries, tz, now)


def _idle_key(member: PoolMember, stats: MemberStats) -> tuple[datetime, int, int, str]:
    return (stats.last_received or NEVER, stats.received, member.joined, member.page)


def _members(pool: Pool) -> list[PoolMember]:
    """The pool's members, former ones included (inactive), in join order."""
    return sorted((*pool.members, *pool.former), key=lambda member: (member.joined, member.page))


def _ordered(
    pool: Pool,
    entries: Sequence[LedgerEntry],
    tz: str,
    now: datetime,
    key: Callable[[PoolMember, MemberStats], tuple[object, ...]],
) -> list[str]:
    stats = member_stats(pool, entries, tz, now)
    rows = [
        (key(member, row), member.page)
        for member, row in zip(_members(pool), stats, strict=True)
        if member.active
    ]
    return [page for _, page in sorted(rows)]
