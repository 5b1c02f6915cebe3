"""Use cases behind the admin modals: read and save one configuration entity at a time.

The modals edit the same model as the configuration file, so a save goes the way of
``config apply``: load the workspace's ``WorkspaceConfig``, write it as the file's data, put the
submitted entity in place of the old one (or after the last of its section), validate the
whole of it with the file's own rules (``services.config_schema.validate_config``) and save it
through ``uow.config.save``, all in one transaction. Nothing is written unless the result is
valid and the actor is an admin; the role is checked inside that transaction.

The validator reports each problem at its location in the configuration's data.
``AdminInvalid`` holds them as ``FieldProblem`` values whose ``field`` is the path *inside*
the entity (``hours.mon[0]``, ``members[1].page``, ``rules[0].primary.pool``), which the modal
maps to its blocks. A problem the change causes in another entity (an event type that a
static master page needs to list pages) has an empty ``field`` and a message naming that
entity.

``home_overview`` gathers what the App Home shows a user: the distribution of the pools the
user manages (all for an admin), the user's upcoming bookings and, for admins, the
notifications that could not be delivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from engine.distribution import PoolReport
from engine.errors import BadInput, NotFound
from engine.model import EventType, MasterPage, Page, Pool, Workspace, WorkspaceConfig
from engine.records import Booking, TimeOff
from engine.zones import zone
from services import roles
from services.booking_reads import upcoming_bookings
from services.config_file import config_data
from services.config_problems import ConfigInvalid, Loc, Problem, path_text
from services.config_schema import validate_config
from services.context import Actor, system_clock
from services.notifications import FailedNotification, email_enabled, failed_notifications
from services.reporting import pool_reports
from services.sections import Section
from services.timeoff import kept_pages
from storage.uow import UnitOfWork

Entity = Page | EventType | Pool | MasterPage

_SOURCE = "slack"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem of a submitted entity; ``field`` is its path inside the entity, or ``""``."""

    field: str
    message: str


class AdminInvalid(BadInput):
    """A submitted entity the configuration rules refuse; nothing was written."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0].field if self.problems else None
        super().__init__(
            "\n".join(f"{p.field}: {p.message}" if p.field else p.message for p in self.problems),
            field=first,
        )


def check_admin(engine: Engine, workspace_id: str, *, actor: Actor) -> None:
    """Refuse anyone but an admin of the workspace.

    Raises:
        NotFound: the workspace is not configured.
        Forbidden: the actor is not an admin.
    """
    with UnitOfWork(engine) as uow:
        _require_admin(uow.config.load(workspace_id).workspace, actor)


def load_setup(engine: Engine, workspace_id: str, *, actor: Actor) -> WorkspaceConfig:
    """Return the workspace's configuration for an admin to browse.

    Raises:
        NotFound: the workspace is not configured.
        Forbidden: the actor is not an admin.
    """
    with UnitOfWork(engine) as uow:
        config = uow.config.load(workspace_id)
    _require_admin(config.workspace, actor)
    return config


def entities(config: WorkspaceConfig, section: Section) -> Mapping[str, Entity]:
    """Return the live entities of one section by id, in file order."""
    sections: dict[Section, Mapping[str, Entity]] = {
        Section.BOOKING_PAGES: config.pages,
        Section.EVENT_TYPES: config.event_types,
        Section.POOLS: config.pools,
        Section.MASTER_PAGES: config.master_pages,
    }
    return sections[section]


def save_entity(
    engine: Engine,
    workspace_id: str,
    section: Section,
    data: Mapping[str, Any],
    *,
    replaces: str | None,
    actor: Actor,
) -> Entity:
    """Create an entity (``replaces`` None) or replace one, and return it as saved.

    ``data`` is the entity as a configuration file writes it (``{"id": "alice", "hours": {"mon":
    ["09:00-12:00"]}, …}``); it goes through the file's validation with the rest of the
    workspace's configuration.

    Raises:
        NotFound: the workspace, or the entity to replace, does not exist.
        Forbidden: the actor is not an admin; nothing was written.
        AdminInvalid: the entity breaks a rule; nothing was written.
    """
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        config = uow.config.load(workspace_id)
        _require_admin(config.workspace, actor)
        raw = config_data(config)
        items: list[dict[str, Any]] = raw.setdefault(section.value, [])
        index = _position(items, section, replaces)
        if index == len(items):
            items.append(dict(data))
        else:
            items[index] = dict(data)
        try:
            changed = validate_config(raw, _SOURCE)
        except ConfigInvalid as invalid:
            raise AdminInvalid(_problems(invalid.problems, raw, section, index)) from invalid
        uow.config.save(changed, now=system_clock())
        uow.commit()
    return list(entities(changed, section).values())[index]


@dataclass(frozen=True, slots=True)
class HomeOverview:
    """What the App Home shows one user.

    ``reports`` holds the current cycle of each pool the user manages (every pool for an
    admin); ``bookings`` the user's upcoming bookings; ``failed`` the notifications given up
    on, for admins only. ``pages`` and ``event_types`` name what those refer to.
    ``guest_email``: guests get email (``SMTP_URL`` and ``MAIL_FROM`` are set).
    """

    workspace: Workspace
    admin: bool
    reports: tuple[tuple[Pool, PoolReport], ...]
    bookings: tuple[Booking, ...]
    failed: tuple[FailedNotification, ...]
    pages: Mapping[str, Page]
    event_types: Mapping[str, EventType]
    kept_pages: tuple[str, ...] = ()
    time_off: tuple[TimeOff, ...] = ()
    guest_email: bool = True


def home_overview(
    engine: Engine, workspace_id: str, *, actor: Actor, now: datetime
) -> HomeOverview:
    """Gather the App Home of one user: distribution, bookings, time off, failed notices.

    ``kept_pages`` are the pages whose time off the user manages (their own; every page for
    an admin), and ``time_off`` theirs that has not ended by ``now``.

    Raises:
        NotFound: the workspace is not configured.
    """
    with UnitOfWork(engine) as uow:
        config = uow.config.load(workspace_id)
        kept = kept_pages(config.workspace, config.pages.values(), actor)
        zones = {page.id: zone(page.timezone) for page in config.pages.values()}
        time_off = [
            item
            for item in (uow.time_off.list(workspace_id, kept) if kept else [])
            if item.last_day >= now.astimezone(zones[item.page]).date()
        ]
    workspace = config.workspace
    managed = roles.managed_pools(workspace, config.pools.values(), actor)
    admin = roles.is_admin(workspace, actor)
    shown = [pool for pool in config.pools.values() if pool.id in managed]
    reports = pool_reports(engine, workspace_id, [pool.id for pool in shown], actor=actor, now=now)
    return HomeOverview(
        workspace=workspace,
        admin=admin,
        reports=tuple(zip(shown, reports, strict=True)),
        bookings=tuple(
            upcoming_bookings(engine, workspace_id, actor.slack_user, now=now)
            if actor.slack_user
            else ()
        ),
        failed=tuple(failed_notifications(engine, workspace_id)) if admin else (),
        pages=config.pages,
        event_types=config.event_types,
        kept_pages=tuple(kept),
        time_off=tuple(time_off),
        guest_email=email_enabled(),
    )


def _require_admin(workspace: Workspace, actor: Actor) -> None:
    roles.require_admin(workspace, actor, "change the setup")


def _position(items: list[dict[str, Any]], section: Section, replaces: str | None) -> int:
    if replaces is None:
        return len(items)
    for index, item in enumerate(items):
        if item.get("id") == replaces:
            return index
    raise NotFound(f"unknown {section.noun} '{replaces}'", field="id")


def _problems(
    problems: Iterable[Problem], raw: Mapping[str, Any], section: Section, index: int
) -> list[FieldProblem]:
    """Turn the validator's problems into problems of the entity at ``section[index]``."""
    own = (section.value, index)
    return [
        FieldProblem(path_text(problem.location[2:]), problem.message)
        if problem.location[:2] == own
        else FieldProblem("", f"{_elsewhere(problem.location, raw)}{problem.message}")
        for problem in problems
    ]


def _elsewhere(location: Loc, raw: Mapping[str, Any]) -> str:
    """Name the entity a location points into, like ``master page 'support': event_types[0]: ``."""
    match location:
        case (str() as name, int() as index, *rest) if name in {s.value for s in Section}:
            item = raw[name][index]
            below = f" {path_text(tuple(rest))}" if rest else ""
            return f"{Section(name).noun} '{item.get('id')}'{below}: "
    path = path_text(location)
    return f"{path}: " if path else ""
