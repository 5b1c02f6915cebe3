"""The configuration of a workspace: save it whole, load it back exactly, once a version.

``ConfigRepository.configuration`` is the one way a configuration is read: from the
process-wide cache (``storage.config_cache``) when the workspace's version is one this
process read before, else from its rows (``storage.config_read``). ``load`` hands out the
``WorkspaceConfig`` of it; the schedule loader (``storage.schedule``) the primary keys too.
``save`` writes one (``storage.config_write``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine, event, update
from sqlmodel import Session, col, select

from engine.errors import NotFound
from engine.model import WorkspaceConfig
from storage.common import find_workspace, forget_live_pks, remember_live_pks
from storage.config_cache import (
    BookingBounds,
    cached,
    last_built,
    mark_config_written,
    workspace_state,
)
from storage.config_read import Keys, read_config
from storage.config_write import ConfigWriter
from storage.tables import WorkspaceRow


@dataclass(frozen=True, slots=True)
class Configuration:
    """A workspace's configuration as stored: the value, and the keys storage reads it by.

    ``bookings`` are the bounds of the stored bookings' buffers and lengths when it was
    read (no configuration: the transaction's, ``storage.config_cache.workspace_state``).
    """

    config: WorkspaceConfig
    workspace_pk: uuid.UUID
    keys: Keys
    bookings: BookingBounds = field(default_factory=BookingBounds)


class ConfigRepository:
    """Whole workspace configurations: ``save`` upserts one, ``load`` reads it back."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def workspace_ids(self) -> list[str]:
        """Return the Slack team id of every workspace, sorted."""
        return list(self._session.exec(select(WorkspaceRow.team_id).order_by(WorkspaceRow.team_id)))

    def load(self, workspace_id: str) -> WorkspaceConfig:
        """Return the configuration last saved for a workspace.

        Raises:
            NotFound: the workspace has no configuration.
        """
        return self.configuration(workspace_id).config

    def configuration(self, workspace_id: str) -> Configuration:
        """Return a workspace's configuration with the primary keys of its entities.

        Raises:
            NotFound: the workspace has no configuration.
        """
        state = workspace_state(self._session, workspace_id)
        if state is None:
            raise NotFound(f"unknown workspace '{workspace_id}'", field="workspace")
        found = cached(self._session, state, lambda: self._read(workspace_id))
        remember_live_pks(self._session, state.pk, found.keys.pks)
        return replace(found, bookings=state.bounds)

    @staticmethod
    def last_configuration(engine: Engine, workspace_id: str) -> Configuration | None:
        """Return the configuration this process read last for a workspace, unchecked.

        It may be stale: use it only to guess what a transaction then verifies against
        ``configuration`` (say, which pages to lock). None when the process has read none.
        """
        found: Configuration | None = last_built(engine, workspace_id)
        return found

    def _read(self, workspace_id: str) -> Configuration:
        row = find_workspace(self._session, workspace_id)
        if row is None:
            raise NotFound(f"unknown workspace '{workspace_id}'", field="workspace")
        config, keys = read_config(self._session, row)
        return Configuration(config, row.id, keys)

    def save(self, cfg: WorkspaceConfig, *, now: datetime) -> None:
        """Make the stored configuration of ``cfg.workspace`` equal to ``cfg`` at ``now``.

        ``now`` stamps what the save starts or ends (a pool membership, an archived entity).

        When that changes anything, the workspace's ``config_version`` grows by one, so
        every process's cached copy of the old configuration stops being used.
        """
        mark_config_written(self._session)
        forget_live_pks(self._session)
        changed = False

        def note(session: Session, _context: object, _instances: object) -> None:
            # Every write of the save goes through a flush (autoflush included); only rows
            # that really differ count (``assign`` may touch none).
            nonlocal changed
            changed = changed or bool(
                session.new or session.deleted or any(map(session.is_modified, session.dirty))
            )

        event.listen(self._session, "before_flush", note)
        try:
            ws = ConfigWriter(self._session, cfg, now).write()
        finally:
            event.remove(self._session, "before_flush", note)
        if changed:
            self._session.execute(
                update(WorkspaceRow)
                .where(col(WorkspaceRow.id) == ws)
                .values(config_version=col(WorkspaceRow.config_version) + 1)
            )
