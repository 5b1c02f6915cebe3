"""Run booking requests truly at once and sort out what each one got.

``race`` starts one thread per request and holds them all at a ``threading.Barrier`` until
every one is ready, so the requests reach the database together instead of one after the
other. Each request ends as an ``Outcome``: a booking, a refusal (the error's ``code``) or
something unexpected (kept whole, so a test can show it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from threading import Barrier

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from engine.errors import RoundtableError
from engine.records import Booking
from services.booking import BookingRequest, Customer, book
from services.context import CommandLine
from storage.tables import BookingRow, LedgerRow, PageRow, ParticipantRow

BARRIER_TIMEOUT = 30
CUSTOMER = CommandLine()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one request got: a booking, a refusal's code, or an unexpected error."""

    booking: Booking | None = None
    code: str | None = None
    error: BaseException | None = None


def attempt(action: Callable[[], Booking]) -> Outcome:
    """Run one request and classify how it ended."""
    try:
        return Outcome(booking=action())
    except RoundtableError as refused:
        return Outcome(code=refused.code)
    except Exception as error:
        return Outcome(error=error)


def race(count: int, action: Callable[[int], Booking]) -> list[Outcome]:
    """Run ``action(0)`` … ``action(count - 1)`` in ``count`` threads released at once."""
    barrier = Barrier(count)

    def run(index: int) -> Outcome:
        barrier.wait(BARRIER_TIMEOUT)
        return attempt(lambda: action(index))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def summary(outcomes: list[Outcome]) -> Counter[str]:
    """Count outcomes as ``booked``, refusal codes, and ``error: …`` lines."""
    return Counter(
        "booked"
        if o.booking is not None
        else o.code
        if o.code is not None
        else f"error: {type(o.error).__name__}: {o.error}"
        for o in outcomes
    )


def booked(outcomes: list[Outcome]) -> list[Booking]:
    return [o.booking for o in outcomes if o.booking is not None]


def request(
    workspace: str,
    master_page: str,
    event_type: str,
    start: datetime,
    customer: int | str,
    **options: object,
) -> BookingRequest:
    """Return a booking request of a Slack customer (``U`` + ``customer``) unless a link's."""
    who = Customer(slack_user=f"U{customer}")
    if options.get("link_token") is not None:
        who = Customer(name=f"Guest {customer}", email=f"guest{customer}@example.com")
    return BookingRequest(workspace, master_page, event_type, start, who, **options)  # type: ignore[arg-type]


def booker(engine: Engine, now: datetime) -> Callable[[BookingRequest], Booking]:
    """Return a function that books a request as a customer at ``now``."""
    return lambda req: book(engine, req, actor=CUSTOMER, now=now)


def overlapping_pairs(engine: Engine) -> list[tuple[str, str, str]]:
    """Return (page, booking, booking) for every two confirmed bookings that overlap on a page.

    The self-join the contract is about: two confirmed participants of one page whose
    half-open ``[start, end)`` intervals intersect.
    """
    a, b = aliased(ParticipantRow), aliased(ParticipantRow)
    query = (
        select(PageRow.key, a.booking_id, b.booking_id)
        .select_from(a)
        .join(
            b,
            and_(
                col(b.workspace_id) == a.workspace_id,
                col(b.page_id) == a.page_id,
                col(b.id) != a.id,
                col(a.start_at) < b.end_at,
                col(b.start_at) < a.end_at,
                col(b.start_at) >= a.start_at,
            ),
        )
        .join(PageRow, col(PageRow.id) == a.page_id)
        .where(col(a.confirmed).is_(True), col(b.confirmed).is_(True))
    )
    with engine.connect() as conn:
        return [(page, str(x), str(y)) for page, x, y in conn.execute(query)]


def buffer_violations(engine: Engine) -> list[tuple[str, str, str]]:
    """Return (page, earlier, later) for consecutive bookings closer than their buffers.

    Bookings on one page must be apart by the earlier one's buffer after plus the later
    one's buffer before (the buffers of both meetings add up).
    """
    query = (
        select(
            PageRow.key,
            ParticipantRow.booking_id,
            ParticipantRow.start_at,
            ParticipantRow.end_at,
            BookingRow.buffer_before_min,
            BookingRow.buffer_after_min,
        )
        .join(PageRow, col(PageRow.id) == ParticipantRow.page_id)
        .join(BookingRow, col(BookingRow.id) == ParticipantRow.booking_id)
        .where(col(ParticipantRow.confirmed).is_(True))
        .order_by(col(PageRow.key), col(ParticipantRow.start_at))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    found = []
    for prev, nxt in pairwise(rows):
        if prev[0] != nxt[0]:
            continue
        gap_min = (nxt[2] - prev[3]).total_seconds() / 60
        if gap_min < prev[5] + nxt[4]:
            found.append((prev[0], str(prev[1]), str(nxt[1])))
    return found


def ledger_received(engine: Engine) -> Counter[str]:
    """Count ``received`` ledger entries per booking id."""
    with Session(engine) as session:
        rows = session.exec(
            select(LedgerRow.booking_id, func.count())
            .where(col(LedgerRow.kind) == "received")
            .group_by(col(LedgerRow.booking_id))
        ).all()
    return Counter({str(booking): count for booking, count in rows})
