"""Time off: whole local dates on which a page takes no bookings.

A stretch of time off blocks its dates from the page's local midnight before the first to
the one after the last, like an all-day event in a calendar: busy, so the buffers of the
asked event type reach around it as around any busy block.

Who: a member adds, lists and removes the time off of their own page; admins of any page,
rooms included (``roles.require_page_keeper``). Choices made here:

* ``first_day`` ≤ ``last_day``, at most ``MAX_DAYS`` days long, not ending before today in
  the page's zone (past time off changes nothing) and starting at most ``MAX_AHEAD`` ahead.
* Stretches may overlap (a holiday inside a longer leave): each is removed on its own.
* A reason is optional, at most ``MAX_REASON`` characters, shown only to whoever may manage
  the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from engine.errors import BadInput, NotFound
from engine.model import Page, Workspace
from engine.records import TimeOff
from engine.zones import zone
from services import roles
from services.context import Actor
from storage.uow import UnitOfWork

MAX_DAYS = 366
MAX_AHEAD = timedelta(days=2 * 366)
MAX_REASON = 200


def add_time_off(
    engine: Engine,
    workspace_id: str,
    page: str,
    first_day: date,
    last_day: date,
    *,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> TimeOff:
    """Give ``page`` time off from ``first_day`` to ``last_day`` (local dates, both included).

    Raises:
        NotFound: no such workspace or page.
        BadInput: the dates or the reason are not acceptable (the field says which).
        Forbidden: the actor is neither an admin nor the page's member.
    """
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        workspace, found = _page(uow, workspace_id, page)
        roles.require_page_keeper(workspace, found, actor, "add time off to this page")
        check_time_off(found, first_day, last_day, reason, now)
        time_off = TimeOff(
            id=str(uuid.uuid4()),
            page=found.id,
            first_day=first_day,
            last_day=last_day,
            created_at=now,
            reason=(reason or "").strip() or None,
            created_by=actor.slack_user,
        )
        uow.time_off.add(workspace_id, time_off)
        uow.commit()
    return time_off


def check_time_off(
    page: Page, first_day: date, last_day: date, reason: str | None, now: datetime
) -> None:
    """Refuse time off that Roundtable does not take (see the module's choices).

    Raises:
        BadInput: naming ``from``, ``to`` or ``reason``.
    """
    today = now.astimezone(zone(page.timezone)).date()
    if last_day < first_day:
        raise BadInput(f"{last_day} is before the first day, {first_day}", field="to")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise BadInput(f"time off may last at most {MAX_DAYS} days", field="to")
    if last_day < today:
        raise BadInput(f"{last_day} is already past (today is {today})", field="to")
    if first_day > today + MAX_AHEAD:
        raise BadInput(
            f"{first_day} is too far ahead (at most {MAX_AHEAD.days} days)", field="from"
        )
    if reason is not None and len(reason.strip()) > MAX_REASON:
        raise BadInput(f"a reason may have at most {MAX_REASON} characters", field="reason")


def list_time_off(
    engine: Engine, workspace_id: str, *, page: str | None = None, actor: Actor
) -> list[TimeOff]:
    """Return the time off the actor may see: of ``page``, else of every page they keep.

    Raises:
        NotFound: no such workspace or page.
        Forbidden: ``page`` is one the actor may not manage.
    """
    with UnitOfWork(engine) as uow:
        config = uow.config.load(workspace_id)
        if page is not None:
            found = config.page(page)
            roles.require_page_keeper(config.workspace, found, actor, "see its time off")
            pages = [found.id]
        else:
            pages = kept_pages(config.workspace, config.pages.values(), actor)
        return uow.time_off.list(workspace_id, pages)


def kept_pages(workspace: Workspace, pages: Iterable[Page], actor: Actor) -> list[str]:
    """Return the ids of the pages ``actor`` may manage, in the configuration's order."""
    return [page.id for page in pages if roles.may_keep_page(workspace, page, actor)]


def pages_kept_by(engine: Engine, workspace_id: str, actor: Actor) -> list[Page]:
    """Return the pages whose time off ``actor`` may manage (the time off modal's choices).

    Raises:
        NotFound: the workspace is not configured.
    """
    with UnitOfWork(engine) as uow:
        config = uow.config.load(workspace_id)
    kept = [
        config.pages[page] for page in kept_pages(config.workspace, config.pages.values(), actor)
    ]
    # Their own page first: the modal starts with it.
    return sorted(kept, key=lambda page: page.slack_user != actor.slack_user)


def remove_time_off(
    engine: Engine, workspace_id: str, time_off_id: str, *, actor: Actor
) -> TimeOff:
    """Remove one stretch of time off; return it.

    Raises:
        NotFound: no such workspace or time off (of a page the workspace still has).
        Forbidden: the actor is neither an admin nor the page's member.
    """
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        time_off = uow.time_off.get(workspace_id, time_off_id)
        if time_off is None:
            raise NotFound(f"unknown time off '{time_off_id}'", field="id")
        workspace, found = _page(uow, workspace_id, time_off.page)
        roles.require_page_keeper(workspace, found, actor, "remove its time off")
        uow.time_off.remove(workspace_id, time_off.id)
        uow.commit()
    return time_off


def _page(uow: UnitOfWork, workspace_id: str, page: str) -> tuple[Workspace, Page]:
    config = uow.config.load(workspace_id)
    return config.workspace, config.page(page)
