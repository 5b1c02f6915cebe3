"""What one unit of work remembers while it lasts: one object, with every field named.

A repository reaches it through its session (``state_of``); ``UnitOfWork`` makes it when it
opens (``uow.state``). Each field saves queries or carries a fact to the commit:

``workspaces``, ``workspace_pks``
    Workspace rows and primary keys by Slack team id (keys never change; holding a row
    keeps it in the identity map, so a later look reads no SQL while it is fresh).
``live_pks``
    The live configuration entities read in this transaction, by workspace, table and id:
    repositories turn ids into keys from here. A configuration save forgets them.
``states``
    Each workspace's configuration version and booking bounds as this transaction read
    them (``storage.config_cache.workspace_state``).
``wrote_config``
    The transaction holds an uncommitted configuration: the process-wide cache stays out.
``queued``
    Outbox rows were queued since the last commit: the commit wakes the deliverers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session

from storage.tables import WorkspaceRow

if TYPE_CHECKING:
    from storage.config_cache import WorkspaceState

_KEY = "roundtable.transaction"


@dataclass(slots=True)
class TransactionState:
    """What one unit of work remembers while it lasts (see the module's notes)."""

    workspaces: dict[str, tuple[uuid.UUID, WorkspaceRow]] = field(default_factory=dict)
    workspace_pks: dict[str, uuid.UUID] = field(default_factory=dict)
    live_pks: dict[uuid.UUID, Mapping[str, Mapping[str, uuid.UUID]]] = field(default_factory=dict)
    states: dict[uuid.UUID, WorkspaceState] = field(default_factory=dict)
    wrote_config: bool = False
    queued: bool = False


def state_of(session: Session) -> TransactionState:
    """Return the transaction state of ``session``, made on first use."""
    state = session.info.get(_KEY)
    if not isinstance(state, TransactionState):
        state = session.info[_KEY] = TransactionState()
    return state
