"""The unit of work: one session, one transaction, every repository.

    with UnitOfWork(engine) as uow:
        uow.config.save(cfg)
        uow.commit()

Leaving the block without ``commit()`` rolls everything back; repositories never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from engine.errors import NotFound
from storage.common import workspace_pk
from storage.config import ConfigRepository
from storage.db import BEGIN_IMMEDIATE
from storage.tables import PageRow


class UnitOfWork:
    """A transaction over the repositories; use it as a context manager."""

    session: Session
    config: ConfigRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> Self:
        self.session = Session(self._engine, expire_on_commit=False)
        self.config = ConfigRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Commit everything done so far."""
        self.session.commit()

    def rollback(self) -> None:
        """Undo everything done since the last commit."""
        self.session.rollback()

    def lock_pages(self, workspace_id: str, page_keys: Iterable[str]) -> None:
        """Start a write transaction that holds the given booking pages until commit.

        On SQLite the transaction begins with ``BEGIN IMMEDIATE`` (the database's single
        write lock), so this must be the first statement of the transaction. On PostgreSQL
        the pages' rows are locked with ``SELECT … FOR UPDATE`` in key order, so writers of
        overlapping page sets queue up instead of deadlocking.

        Raises:
            RuntimeError: on SQLite, the transaction already ran a statement.
            NotFound: the workspace or a page does not exist.
        """
        if self._engine.dialect.name == "sqlite":
            if self.session.in_transaction():
                raise RuntimeError("lock_pages must come first in the transaction on SQLite")
            self.session.connection(execution_options={BEGIN_IMMEDIATE: True})
        keys = sorted(set(page_keys))
        locked = self.session.exec(
            select(PageRow.key)
            .where(
                PageRow.workspace_id == workspace_pk(self.session, workspace_id),
                col(PageRow.key).in_(keys),
            )
            .order_by(col(PageRow.key))
            .with_for_update()
        ).all()
        missing = sorted(set(keys) - set(locked))
        if missing:
            raise NotFound(f"unknown booking pages: {', '.join(missing)}", field="page")
