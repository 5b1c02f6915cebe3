"""Deliver the outbox: claim due rows, decide, hand each to its channel's ``Sender``, mark.

``dispatch_due`` is one round: claim up to ``limit`` due rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the one write lock on SQLite) with a lease, load each row's booking as it is now
and its workspace's configuration, decide whether it still goes out, hand it to the sender
of its ``channel`` and record the outcome. Only rows of the channels a process has senders
for are claimed. The senders themselves live with the surfaces (Slack's in
``bot.dispatch``, email's in ``bot.mail``); the scheduler that runs rounds is
``bot.dispatch.start_dispatcher``.

A sender takes the claimed row with its booking and configuration and returns
``Delivered``, or raises ``Retry`` (try again later, maybe in doubt) or ``GiveUp`` (failed
for good); the round records the outcome and applies the back-off below to every channel.

At send time
    A reminder whose meeting has started (say, after downtime), whose booking was cancelled,
    or whose recipient left the booking is marked ``skipped``; so is one that a later
    reminder of the same booking supersedes (after downtime only the last due one goes out,
    saying how long is really left); so are confirmations and manager notices of a
    cancelled booking, and a ``notice_started`` row whose manager notice was never posted
    (it carries that notice's ts to the sender, which redraws it). Outcomes are committed a
    few at a time (``_Marks``).

Failures
    A ``Retry`` comes back after its ``after`` (a 429's ``Retry-After``, not counted as an
    attempt), else after an exponential back-off with jitter (30 s, 1 min, 2 min, … up to
    1 h) until ``MAX_ATTEMPTS`` (6) attempts, then ``failed`` with the reason. A ``GiveUp``
    is ``failed`` at once; ``services.notifications.failed_notifications`` lists them.

Never twice
    A claim puts the row in doubt (``in_doubt_since``) until an outcome is recorded; a
    ``Retry`` with ``in_doubt`` keeps it so. A sender handed a row in doubt from an earlier
    claim looks for its earlier delivery first (Slack's searches the channel's history).
    A round stops starting new sends once half its lease is used and gives the rest back,
    so a slow round does not race the next claimer.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from engine.model import BookingStatus, WorkspaceConfig
from engine.records import Booking, Channel, OutboxMessage
from services.context import system_clock
from services.notifications import DEFAULT_REMINDERS, Kind, recipients
from storage.outbox import OutboxRepository
from storage.uow import UnitOfWork, on_queued

log = logging.getLogger("roundtable.dispatch")

DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_LIMIT = 50
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Delivered:
    """A delivered message: ``ref`` names it where it went (a Slack ``ts``); ``found`` when an
    earlier attempt had delivered it already."""

    ref: str | None = None
    found: bool = False


class Sender(Protocol):
    """Deliver one claimed row of a channel; a surface provides one per channel it serves."""

    def __call__(
        self,
        team: str,
        message: OutboxMessage,
        booking: Booking | None,
        cfg: WorkspaceConfig,
        claimed_at: datetime,
        now: datetime,
    ) -> Delivered:
        """Deliver ``message`` of workspace ``team`` (claimed at ``claimed_at``) at ``now``.

        ``booking`` is the row's booking as it is now; ``None`` only for rows about none
        (``calendar_failing``).

        Raises:
            Retry: try again later (``in_doubt`` when it may have been delivered).
            GiveUp: it will fail again: the row fails with the reason.
        """
        ...


class Retry(Exception):
    """Try again later; ``in_doubt`` when it may have been delivered, ``counted`` unless a 429.

    ``after`` overrides the back-off (a ``Retry-After``).
    """

    def __init__(
        self, reason: str, *, after: timedelta | None, in_doubt: bool, counted: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        self.in_doubt = in_doubt
        self.counted = counted


class GiveUp(Exception):
    """The same request will fail again: mark the row failed with this reason."""


@dataclass(frozen=True, slots=True)
class DispatchResult:
    """What one round did with the rows it claimed."""

    claimed: int = 0
    sent: int = 0
    found_sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0

    def __add__(self, other: DispatchResult) -> DispatchResult:
        return DispatchResult(
            *(getattr(self, name) + getattr(other, name) for name in self.__slots__)
        )


def dispatch_due(
    engine: Engine,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = DEFAULT_LIMIT,
) -> DispatchResult:
    """Claim up to ``limit`` due notifications, send them and record each outcome.

    ``senders`` deliver by channel (``slack``, ``email``); only rows of those channels are
    claimed. ``now`` is the time of the claim; the round's later decisions (is a meeting
    under way, when to retry) use ``now`` plus the time spent so far.
    """
    if not senders:
        return DispatchResult()
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        channels = [Channel(channel) for channel in sorted(senders)]
        claimed = uow.outbox.claim_due(now=now, lease=lease, limit=limit, channels=channels)
        uow.commit()
    if not claimed:
        return DispatchResult()
    started = time.monotonic()
    contexts = _load(engine, claimed)
    result = DispatchResult(claimed=len(claimed))
    with _Marks(engine) as marks:
        for index, (team, message) in enumerate(claimed):
            elapsed = timedelta(seconds=time.monotonic() - started)
            if elapsed > lease / 2:
                # Past half the lease another process may soon claim these rows: give back.
                for later_team, later in claimed[index:]:
                    marks.add(_released(later_team, later.id))
                return replace(result, released=len(claimed) - index)
            result += _dispatch_one(
                marks, senders, team, message, contexts.get(team), now, now + elapsed
            )
    return result


def drain(
    engine: Engine,
    senders: Mapping[str, Sender],
    *,
    clock: Callable[[], datetime] = system_clock,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = DEFAULT_LIMIT,
) -> DispatchResult:
    """Run rounds until one claims less than a full batch; return the sum."""
    total = DispatchResult()
    while True:
        result = dispatch_due(engine, senders, now=clock(), lease=lease, limit=limit)
        total += result
        if result.claimed < limit:
            return total


def record_handed(engine: Engine, team: str, message_id: str, handed: str) -> None:
    """Commit what a sender is about to hand over (an email's bytes), to resend it as is."""
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        uow.outbox.record_handed(team, message_id, handed)
        uow.commit()


def when_queued(engine: Engine, wake: Callable[[], None]) -> Callable[[], None]:
    """Call ``wake`` after every commit on ``engine`` in this process that queued rows.

    ``wake`` runs in the committing thread, so it must be quick. Returns the function that
    unregisters it.
    """
    return on_queued(engine, wake)


@dataclass(frozen=True, slots=True)
class _Context:
    """A workspace's configuration and the bookings of the claimed rows.

    ``notices`` holds the ts of each posted manager notice a claimed ``notice_started`` row
    redraws, by (booking id, recipient).
    """

    cfg: WorkspaceConfig
    bookings: Mapping[str, Booking]
    notices: Mapping[tuple[str, str], str] = field(default_factory=dict)


def _load(engine: Engine, claimed: list[tuple[str, OutboxMessage]]) -> dict[str, _Context]:
    contexts: dict[str, _Context] = {}
    with UnitOfWork(engine) as uow:
        for team in {team for team, _ in claimed}:
            mine = [m for t, m in claimed if t == team]
            ids = {m.booking_id for m in mine if m.booking_id}
            notices: dict[tuple[str, str], str] = {}
            for booking_id in {
                m.booking_id for m in mine if m.kind == Kind.NOTICE_STARTED and m.booking_id
            }:
                for sent in uow.outbox.for_booking(team, booking_id):
                    if sent.kind == Kind.MANAGER_NOTICE and sent.slack_ts:
                        notices[(booking_id, sent.recipient)] = sent.slack_ts
            contexts[team] = _Context(
                uow.config.load(team), uow.bookings.get_many(team, ids), notices
            )
    return contexts


def _released(team: str, message_id: str) -> Callable[[OutboxRepository], None]:
    return lambda outbox: outbox.release(team, message_id)


class _Marks:
    """Outcomes to record, committed a few at a time (a commit costs more than a send).

    A message posted but not yet recorded when the process dies is in doubt, and the next
    claimer finds it in Slack's history; batching only widens that window a little.
    """

    BATCH = 10
    SECONDS = 0.5

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: list[Callable[[OutboxRepository], None]] = []
        self._since = time.monotonic()

    def add(self, mark: Callable[[OutboxRepository], None]) -> None:
        """Record an outcome: ``mark`` is applied to the outbox in a coming transaction."""
        self._pending.append(mark)
        if len(self._pending) >= self.BATCH or time.monotonic() - self._since > self.SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            with UnitOfWork(self._engine) as uow:
                uow.begin_write()  # the marks read before they write (see begin_write)
                for mark in self._pending:
                    mark(uow.outbox)
                uow.commit()
        self._pending.clear()
        self._since = time.monotonic()

    def __enter__(self) -> _Marks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


def _dispatch_one(
    marks: _Marks,
    senders: Mapping[str, Sender],
    team: str,
    message: OutboxMessage,
    context: _Context | None,
    claimed_at: datetime,
    now: datetime,
) -> DispatchResult:
    if context is None:
        return _skip(marks, team, message, "the workspace is gone")
    booking = None
    if message.kind != Kind.CALENDAR_FAILING:  # the one kind about no booking
        if message.booking_id is not None:
            booking = context.bookings.get(message.booking_id)
        if booking is None:
            return _skip(marks, team, message, "the booking is gone")
        reason = _skip_reason(message, booking, context.cfg, now)
        if reason is not None:
            return _skip(marks, team, message, reason)
        if message.kind == Kind.NOTICE_STARTED:
            notice = context.notices.get((booking.id, message.recipient))
            if notice is None:
                return _skip(marks, team, message, "the manager notice was not posted")
            message = replace(message, slack_ts=notice)  # the sender redraws it
    try:
        delivered = senders[message.channel](team, message, booking, context.cfg, claimed_at, now)
    except Retry as retry:
        return _retry(marks, team, message, retry, now)
    except GiveUp as give_up:
        return _fail(marks, team, message, str(give_up))
    ref = delivered.ref
    marks.add(lambda outbox: outbox.mark_sent(team, message.id, at=now, slack_ts=ref))
    if delivered.found:
        log.info("outbox %s was already delivered (%s); not sending it again", message.id, ref)
        return DispatchResult(found_sent=1)
    return DispatchResult(sent=1)


def _skip_reason(
    message: OutboxMessage, booking: Booking, cfg: WorkspaceConfig, now: datetime
) -> str | None:
    """Say why a row no longer goes out at ``now`` (see the module's notes), else ``None``."""
    kind = message.kind
    cancelled = booking.status is BookingStatus.CANCELLED
    involved = {r.slack_id for r in recipients(cfg, booking, message.channel)}
    if kind == Kind.REMINDER:
        if cancelled:
            return "the booking was cancelled"
        if booking.start <= now:
            return "the meeting had already started"
        if message.recipient not in involved:
            return "the recipient is no longer in the booking"
        if _superseded(message, booking, cfg, now):
            return "a later reminder of the same booking is due too"
    if kind in (Kind.BOOKED, Kind.MANAGER_NOTICE) and cancelled:
        return "the booking was cancelled"
    if kind == Kind.NOTICE_STARTED and booking.status is not BookingStatus.CONFIRMED:
        return "the booking is no longer confirmed"
    if kind == Kind.BOOKED and message.recipient not in involved:
        return "the recipient is no longer in the booking"
    return None


def _superseded(
    message: OutboxMessage, booking: Booking, cfg: WorkspaceConfig, now: datetime
) -> bool:
    """Tell whether a smaller offset's reminder is due too (after downtime): send only that."""
    offset = timedelta(minutes=int(message.payload.get("offset_minutes", 0)))
    event_type = cfg.event_types.get(booking.event_type)
    offsets = event_type.reminders if event_type is not None else DEFAULT_REMINDERS
    return any(other < offset and booking.start - other <= now for other in offsets)


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Return the wait after the ``attempts``-th failed attempt: doubling, capped, jittered.

    Between half and all of ``BACKOFF_BASE * 2 ** (attempts - 1)`` (at most ``BACKOFF_CAP``),
    so processes that failed together do not retry together.
    """
    full = min(BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 16)), BACKOFF_CAP)
    jitter = rng.random() if rng is not None else random.random()
    return full * (0.5 + 0.5 * jitter)


def _retry(
    marks: _Marks, team: str, message: OutboxMessage, retry: Retry, now: datetime
) -> DispatchResult:
    if retry.counted and message.attempts >= MAX_ATTEMPTS:
        return _fail(
            marks, team, message, f"{retry.reason} (gave up after {message.attempts} attempts)"
        )
    after = retry.after if retry.after is not None else backoff(message.attempts)
    log.warning(
        "outbox %s (%s to %s): %s; retrying in %ss (attempt %d)",
        message.id,
        message.kind,
        message.recipient,
        retry.reason,
        int(after.total_seconds()),
        message.attempts,
    )
    marks.add(
        lambda outbox: outbox.mark_failed(
            team,
            message.id,
            error=retry.reason,
            retry_at=now + after,
            in_doubt=retry.in_doubt,
            counted=retry.counted,
        )
    )
    return DispatchResult(retried=1)


def _fail(marks: _Marks, team: str, message: OutboxMessage, reason: str) -> DispatchResult:
    log.error(
        "outbox %s (%s to %s) failed for good: %s",
        message.id,
        message.kind,
        message.recipient,
        reason,
    )
    marks.add(lambda outbox: outbox.mark_failed(team, message.id, error=reason, retry_at=None))
    return DispatchResult(failed=1)


def _skip(marks: _Marks, team: str, message: OutboxMessage, reason: str) -> DispatchResult:
    log.info(
        "outbox %s (%s to %s) skipped: %s", message.id, message.kind, message.recipient, reason
    )
    marks.add(lambda outbox: outbox.mark_skipped(team, message.id, reason=reason))
    return DispatchResult(skipped=1)
