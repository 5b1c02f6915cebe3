"""Sample configurations and a SQL statement log for the storage tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from engine.model import (
    BusyBlock,
    Cycle,
    DynamicRule,
    EventType,
    FormField,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Page,
    PageKind,
    Pool,
    PoolMember,
    Priority,
    SeatRef,
    StaticMethod,
    Workspace,
    WorkspaceConfig,
    by_id,
)
from engine.records import Booking, Participant, Role
from storage.uow import UnitOfWork

WEEKDAYS_9_TO_5 = ((LocalRange(540, 720), LocalRange(780, 1020)),) * 5 + ((), ())


def sample_config(team: str = "T0001") -> WorkspaceConfig:
    """Return a configuration using every feature of the configuration file."""
    return WorkspaceConfig(
        workspace=Workspace(id=team, timezone="Europe/London", admins=("U0ADMIN",)),
        pages=by_id(
            (
                Page(
                    id="alice",
                    kind=PageKind.MEMBER,
                    name="Alice",
                    timezone="America/New_York",
                    hours=WEEKDAYS_9_TO_5,
                    overrides={date(2026, 12, 27): (LocalRange(600, 840),), date(2026, 12, 24): ()},
                    slack_user="U0ALICE",
                    max_per_day=6,
                    max_per_week=20,
                ),
                Page(id="bob", kind=PageKind.MEMBER, name="Bob", timezone="Europe/London"),
                Page(
                    id="room-a",
                    kind=PageKind.RESOURCE,
                    name="Room A",
                    timezone="Europe/London",
                    hours=((LocalRange(480, 1440),),) * 7,
                    capacity=8,
                ),
            )
        ),
        event_types=by_id(
            (
                EventType(
                    id="intro",
                    name="Intro call",
                    duration=timedelta(minutes=30),
                    step=timedelta(minutes=30),
                    buffer_after=timedelta(minutes=10),
                    min_notice=timedelta(hours=2),
                    max_days_ahead=30,
                    pages=("alice", "bob"),
                    form=(FormField("topic", "Topic", required=True),),
                ),
                EventType(id="demo", name="Demo", duration=timedelta(hours=1), reminders=()),
            )
        ),
        pools=by_id(
            (
                Pool(
                    id="sales",
                    name="Sales",
                    method=Method.ROUND_ROBIN,
                    managers=("U0BOSS",),
                    channel="C0SALES",
                    members=(
                        PoolMember("alice", Priority.HIGH, joined=0),
                        PoolMember("bob", joined=1),
                    ),
                ),
                Pool(
                    id="rooms",
                    name="Rooms",
                    method=Method.POOLED,
                    cycle=Cycle.CONTINUOUS,
                    automatic_correction=False,
                    members=(PoolMember("room-a"),),
                ),
            )
        ),
        master_pages=by_id(
            (
                MasterPage(
                    id="demo",
                    name="Book a demo",
                    mode=MasterMode.DYNAMIC,
                    rules=(
                        DynamicRule(
                            "intro", SeatRef(pool="sales"), (SeatRef(pool="rooms"), SeatRef("bob"))
                        ),
                        DynamicRule("demo", SeatRef(page="alice")),
                    ),
                    one_time_links_only=True,
                ),
                MasterPage(
                    id="support",
                    name="Support",
                    mode=MasterMode.STATIC,
                    method=StaticMethod.POOLED,
                    event_types=("intro",),
                ),
                MasterPage(
                    id="people",
                    name="Pick a person",
                    mode=MasterMode.PAGES_FIRST,
                    event_types=("demo", "intro"),
                ),
            )
        ),
        busy=(
            BusyBlock(
                "alice",
                datetime(2026, 12, 1, 14, tzinfo=UTC),
                datetime(2026, 12, 1, 15, tzinfo=UTC),
            ),
        ),
    )


class StatementLog:
    """The SQL statements an engine ran while the log was listening."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def count(self, verb: str) -> int:
        """Return how many statements start with ``verb`` (``SELECT``, ``UPDATE``, …)."""
        return sum(s.lstrip().upper().startswith(verb) for s in self.statements)

    def clear(self) -> None:
        """Forget the statements seen so far."""
        self.statements.clear()


@pytest.fixture
def sql_log(db_engine: Engine) -> Iterator[StatementLog]:
    """Record the statements ``db_engine`` runs during the test."""
    log = StatementLog()
    event.listen(db_engine, "before_cursor_execute", log)
    yield log
    event.remove(db_engine, "before_cursor_execute", log)


T0 = datetime(2026, 12, 1, 15, tzinfo=UTC)


def make_booking(
    start: datetime = T0,
    *,
    pages: tuple[str, ...] = ("alice", "room-a"),
    minutes: int = 30,
    **fields: Any,
) -> Booking:
    """Return a confirmed booking on master page ``demo`` of event type ``intro``."""
    return Booking(
        id=str(uuid.uuid4()),
        master_page="demo",
        event_type="intro",
        start=start,
        end=start + timedelta(minutes=minutes),
        participants=tuple(
            Participant(
                page,
                seat,
                Role.OWNER if seat == 0 else Role.PARTICIPANT,
                "rooms" if page == "room-a" else None,
            )
            for seat, page in enumerate(pages)
        ),
        created_at=start - timedelta(days=1),
        **fields,
    )


@pytest.fixture
def configured(db_engine: Engine) -> Engine:
    """Return ``db_engine`` holding ``sample_config()`` of workspace T0001."""
    with UnitOfWork(db_engine) as uow:
        uow.config.save(sample_config(), now=T0)
        uow.commit()
    return db_engine
