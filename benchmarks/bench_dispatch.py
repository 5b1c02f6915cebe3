"""Benchmark notification delivery against the fake Slack Web API on 127.0.0.1.

Run ``python benchmarks/bench_dispatch.py``. Prints a table:

* throughput: 500 due reminders drained by one process (SQLite and PostgreSQL) and by two
  processes on one PostgreSQL database (messages per second, duplicates seen by the fake);
* delay: reminders falling due over 20 s, delivered by ``start_dispatcher`` on a real
  ``BackgroundScheduler`` at the default polling interval; the time from due to post.

Target: 500 due reminders delivered within 60 s by one process, with no duplicates.
PostgreSQL comes from env ``ROUNDTABLE_TEST_PG`` (default 127.0.0.1:5432 db ``test``); the
PostgreSQL rows are left out when it is not reachable.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.dispatch import DEFAULT_INTERVAL_SECONDS, senders_of, start_dispatcher
from engine.records import Booking, OutboxMessage, Participant, Role
from services.delivery import drain
from storage.db import database_url
from storage.uow import UnitOfWork
from tests.conftest import DEFAULT_TEST_PG, _postgres_engine, _sqlite_engine
from tests.notifications import workers
from tests.notifications.conftest import TEAM, client_factory, workspace_config
from tests.notifications.fake_history import HistoryFakeSlackApi

MESSAGES = 500
ROWS: list[tuple[str, str, str, str]] = []


def row(what: str, where: str, seconds: float, detail: str) -> None:
    ROWS.append((what, where, f"{seconds:8.2f}", detail))


def seed(engine, *, due: list[datetime], start: datetime) -> dict[str, datetime]:
    """Store one booking per two reminders (customer and Carol), each due at ``due[i]``."""
    with UnitOfWork(engine) as uow:
        uow.config.save(workspace_config(), now=datetime(2026, 12, 1, 9, tzinfo=UTC))
        uow.commit()
    ids: dict[str, datetime] = {}
    with UnitOfWork(engine) as uow:
        for i in range(0, len(due), 2):
            begin = start + timedelta(minutes=30 * i)
            booking = Booking(
                id=str(uuid.uuid4()),
                master_page="demo",
                event_type="quick",
                start=begin,
                end=begin + timedelta(minutes=15),
                participants=(Participant("carol", 0, Role.OWNER),),
                created_at=start - timedelta(days=2),
                customer_slack_user=f"U{i:05d}",
            )
            uow.bookings.add(TEAM, booking)
            messages = [
                OutboxMessage(
                    id=str(uuid.uuid4()),
                    kind="reminder",
                    recipient=user,
                    due_at=due[min(i + n, len(due) - 1)],
                    dedupe_key=f"reminder:{booking.id}:{user}:60",
                    payload={"part": "customer", "offset_minutes": 60},
                    booking_id=booking.id,
                )
                for n, user in enumerate((booking.customer_slack_user, "U0CAROL"))
            ]
            uow.outbox.add(TEAM, messages)
            ids |= {m.id: m.due_at for m in messages}
        uow.commit()
    return ids


def one_process(engine, where: str) -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with HistoryFakeSlackApi() as slack:
        ids = set(seed(engine, due=[now] * MESSAGES, start=now + timedelta(days=1)))
        began = time.perf_counter()
        result = drain(engine, senders_of(client_factory(slack)), clock=lambda: now)
        took = time.perf_counter() - began
        sent = slack.outbox_ids()
    duplicates = sum(count - 1 for count in sent.values())
    assert set(sent) == ids
    assert result.sent == MESSAGES
    row(
        "throughput, 1 process",
        where,
        took,
        f"{MESSAGES / took:6.0f} msg/s, {duplicates} duplicates",
    )


def two_processes(engine, where: str) -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    spawn = multiprocessing.get_context("spawn")
    with HistoryFakeSlackApi() as slack:
        ids = set(seed(engine, due=[now] * MESSAGES, start=now + timedelta(days=1)))
        url = engine.url.render_as_string(hide_password=False)
        barrier, results = spawn.Barrier(3), spawn.Queue()
        processes = [
            spawn.Process(
                target=workers.drain_together,
                args=(url, slack.base_url, now.isoformat(), 50, barrier, results),
            )
            for _ in range(2)
        ]
        for process in processes:
            process.start()
        barrier.wait(timeout=60)
        began = time.perf_counter()
        reports = [results.get(timeout=300) for _ in processes]
        took = time.perf_counter() - began
        for process in processes:
            process.join()
        sent = slack.outbox_ids()
    duplicates = sum(count - 1 for count in sent.values())
    assert set(sent) == ids
    split = "/".join(str(report[1]) for report in reports)
    row(
        "throughput, 2 processes",
        where,
        took,
        f"{MESSAGES / took:6.0f} msg/s, {duplicates} duplicates, split {split}",
    )


def delay(engine, where: str, count: int = 100, spread: float = 20.0) -> None:
    """Reminders due over ``spread`` seconds from now; measure due → post on a scheduler."""
    now = datetime.now(UTC)
    due = [now + timedelta(seconds=2 + spread * i / count) for i in range(count)]
    with HistoryFakeSlackApi() as slack:
        due_by_id = seed(engine, due=due, start=now + timedelta(days=1))
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.start()
        try:
            start_dispatcher(scheduler, engine, senders_of(client_factory(slack)))
            deadline = time.time() + spread + 4 * DEFAULT_INTERVAL_SECONDS + 10
            while len(slack.posted) < count and time.time() < deadline:
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
        posted = list(slack.posted)
    lags = sorted(
        post["received_at"] - due_by_id[post["metadata"]["event_payload"]["outbox_id"]].timestamp()
        for post in posted
    )
    row(
        f"due → posted, every {DEFAULT_INTERVAL_SECONDS:g}s",
        where,
        max(lags),
        f"{len(lags)}/{count} sent; median {statistics.median(lags):.2f}s, max {max(lags):.2f}s",
    )


def main() -> None:
    with ExitStack() as stack:
        for case in (one_process, delay):
            engine = stack.enter_context(_sqlite_engine(Path(tempfile.mkdtemp())))
            case(engine, "SQLite")
        admin = create_engine(
            database_url(DEFAULT_TEST_PG), poolclass=NullPool, connect_args={"connect_timeout": 3}
        )
        try:
            with admin.connect():
                pass
        except OperationalError:
            print("PostgreSQL not reachable: its rows are left out", file=sys.stderr)
        else:
            for case in (one_process, two_processes, delay):
                with _postgres_engine(admin) as engine:
                    case(engine, "PostgreSQL")
        finally:
            admin.dispose()
    width = max(len(r[0]) for r in ROWS)
    print(f"{'case':<{width}}  {'database':<10}  {'seconds':>8}  result")
    for what, where, seconds, detail in ROWS:
        print(f"{what:<{width}}  {where:<10}  {seconds}  {detail}")
    print(f"target: {MESSAGES} due reminders within 60 s by one process, no duplicates")


if __name__ == "__main__":
    main()
