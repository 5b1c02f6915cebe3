"""The booking modal's use case: from where the customer is, which screen comes next.

The modal walks one flow: master page → event type → page (picked before the time) → day →
time → (a page free at that time, picked after it) → form → booked. ``next_screen`` takes
the customer's ``BookingState`` and answers with the screen to show, in at most two
transactions: one reads the catalogue (with the link, when there is one), the other the
times or the free pages (``services.slots``), or the booking being moved
(``services.booking_changes``). Every choice with one option is made for the customer (``settle``);
whether a master page lets them pick a page, before or after the time, is
``MasterPage.pick_step``.

Rescheduling walks the same modal with ``moving`` set: the booking's master page, event type
and page are fixed, the day's times are those it may move to, and the form is a
confirmation of the new time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from engine.errors import RoundtableError, SlotUnavailable
from engine.model import FormField, MasterMode, PickStep
from engine.search import Slot
from services.booking_changes import reschedule_slots, rescheduling
from services.context import Actor
from services.errors import LinkRefused
from services.links import usable_link
from services.slots import (
    BookableEventType,
    BookableMasterPage,
    Choice,
    catalogue,
    free_pages,
    named_by,
    offered_slots,
)
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class BookingState:
    """Where the customer is in the modal; what the modal carries between steps."""

    day: date
    tz: str
    master_page: str | None = None
    event_type: str | None = None
    pick: str | None = None
    start: datetime | None = None
    member: str | None = None
    offset: int = 0
    link: str | None = None
    attendees: int = 1
    moving: str | None = None  # the id of a booking being rescheduled

    @property
    def chosen_page(self) -> str | None:
        """The page picked before the time (selection modes) or after it (by time)."""
        return self.pick or self.member

    def to_metadata(self) -> str:
        """The state as compact JSON (``from_metadata`` reads it back)."""
        raw = {key: value for key, value in asdict(self).items() if value not in (None, 0)}
        raw["day"] = self.day.isoformat()
        if self.start is not None:
            raw["start"] = self.start.isoformat()
        return json.dumps(raw, separators=(",", ":"))

    @classmethod
    def from_metadata(cls, metadata: str) -> BookingState:
        """Read a state written by ``to_metadata``."""
        raw: dict[str, Any] = json.loads(metadata)
        return cls(
            day=date.fromisoformat(raw["day"]),
            tz=raw["tz"],
            master_page=raw.get("master_page"),
            event_type=raw.get("event_type"),
            pick=raw.get("pick"),
            start=datetime.fromisoformat(raw["start"]) if raw.get("start") else None,
            member=raw.get("member"),
            offset=int(raw.get("offset", 0)),
            link=raw.get("link"),
            attendees=int(raw.get("attendees", 1)),
            moving=raw.get("moving"),
        )


@dataclass(frozen=True, slots=True)
class Summary:
    """What is being booked, in words: the head of the member, form and move screens."""

    master_page: str
    event_type: str
    start: datetime
    end: datetime
    with_whom: str | None = None


@dataclass(frozen=True, slots=True)
class SlotsScreen:
    """The choices before the time and, once they are made, the day's free times.

    ``catalogue`` is what the customer may book (only the booking's master page when
    moving); ``slots`` is empty until every choice before the time is made.
    """

    state: BookingState
    catalogue: tuple[BookableMasterPage, ...]
    slots: tuple[Slot, ...] = ()
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class MemberScreen:
    """Picked after the time: the pages free at the chosen start (none: nobody is free)."""

    state: BookingState
    summary: Summary
    free: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class FormScreen:
    """The booking form: the fields still to answer (a link's answers are not asked again).

    ``prefill`` tells whether to fill fields from the customer's own profile (not for a
    link, which books for its guest).
    """

    state: BookingState
    summary: Summary
    form: tuple[FormField, ...]
    prefill: bool


@dataclass(frozen=True, slots=True)
class MoveScreen:
    """Rescheduling: confirm the booking's new time."""

    state: BookingState
    summary: Summary


@dataclass(frozen=True, slots=True)
class RefusedScreen:
    """Nothing to show but why: a link that cannot be used, a booking that cannot move."""

    message: str


Screen = SlotsScreen | MemberScreen | FormScreen | MoveScreen | RefusedScreen


def next_screen(
    engine: Engine,
    workspace_id: str,
    state: BookingState,
    *,
    actor: Actor,
    now: datetime,
    notice: str | None = None,
    named: str | None = None,
) -> Screen:
    """Return the screen that comes after ``state``, with every one-option choice made.

    ``named`` is a master page the customer typed (its id or name, any case), chosen when it
    is one they may book. ``notice`` shows above the times.

    Raises:
        NotFound: no such workspace.
        BadInput: as for ``services.slots.offered_slots``.
        Forbidden: the master page needs a link.
    """
    if state.moving is not None:
        return _moving_screen(engine, workspace_id, state, actor=actor, now=now, notice=notice)
    try:
        with UnitOfWork(engine) as uow:
            link = None if state.link is None else usable_link(uow, workspace_id, state.link, now)
            found = tuple(catalogue(uow.config.load(workspace_id), link))
    except LinkRefused as refused:
        return RefusedScreen(refused.message)
    if named is not None:
        state = replace(state, master_page=find_master_page(found, named))
    state = settle(state, found)
    master = _master(found, state.master_page)
    if master is not None and state.event_type is not None and state.start is not None:
        kind = _kind(master, state.event_type)
        if state.member is None and master.pick_step is PickStep.AFTER_TIME:
            free = _free_at_start(engine, workspace_id, master, kind, state, actor, now)
            if len(free) != 1:
                return MemberScreen(state, _summary(master, kind, state), free)
            state = replace(state, member=free[0].id)
        form = kind.form
        if link is not None:
            form = tuple(item for item in form if item.id not in (link.form_answers or {}))
        return FormScreen(state, _summary(master, kind, state), form, prefill=link is None)
    slots: tuple[Slot, ...] = ()
    if master is not None and state.event_type is not None and ready_for_times(state, master):
        slots = tuple(
            offered_slots(
                engine,
                workspace_id,
                master.id,
                state.event_type,
                state.day,
                state.day,
                tz=state.tz,
                now=now,
                pick=state.pick,
                link_token=state.link,
                attendees=state.attendees,
                actor=actor,
            )
        )
    return SlotsScreen(state, found, slots, notice)


def _moving_screen(
    engine: Engine,
    workspace_id: str,
    state: BookingState,
    *,
    actor: Actor,
    now: datetime,
    notice: str | None,
) -> Screen:
    """Rescheduling: the times the booking may move to, or the confirmation of one."""
    assert state.moving is not None
    try:
        move = rescheduling(engine, workspace_id, state.moving, actor=actor, now=now)
        if state.start is not None:
            master = move.master_page
            kind = _kind(master, move.booking.event_type)
            return MoveScreen(state, _summary(master, kind, state))
        slots = reschedule_slots(
            engine,
            workspace_id,
            state.moving,
            state.day,
            state.day,
            tz=state.tz,
            actor=actor,
            now=now,
        )
    except RoundtableError as refused:
        return RefusedScreen(refused.message)
    return SlotsScreen(state, (move.master_page,), tuple(slots), notice)


def _free_at_start(
    engine: Engine,
    workspace_id: str,
    master: BookableMasterPage,
    kind: BookableEventType,
    state: BookingState,
    actor: Actor,
    now: datetime,
) -> tuple[Choice, ...]:
    """The event type's pages free at the chosen start, in the order listed."""
    assert state.start is not None
    try:
        free = free_pages(
            engine,
            workspace_id,
            master.id,
            kind.id,
            state.start,
            tz=state.tz,
            now=now,
            link_token=state.link,
            attendees=state.attendees,
            actor=actor,
        )
    except SlotUnavailable:
        return ()  # taken since the times were shown: nobody is free
    return tuple(page for page in kind.pages if page.id in free)


def find_master_page(found: Sequence[BookableMasterPage], text: str) -> str | None:
    """Return the id of the master page named by ``text`` (its id or name, any case)."""
    master = named_by(found, text)
    return None if master is None else master.id


def settle(state: BookingState, found: Sequence[BookableMasterPage]) -> BookingState:
    """Fill in every choice that has only one option, and drop choices no longer offered."""
    masters = {master.id: master for master in found}
    if state.master_page not in masters:
        only = next(iter(masters)) if len(masters) == 1 else None
        state = replace(state, master_page=only, event_type=None, pick=None, start=None)
    if state.master_page is None:
        return state
    master = masters[state.master_page]
    kinds = event_types_for(master, state.pick)
    if state.event_type not in {kind.id for kind in kinds}:
        only = kinds[0].id if len(kinds) == 1 else None
        state = replace(state, event_type=only, start=None)
    pages = pages_for(master, state.event_type)
    if state.pick is not None and state.pick not in {page.id for page in pages}:
        state = replace(state, pick=None, start=None)
    if state.pick is None and len(pages) == 1:
        state = replace(state, pick=pages[0].id)
    return state


def event_types_for(master: BookableMasterPage, pick: str | None) -> list[BookableEventType]:
    """Return the event types offered; in ``pages_first``, those listing the picked page."""
    if master.mode is MasterMode.PAGES_FIRST and pick is not None:
        return [kind for kind in master.event_types if pick in {p.id for p in kind.pages}]
    return list(master.event_types)


def pages_for(master: BookableMasterPage, event_type: str | None) -> list[Choice]:
    """Return the pages the customer may pick before the time, in the order listed."""
    if master.pick_step is not PickStep.BEFORE_TIME:
        return []
    if master.mode is MasterMode.PAGES_FIRST:
        kinds = master.event_types
    else:
        kinds = tuple(kind for kind in master.event_types if kind.id == event_type)
    seen: dict[str, Choice] = {}
    for kind in kinds:
        for page in kind.pages:
            seen.setdefault(page.id, page)
    return list(seen.values())


def ready_for_times(state: BookingState, master: BookableMasterPage | None) -> bool:
    """Tell whether every choice before the time is made."""
    if master is None or state.event_type is None:
        return False
    return state.pick is not None or master.pick_step is not PickStep.BEFORE_TIME


def _master(
    found: tuple[BookableMasterPage, ...], master_id: str | None
) -> BookableMasterPage | None:
    return next((m for m in found if m.id == master_id), None)


def _kind(master: BookableMasterPage, event_type: str) -> BookableEventType:
    return next(k for k in master.event_types if k.id == event_type)


def _summary(master: BookableMasterPage, kind: BookableEventType, state: BookingState) -> Summary:
    assert state.start is not None
    pages = {page.id: page.name for page in kind.pages}
    return Summary(
        master.name,
        kind.name,
        state.start,
        state.start + kind.duration,
        pages.get(state.chosen_page or ""),
    )
