"""Benchmark calendar sync: 200 pages, each with an ICS feed of 2,000 events, served locally.

Run ``python benchmarks/bench_calendar.py [--pages N] [--events N]``. Builds a SQLite file in a
temporary directory holding ``datasets.big_pool`` (200 members in 5 zones, 40,000 bookings
over 30 days), serves one generated feed per member from an http.server on 127.0.0.1 (a
quarter of the events recurring: weekly, monthly or daily series, some ended; the rest
single events over the past year and the coming months, in the member's zone), connects
each feed to its member, then measures:

* a full sync of every connection (``services.calendar_sync.sync_due``) by one process,
  then again (the sources' validators dropped) by ``--processes`` job processes sharing
  the work through the connections' leases, as several workers would: target < 30 s;
* an unchanged re-sync (every feed answers 304): target < 3 s;
* the engine's 30-day pooled slots question with those busy blocks (the schedule loaded
  once, the engine timed alone, best of 5): target < 250 ms, beside the same question
  without the calendars;
* the real ``roundtable slots`` command on the same database: target < 1 s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.datasets import NOW, big_pool, install, seed_bookings  # noqa: E402
from engine.rules import offered_slots  # noqa: E402
from services.calendar_sync import sync_due  # noqa: E402
from services.calendars import ICS, connect  # noqa: E402
from services.context import CommandLine  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.tables import CalendarConnectionRow  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402
from tests.calendars.servers import feed_server  # noqa: E402

ROUNDTABLE = str(Path(sys.executable).parent / "roundtable")
DAYS = 30
INTERVAL = timedelta(minutes=5)
TARGETS = {"full": 30.0, "unchanged": 3.0, "engine": 0.250, "command": 1.0}


def feed(rng: random.Random, zone: str, events: int) -> bytes:
    """An iCalendar feed of ``events`` events in ``zone``, a quarter of them recurring."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Roundtable bench//EN"]
    recurring = events // 4
    for index in range(events):
        day = NOW.date() + timedelta(days=rng.randint(-330, 60))
        start = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.choice((0, 30)))
        minutes = rng.choice((30, 45, 60, 90))
        end = start + timedelta(minutes=minutes)
        lines += [
            "BEGIN:VEVENT",
            f"UID:bench-{index}@example.com",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID={zone}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={zone}:{end:%Y%m%dT%H%M%S}",
            f"SUMMARY:Event {index}",
        ]
        if index < recurring:
            rule = rng.choice(
                ("FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY", "FREQ=DAILY;COUNT=10")
            )
            if rng.random() < 0.5 and "COUNT" not in rule:
                until = start + timedelta(days=rng.randint(7, 200))
                rule += f";UNTIL={until.replace(tzinfo=UTC):%Y%m%dT%H%M%SZ}"
            lines.append(f"RRULE:{rule}")
        if rng.random() < 0.05:
            lines.append("TRANSP:TRANSPARENT")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _job_process(url: str, now: datetime) -> None:
    engine = make_engine(url)
    sync_due(engine, now=now, interval=INTERVAL)
    engine.dispose()


def forget_sources(engine) -> None:
    """Make every connection due and unread, so the next sync reads each in full."""
    with UnitOfWork(engine) as uow:
        uow.session.exec(
            update(CalendarConnectionRow).values(etag=None, last_modified=None, window_end=None)
        )
        uow.commit()


def slots_engine_seconds(engine, scenario) -> tuple[float, int, int]:
    """Best of 5 of the engine alone on the loaded schedule; also slots and busy blocks."""
    until = NOW + timedelta(days=DAYS)
    with UnitOfWork(engine) as uow:
        schedule = uow.schedules.load(scenario.workspace_id, NOW, until, now=NOW)
    best = float("inf")
    count = 0
    for _ in range(5):
        began = time.perf_counter()
        count = len(
            offered_slots(
                schedule,
                scenario.master_page,
                scenario.event_type,
                NOW,
                until,
                "Europe/London",
                NOW,
            )
        )
        best = min(best, time.perf_counter() - began)
    busy = sum(len(blocks) for blocks in schedule.busy.values())
    return best, count, busy


def command_seconds(url: str, scenario) -> float:
    end = (NOW + timedelta(days=DAYS - 1)).date().isoformat()
    command = [
        ROUNDTABLE, "--db", url, "--now", NOW.isoformat(), "--json", "slots",
        "--master-page", scenario.master_page, "--event-type", scenario.event_type,
        "--from", NOW.date().isoformat(), "--to", end,
    ]  # fmt: skip
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - began)
    return best


def row(name: str, seconds: float, target: float, extra: str = "") -> None:
    verdict = "ok" if seconds < target else "MISSED"
    print(
        f"{name:<44} {seconds * 1000:>9.0f} ms  (target < {target * 1000:.0f} ms) {verdict} {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("ROUNDTABLE_SECRET", "bench-secret")
    rng = random.Random(13)
    scenario = big_pool(args.pages, days=DAYS)
    with tempfile.TemporaryDirectory() as folder, feed_server() as feeds:
        url = f"sqlite:///{folder}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        install(engine, scenario)
        seed_bookings(engine, scenario, 40_000 * args.pages // 200)
        before = slots_engine_seconds(engine, scenario)
        size = 0
        for page in scenario.config.pages.values():
            body = feed(rng, page.timezone, args.events)
            size += len(body)
            address = feeds.serve(f"/{page.id}/private-{rng.getrandbits(64):x}/basic.ics", body)
            connect(
                engine,
                scenario.workspace_id,
                [page.id],
                kind=ICS,
                url=address,
                actor=CommandLine(),
                now=NOW,
            )
        print(
            f"{args.pages} feeds of {args.events} events ({size / 2**20:.1f} MB in all), "
            f"{os.cpu_count()} cores\n"
        )
        began = time.perf_counter()
        full = sync_due(engine, now=NOW, interval=INTERVAL)
        full_s = time.perf_counter() - began
        failed = [r.error for r in full if r.error]
        blocks = sum(r.busy for r in full)
        row(
            "full sync, 1 process",
            full_s,
            TARGETS["full"],
            f"{len(full)} feeds, {blocks} busy blocks",
        )
        if failed:
            print(f"  {len(failed)} failed, e.g. {failed[0]}")
        forget_sources(engine)
        later = NOW + INTERVAL
        context = multiprocessing.get_context("fork")
        workers = [
            context.Process(target=_job_process, args=(url, later)) for _ in range(args.processes)
        ]
        began = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        row(f"full sync, {args.processes} processes", time.perf_counter() - began, TARGETS["full"])
        began = time.perf_counter()
        again = sync_due(engine, now=later + INTERVAL, interval=INTERVAL)
        again_s = time.perf_counter() - began
        unchanged = sum(1 for r in again if not r.changed and r.error is None)
        statuses = [status for _, status in feeds.requests]
        row(
            "unchanged re-sync",
            again_s,
            TARGETS["unchanged"],
            f"{unchanged} unchanged, {statuses.count(304)} answered 304",
        )
        after = slots_engine_seconds(engine, scenario)
        row(
            "engine, pooled slots, without calendars",
            before[0],
            TARGETS["engine"],
            f"{before[1]} slots, {before[2]} busy blocks",
        )
        row(
            "engine, pooled slots, with calendars",
            after[0],
            TARGETS["engine"],
            f"{after[1]} slots, {after[2]} busy blocks",
        )
        row(
            "`roundtable slots`, with calendars", command_seconds(url, scenario), TARGETS["command"]
        )
        engine.dispose()


if __name__ == "__main__":
    main()
