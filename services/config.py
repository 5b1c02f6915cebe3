"""Use cases of configuration as code: apply a file, export, show, pick a workspace."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from engine.errors import BadInput, Duplicate, NotFound
from engine.model import Workspace, WorkspaceConfig
from services.context import system_clock
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class SectionChanges:
    """Ids of one section that a configuration added, changed or archived."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    archived: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.archived)


@dataclass(frozen=True, slots=True)
class ApplySummary:
    """What ``apply_config`` did to a workspace.

    ``sections`` is keyed by the file's section names (``booking_pages``, ``event_types``,
    ``pools``, ``master_pages``); ``workspace_changed`` tells of a new time zone or admins.
    """

    workspace: str
    created: bool
    workspace_changed: bool
    sections: Mapping[str, SectionChanges]
    busy_added: int
    busy_removed: int

    @property
    def changed(self) -> bool:
        return (
            self.created
            or self.workspace_changed
            or any(self.sections.values())
            or bool(self.busy_added or self.busy_removed)
        )


def apply_config(engine: Engine, path: str | Path, *, workspace: str | None = None) -> ApplySummary:
    """Make a workspace's stored configuration equal to a file, in one transaction.

    Raises:
        ConfigInvalid: the file holds a problem; nothing was written.
        BadInput: the file configures another workspace than ``workspace``.
    """
    from services.config_file import read_config  # pydantic models: 0.1 s to import

    return save_config(engine, read_config(path), source=path, workspace=workspace)


def save_config(
    engine: Engine,
    config: WorkspaceConfig,
    *,
    source: str | Path,
    workspace: str | None = None,
) -> ApplySummary:
    """Make a workspace's stored configuration equal to an already validated one.

    ``workspace``, when given, must be the workspace ``config`` (read from ``source``)
    configures.

    Raises:
        BadInput: ``config`` configures another workspace than ``workspace``.
    """
    if workspace is not None and workspace != config.workspace.id:
        raise BadInput(
            f"{source} configures workspace {config.workspace.id}, not {workspace}",
            field="workspace",
        )
    with UnitOfWork(engine) as uow:
        exists = config.workspace.id in uow.config.workspace_ids()
        before = uow.config.load(config.workspace.id) if exists else None
        uow.config.save(config, now=system_clock())
        after = uow.config.load(config.workspace.id)
        uow.commit()
    return _summary(before, after)


def load_config(engine: Engine, workspace: str) -> WorkspaceConfig:
    """Return the stored configuration of a workspace.

    Raises:
        NotFound: the database holds no such workspace.
    """
    with UnitOfWork(engine) as uow:
        return uow.config.load(workspace)


def export_config(engine: Engine, workspace: str) -> str:
    """Write a workspace's stored configuration as a file that applies back to it.

    Raises:
        NotFound: the database holds no such workspace.
    """
    from services.config_file import dump_config  # pydantic models: 0.1 s to import

    return dump_config(load_config(engine, workspace))


def choose_workspace(engine: Engine, requested: str | None) -> str:
    """Return the workspace a command acts on: ``requested``, else the only one there is.

    Raises:
        NotFound: ``requested`` is not in the database.
        BadInput: nothing was requested and the database holds no workspace, or several.
    """
    with UnitOfWork(engine) as uow:
        known = uow.config.workspace_ids()
    if requested is not None:
        if requested not in known:
            raise NotFound(f"unknown workspace '{requested}'", field="workspace")
        return requested
    if len(known) == 1:
        return known[0]
    if not known:
        raise BadInput(
            "the database holds no workspace yet; run `roundtable config apply FILE` first",
            field="workspace",
        )
    raise BadInput(
        f"the database holds several workspaces ({', '.join(known)}); choose one with --workspace",
        field="workspace",
    )


def _summary(before: WorkspaceConfig | None, after: WorkspaceConfig) -> ApplySummary:
    old = before or WorkspaceConfig(workspace=after.workspace)
    busy_old, busy_new = Counter(old.busy), Counter(after.busy)
    return ApplySummary(
        workspace=after.workspace.id,
        created=before is None,
        workspace_changed=before is not None and before.workspace != after.workspace,
        sections={
            "booking_pages": _changes(old.pages, after.pages),
            "event_types": _changes(old.event_types, after.event_types),
            "pools": _changes(old.pools, after.pools),
            "master_pages": _changes(old.master_pages, after.master_pages),
        },
        busy_added=(busy_new - busy_old).total(),
        busy_removed=(busy_old - busy_new).total(),
    )


def _changes(before: Mapping[str, object], after: Mapping[str, object]) -> SectionChanges:
    return SectionChanges(
        added=tuple(key for key in after if key not in before),
        changed=tuple(key for key in after if key in before and after[key] != before[key]),
        archived=tuple(key for key in before if key not in after),
    )


def start_workspace(engine: Engine, team_id: str, *, timezone: str = "UTC") -> bool:
    """Record a workspace that Slack speaks for, empty, unless the database holds it already.

    It starts with no admins listed and ``slack_admins`` on, so the Slack workspace's owners
    and admins set it up; its time zone is ``timezone`` until a file sets another. Returns
    whether it was created (another process creating it meanwhile is no error).
    """
    try:
        with UnitOfWork(engine) as uow:
            if team_id in uow.config.workspace_ids():
                return False
            uow.config.save(
                WorkspaceConfig(Workspace(id=team_id, timezone=timezone)), now=system_clock()
            )
            uow.commit()
    except Duplicate:  # the unique team id: another request created it first
        return False
    return True
