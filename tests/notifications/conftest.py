"""A small workspace, bookings made straight through the repositories, and the fake Slack API.

Bookings are stored with ``BookingRepository.add`` and queued with the ``queue_*`` functions,
without the booking service, so these tests see the outbox and nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from engine.model import (
    DynamicRule,
    EventType,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Page,
    PageKind,
    Pool,
    PoolMember,
    SeatRef,
    Workspace,
    WorkspaceConfig,
    by_id,
)
from engine.records import Booking, Participant, Role
from services.notifications import queue_booked
from storage.uow import UnitOfWork
from tests.notifications.fake_history import HistoryFakeSlackApi

TEAM = "T0001"
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
START = NOW + timedelta(days=2)
ALL_DAY = ((LocalRange(0, 1440),),) * 7


def page(key: str, user: str | None, kind: PageKind = PageKind.MEMBER) -> Page:
    return Page(key, kind, key.title(), "Europe/London", hours=ALL_DAY, slack_user=user)


def workspace_config(*, sales_channel: str | None = None) -> WorkspaceConfig:
    """Alice, Bob and Carol (members), Room A (a resource); pools sales and rooms."""
    return WorkspaceConfig(
        workspace=Workspace(TEAM, "Europe/London", admins=("U0ADMIN",)),
        pages=by_id(
            (
                page("alice", "U0ALICE"),
                page("bob", "U0BOB"),
                page("carol", "U0CAROL"),
                page("room-a", None, PageKind.RESOURCE),
            )
        ),
        event_types=by_id(
            (
                EventType("intro", "Intro call", timedelta(minutes=30)),
                EventType(
                    "quick", "Quick chat", timedelta(minutes=15), reminders=(timedelta(hours=1),)
                ),
            )
        ),
        pools=by_id(
            (
                Pool(
                    "sales",
                    "Sales",
                    Method.ROUND_ROBIN,
                    members=(PoolMember("alice"), PoolMember("bob", joined=1)),
                    managers=("U0BOSS", "U0DEPUTY"),
                    channel=sales_channel,
                ),
                Pool(
                    "rooms",
                    "Rooms",
                    Method.POOLED,
                    members=(PoolMember("room-a"),),
                    managers=("U0FACILITIES",),
                    channel="C0ROOMS",
                ),
            )
        ),
        master_pages=by_id(
            (
                MasterPage(
                    "demo",
                    "Book a demo",
                    MasterMode.DYNAMIC,
                    rules=(
                        DynamicRule("intro", SeatRef(pool="sales"), (SeatRef(pool="rooms"),)),
                        DynamicRule("quick", SeatRef(page="carol")),
                    ),
                ),
            )
        ),
    )


def a_booking(
    start: datetime = START,
    *,
    owner: str = "alice",
    owner_pool: str | None = "sales",
    room: bool = True,
    others: tuple[str, ...] = (),
    event_type: str = "intro",
    customer: str | None = "U0CUSTOMER",
    **fields: Any,
) -> Booking:
    """Return a confirmed booking owned by ``owner``, with Room A and ``others`` as participants."""
    participants = [Participant(owner, 0, Role.OWNER, owner_pool)]
    if room:
        participants.append(Participant("room-a", 1, Role.PARTICIPANT, "rooms"))
    participants += [
        Participant(other, len(participants) + i, Role.PARTICIPANT)
        for i, other in enumerate(others)
    ]
    return Booking(
        id=str(uuid.uuid4()),
        master_page="demo",
        event_type=event_type,
        start=start,
        end=start + timedelta(minutes=30),
        participants=tuple(participants),
        created_at=NOW,
        customer_slack_user=customer,
        customer_name=None if customer else "Gina Guest",
        customer_email=None if customer else "gina@example.com",
        **fields,
    )


def book(engine: Engine, booking: Booking, now: datetime = NOW) -> Booking:
    """Store a booking and queue its notifications in one transaction, as the service will."""
    with UnitOfWork(engine) as uow:
        uow.begin_write()  # as the service does: a dispatcher may be claiming meanwhile
        uow.bookings.add(TEAM, booking)
        queue_booked(uow, TEAM, booking, now)
        uow.commit()
    return booking


@pytest.fixture
def workspace(db_engine: Engine) -> Engine:
    """Return ``db_engine`` holding ``workspace_config()``."""
    with UnitOfWork(db_engine) as uow:
        uow.config.save(workspace_config(), now=NOW)
        uow.commit()
    return db_engine


@pytest.fixture
def slack() -> Iterator[HistoryFakeSlackApi]:
    with HistoryFakeSlackApi() as api:
        yield api


def client_factory(api):
    """Return a ``client_for`` that talks to the fake, for every workspace."""

    def client_for(team_id: str) -> WebClient:
        return WebClient(token=f"xoxb-{team_id}", base_url=api.base_url)

    return client_for
