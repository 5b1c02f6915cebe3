"""Distribution reports of pools."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine

from engine.distribution import PoolReport
from engine.distribution import pool_report as engine_pool_report
from services import roles
from services.context import Actor
from storage.uow import UnitOfWork


def pool_report(
    engine: Engine, workspace_id: str, pool: str, *, actor: Actor, now: datetime
) -> PoolReport:
    """Return a pool's received, removed and net per member in the current cycle.

    Raises:
        NotFound: no such workspace or pool.
        Forbidden: the actor is neither an admin nor a manager of the pool.
    """
    [report] = pool_reports(engine, workspace_id, [pool], actor=actor, now=now)
    return report


def pool_reports(
    engine: Engine, workspace_id: str, pools: Sequence[str], *, actor: Actor, now: datetime
) -> list[PoolReport]:
    """Return the reports of ``pools``, in that order, from one read of their ledgers.

    Raises:
        NotFound: no such workspace or pool.
        Forbidden: the actor is neither an admin nor a manager of one of the pools.
    """
    with UnitOfWork(engine) as uow:
        # The schedule's ledger is the one the engine distributes by (the current cycle
        # plus each member's latest receipt), so the report shows exactly what decides.
        # No page's bookings are needed, and only these pools' ledgers.
        schedule = uow.schedules.load(workspace_id, now, now, now=now, pages=(), pools=pools)
    reports = []
    for pool in pools:
        found = schedule.pool(pool)
        roles.require_pool_manager(schedule.workspace, found, actor, "see this pool's report")
        ledger = schedule.ledger.get(found.id, ())
        reports.append(engine_pool_report(found, ledger, schedule.workspace.timezone, now))
    return reports
