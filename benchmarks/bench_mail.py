"""Benchmark guests' email: confirmations delivered to a real SMTP server on 127.0.0.1.

Run ``python benchmarks/bench_mail.py [--messages N]``. Prints a table:

* throughput: N guest bookings (500 by default) queued with their confirmation emails, then
  drained by one process to a local aiosmtpd server (each email rendered from its booking,
  with its ``.ics`` invitation, recorded before the hand-over, sent over its own SMTP
  connection); emails per second and duplicates (Message-IDs the server saw twice);
* wake-up: bookings committed one at a time while ``start_dispatcher`` runs on a real
  ``BackgroundScheduler`` polling every 5 s; the time from the booking's commit to the
  server's receipt of its confirmation.

Target: 500 confirmation emails within 60 s by one process, no duplicates. PostgreSQL comes
from env ``ROUNDTABLE_TEST_PG`` (default 127.0.0.1:5432 db ``test``); its rows are left out
when it is not reachable.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.dispatch import start_dispatcher, stop_dispatcher
from bot.mail import mail_senders
from services.delivery import drain
from services.notifications import queue_booked
from storage.db import database_url
from storage.uow import UnitOfWork
from tests.conftest import DEFAULT_TEST_PG, _postgres_engine, _sqlite_engine
from tests.notifications.conftest import TEAM, a_booking, workspace_config
from tests.notifications.smtp_server import SmtpServer

ROWS: list[tuple[str, str, str, str]] = []
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def row(what: str, where: str, seconds: float, detail: str) -> None:
    ROWS.append((what, where, f"{seconds:8.2f}", detail))


def environ(server: SmtpServer) -> None:
    os.environ.update(
        SMTP_URL=server.url, MAIL_FROM="Acme <bookings@acme.test>", ROUNDTABLE_SECRET="bench"
    )


def guest(i: int, start: datetime):  # type: ignore[no-untyped-def]
    booking = a_booking(start, customer=None, room=False, owner="carol", owner_pool=None)
    return replace(
        booking,
        customer_name=f"Guest {i}",
        customer_email=f"guest{i}@example.com",
        location="https://meet.acme.test/carol",
    )


def throughput(engine, where: str, messages: int) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        uow.config.save(workspace_config(), now=NOW)
        uow.commit()
    with SmtpServer() as server:
        environ(server)
        with UnitOfWork(engine) as uow:
            for i in range(messages):
                booking = guest(i, NOW + timedelta(days=3, minutes=30 * i))
                uow.bookings.add(TEAM, booking)
                queue_booked(uow, TEAM, booking, NOW)
            uow.commit()
        senders = mail_senders(engine, os.environ, public_url="https://book.acme.test")
        began = time.perf_counter()
        result = drain(engine, senders, clock=lambda: NOW)
        took = time.perf_counter() - began
        received = server.received
    ids = Counter(r.message["Message-ID"] for r in received)
    duplicates = sum(count - 1 for count in ids.values())
    invitations = sum(
        any(p.get_content_type() == "text/calendar" for p in r.message.iter_attachments())
        for r in received
    )
    assert result.sent == messages, result
    assert len(ids) == messages
    row(
        f"{messages} confirmations, 1 process",
        where,
        took,
        f"{messages / took:6.0f} emails/s, {duplicates} duplicates, {invitations} with .ics",
    )


def wake_up(engine, where: str, count: int = 20) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        uow.config.save(workspace_config(), now=NOW)
        uow.commit()
    with SmtpServer() as server:
        environ(server)
        senders = mail_senders(engine, os.environ, public_url="https://book.acme.test")
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.start()
        start_dispatcher(scheduler, engine, senders)
        time.sleep(1)  # past the start-up round
        lags: list[float] = []
        try:
            for i in range(count):
                now = datetime.now(UTC)
                booking = guest(i, now + timedelta(days=3, minutes=30 * i))
                with UnitOfWork(engine) as uow:
                    uow.begin_write()  # as booking does (it locks its pages)
                    uow.bookings.add(TEAM, booking)
                    queue_booked(uow, TEAM, booking, now)
                    began = time.perf_counter()
                    uow.commit()
                while len(server.received) <= i and time.perf_counter() - began < 15:
                    time.sleep(0.005)
                lags.append(time.perf_counter() - began)
        finally:
            stop_dispatcher(scheduler)
            scheduler.shutdown(wait=True)
        ids = Counter(r.message["Message-ID"] for r in server.received)
    assert len(ids) == count
    assert set(ids.values()) == {1}
    row(
        "commit → received, polling every 5s",
        where,
        max(lags),
        f"{count} bookings; median {statistics.median(lags):.3f}s, max {max(lags):.3f}s",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    cases = (lambda e, w: throughput(e, w, args.messages), wake_up)
    with ExitStack() as stack:
        for case in cases:
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
            for case in cases:
                with _postgres_engine(admin) as engine:
                    case(engine, "PostgreSQL")
        finally:
            admin.dispose()
    width = max(len(r[0]) for r in ROWS)
    print(f"{'case':<{width}}  {'database':<10}  {'seconds':>8}  result")
    for what, where, seconds, detail in ROWS:
        print(f"{what:<{width}}  {where:<10}  {seconds}  {detail}")
    print(f"target: {args.messages} confirmation emails within 60 s by one process, no duplicates")


if __name__ == "__main__":
    main()
