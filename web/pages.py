"""What every guest page shares: the site (services, secret, templates), zones, weeks, forms.

``Site`` renders templates, problem pages and the zone a page shows times in, and checks a
form's CSRF token; the functions read a page's query (its week, a chosen start and zone) and
write what the templates show of free times. The link's pages (``web.booking``) and the
manage pages (``web.manage``) both use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.wrappers import Request, Response

from engine.bounds import check_instant
from engine.durations import length_text
from engine.model import EventType, WorkspaceConfig
from engine.search import Slot
from engine.zones import zulu
from services.context import Services
from web.ics import day_text, is_web_link
from web.security import CsrfToken, Signer

PREFIX = "/l/"
MANAGE_PREFIX = "/m/"
CSRF_COOKIE = "rt_csrf"
DAYS_SHOWN = 7
TAKEN = "Sorry, that time was just taken. Please pick another one."
_HEADINGS = {
    400: "Something went wrong",
    404: "Page not found",
    405: "Not allowed",
    429: "Too many requests",
}


class Site:
    """The services, the app's secret and the templates every guest page is made with."""

    def __init__(self, services: Services, secret: bytes) -> None:
        self.services = services
        self.secret = secret
        self.signer = Signer(secret)
        self._templates = Environment(
            loader=PackageLoader("web", "templates"),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates.tests["web_link"] = is_web_link
        self._templates.globals["static_url"] = lambda name: f"{PREFIX}_static/{name}"

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        body = self._templates.get_template(template).render(**context)
        return Response(body, status=status, mimetype="text/html")

    def problem(self, error: HTTPException, back_url: str | None, back_label: str) -> Response:
        """The page of an HTTP error, with a way back when there is one."""
        code = error.code or 500
        response = self.render(
            "problem.html",
            status=code,
            heading=_HEADINGS.get(code, "Something went wrong"),
            message=error.description or "",
            back_url=back_url,
            back_label=back_label,
        )
        response.headers.extend(h for h in error.get_headers() if h[0] == "Retry-After")
        return response

    def check_csrf(self, request: Request, token: str, refusal: str) -> CsrfToken:
        """Return the form's CSRF token of link ``token``.

        Raises:
            BadRequest: it is missing, expired or not this link's (``refusal`` says so).
        """
        csrf = self.signer.check_csrf(
            token, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)
        )
        if csrf is None:
            raise BadRequest(refusal)
        return csrf


def zone(
    request: Request, config: WorkspaceConfig, default: str | None = None
) -> tuple[str, str | None]:
    """Return the zone to show times in, and a notice when ``?tz=`` was not usable."""
    fallback = default or config.workspace.timezone
    asked = request.args.get("tz")
    if asked is None or asked in _zones():
        return asked or fallback, None
    return fallback, f"Unknown time zone; times are shown in {fallback}."


def week(request: Request, tz: str, kind: EventType, now: datetime) -> tuple[date, ...]:
    """Return the first and last local dates shown (``?from=``), today and the last bookable."""
    today = now.astimezone(ZoneInfo(tz)).date()
    last = (now + timedelta(days=kind.max_days_ahead)).astimezone(ZoneInfo(tz)).date()
    first = min(max(_date_arg(request.args.get("from")) or today, today), last)
    return first, first + timedelta(days=DAYS_SHOWN - 1), today, last


def free_times(
    kind: EventType,
    slots: Iterable[Slot],
    tz: str,
    shown: tuple[date, ...],
    *,
    here: str,
    target: str,
    query: Mapping[str, str],
) -> dict[str, Any]:
    """What ``slots.html`` shows of the week ``shown`` (from ``week``): the event type, the
    week and the links to the weeks before and after (``here`` with ``query``), and the
    slots by local day, each a button to ``target`` with ``query`` and its start."""
    first, until, today, last = shown

    def week_url(start: date) -> str:
        return with_query(here, **query, **{"from": start.isoformat()})

    return {
        "event_type": event_type_shown(kind),
        "here": here,
        "tz": tz,
        "zones": _zone_choices(tz),
        "week_label": f"{first.day} {first:%B %Y} to {until.day} {until:%B %Y}",
        "days": _days(slots, tz, target, query),
        "earlier_url": week_url(max(today, first - timedelta(days=DAYS_SHOWN)))
        if first > today
        else None,
        "later_url": week_url(until + timedelta(days=1)) if until < last else None,
    }


def event_type_shown(kind: EventType) -> dict[str, str]:
    """An event type as the templates show it: id, name and length."""
    return {"id": kind.id, "name": kind.name, "duration": length_text(kind.duration)}


def _days(
    slots: Iterable[Slot], tz: str, target: str, query: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Group slots by local day, each a button to ``target`` with ``start`` and ``query``."""
    days: dict[date, list[dict[str, str]]] = {}
    for slot in slots:
        start = slot.start.astimezone(ZoneInfo(tz))
        days.setdefault(start.date(), []).append(
            {
                "label": f"{start:%H:%M}",
                "end_label": f"{slot.end.astimezone(ZoneInfo(tz)):%H:%M}",
                "url": with_query(target, **query, start=zulu(slot.start)),
            }
        )
    return [{"label": day_text(day), "slots": found} for day, found in sorted(days.items())]


def start_and_zone(
    values: Mapping[str, str], refusal: str = "That is not a time this booking can move to."
) -> tuple[datetime, str]:
    """Read the chosen start (with its UTC offset, within ``engine.bounds``) and zone.

    Raises:
        BadRequest: one is missing or malformed (``refusal`` says so).
    """
    start: datetime | None = None
    try:
        asked = datetime.fromisoformat(values.get("start", ""))
        start = check_instant(asked) if asked.tzinfo else None
    except ValueError:
        pass
    tz = values.get("tz", "")
    if start is None or tz not in _zones():
        raise BadRequest(refusal)
    return start.astimezone(UTC), tz


def with_csrf_cookie(
    request: Request, response: Response, csrf: CsrfToken, *, path: str
) -> Response:
    """Set the double-submit cookie of a form's CSRF token, scoped to one link's pages."""
    response.set_cookie(
        CSRF_COOKIE,
        csrf.nonce,
        path=path,
        secure=request.scheme == "https",
        httponly=True,
        samesite="Strict",
    )
    return response


def with_query(url: str, **params: str) -> str:
    return f"{url}?{urlencode(params)}"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _common_zones() -> tuple[str, ...]:
    """Return the zones to choose from: every "Area/City" name, and UTC."""
    skipped = ("Etc/", "posix/", "right/")
    cities = sorted(name for name in _zones() if "/" in name and not name.startswith(skipped))
    return (*cities, "UTC")


def _zone_choices(current: str) -> tuple[str, ...]:
    zones = _common_zones()
    return zones if current in zones else tuple(sorted((*zones, current)))


def _date_arg(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
