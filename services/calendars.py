"""Calendar connections: connect, list and disconnect the calendars of booking pages.

A connection is an ICS feed (``ics``, read only) or a CalDAV collection (``caldav``, read,
and written when ``write`` is on) serving one or more booking pages. Its URL, username and
password are sealed with the app's secret (``services.secret``) before they are stored and
opened only to read the source; what is shown is ``shown_url``: a CalDAV URL without its
credentials, query or fragment, and for an ICS feed only its scheme and host, as a feed's
path usually is its secret (Google's ``private-…`` address).

Who may: an admin any page's calendars, rooms included; a member their own page's (the page
whose ``slack_user`` they are). Listing shows what the actor may manage.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine

from engine.errors import BadInput, NotFound
from engine.model import Page, PageKind, WorkspaceConfig
from engine.records import CalendarConnection
from services import roles
from services.context import Actor
from services.errors import Forbidden
from services.secret import secret_box
from storage.uow import UnitOfWork

ICS = "ics"
CALDAV = "caldav"
KINDS = (ICS, CALDAV)
MAX_URL_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class Source:
    """What a connection reads, in clear: only the sync and ``connect`` hold one."""

    kind: str
    url: str
    username: str | None = None
    password: str | None = None

    def sealed(self, environ: Mapping[str, str]) -> str:
        """Return the source encrypted under the app's secret."""
        values = {"url": self.url}
        if self.username is not None:
            values["username"] = self.username
        if self.password is not None:
            values["password"] = self.password
        return secret_box(environ).seal(values)

    @classmethod
    def opened(cls, connection: CalendarConnection, environ: Mapping[str, str]) -> Source:
        """Return the source of a stored connection.

        Raises:
            SecretUnreadable: the app's secret changed since the connection was stored.
            BadInput: no app secret is set.
        """
        values = secret_box(environ).open(connection.secret)
        return cls(connection.kind, values["url"], values.get("username"), values.get("password"))


def check_url(url: str, field: str = "url") -> str:
    """Return an http(s) URL stripped; ``webcal://`` (what calendars hand out) becomes https.

    Raises:
        BadInput: not an http, https or webcal URL with a host.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        parts = parts._replace(scheme="https")
        scheme = "https"
    if scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL_LENGTH:
        raise BadInput(
            "is not a calendar address: give an https://, http:// or webcal:// URL", field=field
        )
    return urlunsplit(parts)


def shown_url(kind: str, url: str) -> str:
    """Return what may be shown of a source's URL (see the module's docstring)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if kind == ICS:
        return f"{parts.scheme}://{host}/…"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def connect(
    engine: Engine,
    workspace_id: str,
    pages: Sequence[str],
    *,
    kind: str,
    url: str,
    username: str | None = None,
    password: str | None = None,
    write: bool = False,
    actor: Actor,
    now: datetime,
    environ: Mapping[str, str] | None = None,
) -> CalendarConnection:
    """Add a connection serving ``pages``; it is read by the next sync (due at once).

    Raises:
        BadInput: a bad URL, missing CalDAV credentials, ``write`` on an ICS feed, no page,
            or no app secret to seal the source with (field ``ROUNDTABLE_SECRET``).
        NotFound: a page names no booking page.
        Forbidden: the actor may not manage one of the pages' calendars.
    """
    source = _source(kind, url, username, password, write)
    if not pages:
        raise BadInput("name at least one booking page", field="page")
    sealed = source.sealed(os.environ if environ is None else environ)
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        cfg = uow.config.load(workspace_id)
        require_calendar_manager(cfg, _pages(cfg, pages), actor)
        connection = CalendarConnection(
            id=str(uuid.uuid4()),
            kind=kind,
            pages=tuple(dict.fromkeys(pages)),
            shown_url=shown_url(kind, source.url),
            secret=sealed,
            write=write,
            created_at=now,
            created_by=actor.slack_user,
            due_at=now,
        )
        uow.calendars.add(workspace_id, connection)
        uow.commit()
    return connection


def list_connections(
    engine: Engine, workspace_id: str, *, page: str | None = None, actor: Actor
) -> list[CalendarConnection]:
    """Return the connections the actor may manage (of ``page`` only, when given).

    Raises:
        NotFound: ``page`` names no booking page.
        Forbidden: ``page`` is named and the actor may not manage its calendars.
    """
    with UnitOfWork(engine) as uow:
        cfg = uow.config.load(workspace_id)
        if page is not None:
            require_calendar_manager(cfg, _pages(cfg, [page]), actor)
        found = uow.calendars.find(workspace_id, page=page)
    mine = managed_pages(cfg, actor)
    return [c for c in found if set(c.pages) & mine or roles.is_admin(cfg.workspace, actor)]


def disconnect(
    engine: Engine, workspace_id: str, connection_id: str, *, actor: Actor
) -> CalendarConnection:
    """Remove a connection and its busy blocks; return it as it was.

    Raises:
        NotFound: no such connection in the workspace.
        Forbidden: the actor may not manage the calendars of every page it serves.
    """
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        cfg = uow.config.load(workspace_id)
        connection = uow.calendars.get(workspace_id, connection_id)
        require_calendar_manager(cfg, _pages(cfg, connection.pages), actor)
        gone = uow.calendars.remove(workspace_id, connection_id)
        uow.commit()
    return gone


@dataclass(frozen=True, slots=True)
class CalendarHome:
    """What the App Home shows of calendars: the actor's own pages and what they manage."""

    admin: bool
    own_pages: tuple[Page, ...]
    pages: tuple[Page, ...]
    connections: tuple[CalendarConnection, ...]


def calendar_home(engine: Engine, workspace_id: str, *, actor: Actor) -> CalendarHome:
    """Return the calendars the actor manages, their own pages and (admins) every page.

    Raises:
        NotFound: the workspace is not configured.
    """
    with UnitOfWork(engine) as uow:
        cfg = uow.config.load(workspace_id)
        found = uow.calendars.find(workspace_id)
    admin = roles.is_admin(cfg.workspace, actor)
    mine = managed_pages(cfg, actor)
    own = tuple(
        p
        for p in cfg.pages.values()
        if p.kind is PageKind.MEMBER and p.slack_user == actor.slack_user
    )
    return CalendarHome(
        admin=admin,
        own_pages=own,
        pages=tuple(cfg.pages.values()) if admin else own,
        connections=tuple(c for c in found if admin or set(c.pages) & mine),
    )


def managed_pages(cfg: WorkspaceConfig, actor: Actor) -> set[str]:
    """Return the pages whose calendars the actor manages: all for an admin, else their own."""
    return {
        page.id for page in cfg.pages.values() if roles.may_keep_page(cfg.workspace, page, actor)
    }


def require_calendar_manager(cfg: WorkspaceConfig, pages: Iterable[Page], actor: Actor) -> None:
    """Refuse anyone but an admin or the member whose page each of ``pages`` is.

    Raises:
        Forbidden: one of the pages is not the actor's own and the actor is no admin.
    """
    mine = managed_pages(cfg, actor)
    others = [page.id for page in pages if page.id not in mine]
    if others:
        raise Forbidden(
            f"only an admin or the page's own member may manage the calendars of "
            f"{', '.join(others)}"
        )


def _pages(cfg: WorkspaceConfig, keys: Iterable[str]) -> list[Page]:
    wanted = list(dict.fromkeys(keys))
    missing = [key for key in wanted if key not in cfg.pages]
    if missing:
        raise NotFound(f"unknown booking page: {', '.join(missing)}", field="page")
    return [cfg.pages[key] for key in wanted]


def _source(kind: str, url: str, username: str | None, password: str | None, write: bool) -> Source:
    if kind not in KINDS:
        raise BadInput(f"'{kind}' is not a calendar kind ({', '.join(KINDS)})", field="kind")
    url = check_url(url)
    if kind == ICS:
        if write:
            raise BadInput(
                "an ICS feed is read only; only CalDAV calendars are written", field="write"
            )
        if username or password:
            raise BadInput("an ICS feed takes no username or password", field="username")
        return Source(kind, url)
    if not username or not username.strip():
        raise BadInput("a CalDAV calendar needs a username", field="username")
    if not password:
        raise BadInput("a CalDAV calendar needs a password", field="password")
    return Source(kind, url, username.strip(), password)
