"""Several processes run the sync job: each connection is read by one at a time (real threads)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from services.calendar_sync import sync_due
from services.calendars import ICS, connect
from services.context import CommandLine
from storage.uow import UnitOfWork
from tests.calendars.conftest import ICS as FIXTURES
from tests.calendars.conftest import NOW, TEAM

EVERY = timedelta(minutes=5)
THREADS = 4
FEEDS = 12


def test_racing_job_rounds_read_each_connection_once(world, feeds) -> None:
    body = (FIXTURES / "google.ics").read_bytes()
    for index in range(FEEDS):
        url = feeds.serve(f"/f{index}.ics", body, delay=0.05)
        connect(world, TEAM, ["alice"], kind=ICS, url=url, actor=CommandLine(), now=NOW)
    barrier = threading.Barrier(THREADS)
    results: list[list[str]] = [[] for _ in range(THREADS)]

    def job(slot: int) -> None:
        barrier.wait()
        results[slot] = [r.id for r in sync_due(world, now=NOW, interval=EVERY)]

    threads = [threading.Thread(target=job, args=(slot,)) for slot in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    synced = Counter(id_ for ids in results for id_ in ids)
    assert len(synced) == FEEDS
    assert set(synced.values()) == {1}
    assert Counter(path for path, _ in feeds.requests) == {f"/f{i}.ics": 1 for i in range(FEEDS)}


def test_a_held_lease_keeps_others_off_until_it_runs_out(world, feeds) -> None:
    url = feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes())
    connect(world, TEAM, ["alice"], kind=ICS, url=url, actor=CommandLine(), now=NOW)
    with UnitOfWork(world) as uow:
        uow.begin_write()
        [(team, held)] = uow.calendars.claim(now=NOW, lease=timedelta(minutes=10))
        uow.commit()

    assert sync_due(world, now=NOW + timedelta(minutes=9), interval=EVERY) == []
    [late] = sync_due(world, now=NOW + timedelta(minutes=10), interval=EVERY)

    assert (team, late.id, late.error) == (TEAM, held.id, None)
    assert feeds.statuses("/f.ics") == [200]
