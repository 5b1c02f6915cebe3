from __future__ import annotations

import threading
import time

import pytest

from storage.uow import UnitOfWork
from tests.storage.conftest import make_booking


def test_two_writers_locking_the_same_page_take_turns_and_unknown_pages_are_skipped(configured):
    first_holds_lock = threading.Event()
    events: list[str] = []
    errors: list[BaseException] = []

    def first():
        with UnitOfWork(configured) as uow:
            uow.lock_pages("T0001", ["alice", "nobody"])
            first_holds_lock.set()
            # Give the second writer every chance to get past its lock too early.
            time.sleep(0.3)
            uow.bookings.add("T0001", make_booking())
            events.append("first commits")
            uow.commit()

    def second():
        first_holds_lock.wait()
        with UnitOfWork(configured) as uow:
            uow.lock_pages("T0001", ["alice", "room-a"])
            events.append("second holds the lock")
            uow.commit()

    def run(target):
        try:
            target()
        except BaseException as error:
            errors.append(error)
            first_holds_lock.set()

    threads = [threading.Thread(target=run, args=(f,)) for f in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert events == ["first commits", "second holds the lock"]


def test_on_sqlite_the_write_lock_must_open_the_transaction(sqlite_engine):
    with UnitOfWork(sqlite_engine) as uow:
        uow.config.workspace_ids()
        with pytest.raises(RuntimeError, match="first"):
            uow.begin_write()


def test_work_after_a_commit_is_rolled_back_on_exit(configured):
    booking = make_booking()
    with UnitOfWork(configured) as uow:
        uow.commit()
        uow.bookings.add("T0001", booking)

    with UnitOfWork(configured) as uow:
        assert uow.bookings.get("T0001", booking.id) is None
