"""What a Roundtable process measures, for Prometheus (``GET /metrics`` of ``roundtable serve``).

Every metric lives here, each with one function that records it:

=============================================  =============================================
metric                                         recorded by
=============================================  =============================================
``roundtable_http_requests_total``             ``http_request(route, status, seconds)``
  {route, status}
``roundtable_http_request_duration_seconds``   the same call (a histogram per route)
  {route}
``roundtable_bookings_total``                  ``booking_made()`` (``services.booking.book``)
``roundtable_booking_refusals_total``          ``booking_refused(reason)``: the error code,
  {reason}                                     e.g. ``slot_unavailable``, ``link_used``
``roundtable_calendar_sync_failures_total``    ``calendar_sync_failed()``
                                               (``services.calendar_sync``): a read that failed
``roundtable_outbox_due_messages``             read from the database at each scrape: the
``roundtable_outbox_oldest_due_age_seconds``   notifications due and not delivered, and how
                                               long the oldest of them has waited
``roundtable_calendars_failing``               read at each scrape: the calendar connections
                                               whose last read failed
=============================================  =============================================

A new measure is one more metric and one more function here.
Counters count what this process did since it started; Prometheus sums processes.
Labels hold only bounded values (routes, status codes, error codes), never a path, a
token or an id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.notifications import outbox_backlog
from storage.uow import UnitOfWork

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_log = logging.getLogger(__name__)
_REGISTRY = CollectorRegistry()

_REQUESTS = Counter(
    "roundtable_http_requests",
    "HTTP requests answered, by route and status code.",
    ["route", "status"],
    registry=_REGISTRY,
)
_LATENCY = Histogram(
    "roundtable_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    registry=_REGISTRY,
)
_BOOKINGS = Counter("roundtable_bookings", "Bookings made.", registry=_REGISTRY)
_REFUSALS = Counter(
    "roundtable_booking_refusals",
    "Booking requests refused, by reason (the error code).",
    ["reason"],
    registry=_REGISTRY,
)
_CALENDAR_FAILURES = Counter(
    "roundtable_calendar_sync_failures",
    "Calendar reads that failed (the connection keeps its last busy times).",
    registry=_REGISTRY,
)


def http_request(route: str, status: int, seconds: float) -> None:
    """Count one answered HTTP request and its duration."""
    _REQUESTS.labels(route=route, status=str(status)).inc()
    _LATENCY.labels(route=route).observe(seconds)


def booking_made() -> None:
    """Count a new booking (a replayed idempotent request is not one)."""
    _BOOKINGS.inc()


def booking_refused(reason: str) -> None:
    """Count a booking request that was refused, by its error code."""
    _REFUSALS.labels(reason=reason).inc()


def calendar_sync_failed() -> None:
    """Count a calendar read that failed."""
    _CALENDAR_FAILURES.inc()


def exposition(engine: Engine, clock: Callable[[], datetime]) -> bytes:
    """Render every metric in Prometheus' text format, the outbox read from ``engine`` now."""
    scrape = CollectorRegistry()
    scrape.register(_Outbox(engine, clock))
    return generate_latest(_REGISTRY) + generate_latest(scrape)


class _Outbox(Collector):
    """The notification backlog and the failing calendars, read when scraped; nothing when
    the database is down."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        try:
            backlog = outbox_backlog(self._engine, now=now)
            with UnitOfWork(self._engine) as uow:
                failing = uow.calendars.failing_count()
        except SQLAlchemyError:
            _log.warning("metrics: the database does not answer; no outbox figures")
            return
        yield GaugeMetricFamily(
            "roundtable_outbox_due_messages",
            "Notifications due and not delivered yet.",
            value=backlog.due,
        )
        oldest = backlog.oldest_due_at
        yield GaugeMetricFamily(
            "roundtable_outbox_oldest_due_age_seconds",
            "How long the oldest undelivered due notification has waited (0 when none).",
            value=0.0 if oldest is None else (now - oldest).total_seconds(),
        )
        yield GaugeMetricFamily(
            "roundtable_calendars_failing",
            "Calendar connections whose last read failed.",
            value=failing,
        )
