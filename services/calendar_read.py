"""Reading calendars: fetch an ICS feed or a CalDAV collection, and turn events into busy time.

Nothing here touches the database; ``services.calendar_sync`` stores what it returns.

Fetching
    An ICS feed is one HTTP GET (``urllib``) that sends back the validators of the last
    read (``If-None-Match``, ``If-Modified-Since``): a ``304 Not Modified`` is the whole
    cost of an unchanged feed. A CalDAV collection (the ``caldav`` client) is first asked
    for its ctag (``CS:getctag``, else its ``DAV:sync-token``) in one PROPFIND; when it
    equals the last one nothing more is asked, else a time-range REPORT fetches the events
    of the window. Both are bounded: a timeout on every request, a maximum size of what is
    read (``Limits.max_bytes``), and a cap on the occurrences expanded
    (``Limits.max_occurrences``); going past one fails the read with ``ReadFailed``, as
    does any network error, HTTP error, refused credentials or unreadable iCalendar data.
    Messages never hold the source's URL (a feed's URL is its secret). A host whose
    address is link-local (``169.254.0.0/16``, ``fe80::/10``: where clouds serve instance
    metadata and credentials), unspecified or multicast is never asked, nor is a redirect
    to one (``check_host``): a calendar address typed by a member must not make the server
    reach into its own infrastructure. Loopback and private addresses stay allowed, for a
    Radicale or Nextcloud on the same host or network.

Events
    Parsed with ``icalendar``; Google's ``X-WR-TIMEZONE`` calendars are made standard with
    ``x-wr-timezone``; recurrences (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) are
    expanded by ``recurring-ical-events`` in the events' own zones. Skipped: transparent
    events (``TRANSP:TRANSPARENT``: "show as free"), cancelled ones, and events written by
    Roundtable itself (UID ending ``@roundtable``). A timed event blocks its interval; an
    all-day event blocks its local dates in the page's zone, as does a floating time.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.client import HTTPException
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar, Component, Event

from engine.intervals import Interval, merge
from engine.zones import local_to_utc

log = logging.getLogger("roundtable.calendars")

ROUNDTABLE_UID_SUFFIX = "@roundtable"
USER_AGENT = "Roundtable calendar sync"
_CHUNK = 64 * 1024
_CTAG = "{http://calendarserver.org/ns/}getctag"
_SYNC_TOKEN = "{DAV:}sync-token"
# Dates and floating times are read as UTC to pick single events: any zone is within a day.
_FLOATING_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one read may cost; past any of them the read fails with a recorded error."""

    timeout_seconds: float = 20.0
    max_bytes: int = 20 * 1024 * 1024
    max_occurrences: int = 50_000


class ReadFailed(Exception):
    """A source could not be read; the message says why (never naming the URL)."""


@dataclass(frozen=True, slots=True)
class Validators:
    """What tells an unchanged source: an ICS feed's ETag and Last-Modified, a CalDAV ctag."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """The outcome of a fetch: ``calendars`` is None when the source is unchanged."""

    calendars: tuple[Calendar, ...] | None
    validators: Validators


@dataclass(frozen=True, slots=True)
class Span:
    """One busy occurrence as the calendar says it: aware datetimes, floating ones or dates."""

    start: datetime | date
    end: datetime | date


def check_host(url: str) -> None:
    """Refuse to read ``url`` when its host resolves to an address the server must not reach.

    Raises:
        ReadFailed: the host resolves to a link-local, unspecified or multicast address, or
            does not resolve.
    """
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise ReadFailed(f"the calendar's host cannot be found ({_reason(error)})") from None
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            raise ReadFailed(
                "the calendar's host is a link-local, unspecified or multicast address, "
                "which Roundtable never reads"
            )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a feed's redirects only to hosts ``check_host`` allows."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        check_host(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_CheckedRedirects)


def fetch_feed(url: str, validators: Validators | None, limits: Limits) -> Fetched:
    """GET an ICS feed, conditionally when ``validators`` are given.

    Raises:
        ReadFailed: network error, timeout, an HTTP error status, too large, not iCalendar.
    """
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if validators is not None and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + limits.timeout_seconds
    try:
        check_host(url)
        with _OPENER.open(request, timeout=limits.timeout_seconds) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > limits.max_bytes:
                raise ReadFailed(_too_big(limits))
            data = _read_bounded(response, limits, deadline)
            fresh = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except urllib.error.HTTPError as error:
        if error.code == 304 and validators is not None:
            return Fetched(None, validators)
        raise ReadFailed(f"the feed answered HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise ReadFailed(f"the feed cannot be reached ({_reason(error.reason)})") from None
    except (TimeoutError, OSError, HTTPException) as error:
        raise ReadFailed(f"the feed cannot be read ({_reason(error)})") from None
    return Fetched(parse(data), fresh)


def fetch_caldav(
    url: str,
    username: str,
    password: str,
    validators: Validators | None,
    window: tuple[datetime, datetime],
    limits: Limits,
) -> Fetched:
    """Read a CalDAV collection's events in ``window``, unless its ctag is unchanged.

    Raises:
        ReadFailed: network error, timeout, refused credentials, no calendar there, too
            large, not iCalendar.
    """
    # Imported here: caldav (and its HTTP client) is needed only when a CalDAV source syncs.
    from caldav.davclient import DAVClient
    from caldav.lib import error as dav_error

    check_host(url)
    try:
        with DAVClient(
            url=url,
            username=username,
            password=password,
            timeout=max(1, round(limits.timeout_seconds)),
            enable_rfc6764=False,
        ) as client:
            calendar = client.calendar(url=url)  # type: ignore[no-untyped-call]
            tag = _collection_tag(calendar)
            if tag is not None and validators is not None and validators.etag == tag:
                return Fetched(None, validators)
            found = calendar.search(
                start=window[0], end=window[1], event=True, expand=False, post_filter=False
            )
            size = 0
            texts: list[str] = []
            for item in found:
                text = str(item.data)
                size += len(text.encode())
                if size > limits.max_bytes:
                    raise ReadFailed(_too_big(limits))
                texts.append(text)
    except dav_error.AuthorizationError:
        raise ReadFailed("the CalDAV server refused the username or password") from None
    except dav_error.NotFoundError:
        raise ReadFailed("the CalDAV server has no calendar at that address") from None
    except dav_error.DAVError as error:
        raise ReadFailed(
            f"the CalDAV server answered with an error ({_dav_reason(error)})"
        ) from None
    except ReadFailed:
        raise
    except Exception as error:  # the HTTP client's own errors: timeouts, refused connections
        raise ReadFailed(f"the CalDAV server cannot be reached ({_reason(error)})") from None
    return Fetched(tuple(c for text in texts for c in parse(text.encode())), Validators(tag))


def parse(data: bytes) -> tuple[Calendar, ...]:
    """Parse iCalendar data (one or more ``VCALENDAR``s).

    Raises:
        ReadFailed: it is not iCalendar.
    """
    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError) as error:
        raise ReadFailed(f"not an iCalendar file ({_reason(error)})") from None
    if not calendars:
        raise ReadFailed("not an iCalendar file (no VCALENDAR in it)")
    return tuple(calendars)


def occurrences(
    calendars: Iterable[Calendar], window: tuple[datetime, datetime], limits: Limits
) -> list[Span]:
    """Return the busy occurrences of the calendars' events that overlap ``window``.

    Events that are not part of a recurring series (no RRULE, RDATE or RECURRENCE-ID under
    their UID) are their own single occurrence and are read as they are; only the series
    go through ``recurring-ical-events``. A feed's history is mostly single events, and
    building a series for each of them cost more than the whole rest of a sync.

    Raises:
        ReadFailed: more than ``limits.max_occurrences`` occurrences in the window, or a
            calendar that cannot be expanded.
    """
    spans: list[Span] = []
    expanded = 0
    for calendar in calendars:
        try:
            standard = x_wr_timezone.to_standard(calendar)
            events = [c for c in standard.subcomponents if isinstance(c, Event)]
            recurring = {str(e.get("UID", "")) for e in events if _in_series(e)}
            series = Calendar()
            for event in events:
                if str(event.get("UID", "")) in recurring:
                    series.add_component(event)
                    continue
                span = _span(event)
                if span is not None and _overlaps(span, window):
                    expanded += 1
                    spans.append(span)
            if expanded > limits.max_occurrences:
                raise _TooMany
            if recurring:
                for occurrence in _expand(series, window, limits.max_occurrences - expanded):
                    expanded += 1
                    span = _span(occurrence)
                    if span is not None:
                        spans.append(span)
        except _TooMany:
            raise ReadFailed(
                f"more than {limits.max_occurrences:,} events in the synced window"
            ) from None
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ReadFailed(f"the events cannot be read ({_reason(error)})") from None
    return spans


def busy_intervals(spans: Sequence[Span], zone: ZoneInfo) -> list[Interval]:
    """Return the merged busy time of ``spans`` for a page in ``zone``.

    All-day events block their local dates and floating times are read in the page's zone.
    """
    intervals = []
    for span in spans:
        start, end = _instant(span.start, zone), _instant(span.end, zone)
        if start < end:
            intervals.append(Interval(start, end))
    return merge(intervals)


class _TooMany(Exception):
    pass


def _expand(
    calendar: Calendar, window: tuple[datetime, datetime], allowed: int
) -> Iterator[Component]:
    """Yield the occurrences in ``window``, one chunk of it at a time.

    The first chunk is a day; each next one is sized from the rate seen so far to bring at
    most half of what is still allowed (and at least doubles), so an ordinary calendar takes
    two passes and a runaway rule (every minute, every second) is refused after expanding
    a bounded number of occurrences, never the whole window. An occurrence reaching over a
    chunk's end is yielded once.
    """
    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    start, end = window
    chunk = timedelta(days=1)
    seen = 0
    yielded: set[tuple[str, str]] = set()
    while start < end:
        stop = min(start + chunk, end)
        found = query.between(start, stop)
        seen += len(found)
        if seen > allowed:
            raise _TooMany
        for event in found:
            key = (str(event.get("UID", "")), str(event.get("DTSTART").to_ical()))
            if key not in yielded:
                yielded.add(key)
                yield event
        rate = max(len(found), 1) / (stop - start).total_seconds()
        chunk = max(chunk * 2, timedelta(seconds=(allowed - seen) / 2 / rate))
        start = stop


def _in_series(event: Event) -> bool:
    return "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event


def _overlaps(span: Span, window: tuple[datetime, datetime]) -> bool:
    """Tell whether ``span`` may overlap ``window``: dates and floating times are read as
    UTC give or take a day (they become instants in the page's zone, whichever it is)."""
    return _earliest(span.start) < window[1] and _latest(span.end) > window[0]


def _earliest(value: datetime | date) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return _as_utc(value) - _FLOATING_SLACK


def _latest(value: datetime | date) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return _as_utc(value) + _FLOATING_SLACK


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _span(event: Component) -> Span | None:
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if str(event.get("UID", "")).endswith(ROUNDTABLE_UID_SUFFIX):
        return None
    if not isinstance(event, Event):
        return None
    try:
        start, end = event.start, event.end
    except (ValueError, KeyError):  # no DTSTART: nothing to block
        return None
    return Span(start, end)


def _instant(value: datetime | date, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return local_to_utc(value.date(), value.hour * 60 + value.minute, zone)
        return value.astimezone(UTC)
    return local_to_utc(value, 0, zone)


def _collection_tag(calendar: Any) -> str | None:
    """Return the collection's ctag, else its sync token (None: the server has neither)."""
    from caldav.elements.base import ValuedBaseElement

    class CTag(ValuedBaseElement):
        tag = _CTAG

    class SyncToken(ValuedBaseElement):
        tag = _SYNC_TOKEN

    found = calendar.get_properties([CTag(), SyncToken()])
    tag = found.get(_CTAG) or found.get(_SYNC_TOKEN)
    return None if tag is None else str(tag)


def _read_bounded(response: Any, limits: Limits, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if size > limits.max_bytes:
            raise ReadFailed(_too_big(limits))
        if time.monotonic() > deadline:
            raise ReadFailed(f"the feed took longer than {limits.timeout_seconds:g} s to read")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(limits: Limits) -> str:
    return f"the calendar is larger than {limits.max_bytes / 1024 / 1024:g} MB"


def _reason(error: object) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _dav_reason(error: Exception) -> str:
    status = getattr(error, "reason", None) or type(error).__name__
    return _reason(status)
