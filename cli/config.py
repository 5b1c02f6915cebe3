"""``roundtable config apply|export|show``: configuration as code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from cli.runtime import Runtime, pass_runtime
from engine.durations import format_duration
from engine.model import (
    EventType,
    MasterMode,
    MasterPage,
    Page,
    Pool,
    PoolMember,
    Priority,
    SeatRef,
    WorkspaceConfig,
)
from services.config import ApplySummary, export_config, load_config, save_config
from services.sections import Section


@click.group("config")
def group() -> None:
    """Configuration as code: apply a YAML file, export or show what is stored."""


@group.command("apply")
@click.argument("file", type=click.Path(path_type=Path))
@pass_runtime
def apply(runtime: Runtime, file: Path) -> None:
    """Validate FILE whole, then make its workspace hold exactly what it says.

    Entities missing from FILE are archived (their history stays); applying the same file
    again changes nothing.
    """
    from services.config_file import read_config  # pydantic models: 0.1 s to import

    # Validate before opening the database, so a bad file leaves no trace, not even a new
    # empty database file.
    config = read_config(file)
    summary = save_config(
        runtime.engine(), config, source=file, workspace=runtime.requested_workspace
    )
    runtime.emit({"applied": _summary_data(summary, file)}, _summary_text(summary, file))


@group.command("export")
@pass_runtime
def export(runtime: Runtime) -> None:
    """Print the workspace's configuration as a YAML file that applies back to it."""
    click.echo(export_config(runtime.engine(), runtime.workspace()), nl=False)


@group.command("show")
@pass_runtime
def show(runtime: Runtime) -> None:
    """Print what the workspace holds: pages, event types, pools and master pages."""
    from services.config_file import config_data  # pydantic models: 0.1 s to import

    config = load_config(runtime.engine(), runtime.workspace())
    runtime.emit({"config": config_data(config)}, describe(config))


def _summary_data(summary: ApplySummary, file: Path) -> dict[str, Any]:
    return {
        "file": str(file),
        "workspace": summary.workspace,
        "created": summary.created,
        "changed": summary.changed,
        "workspace_changed": summary.workspace_changed,
        **{name: asdict(changes) for name, changes in summary.sections.items()},
        "busy": {"added": summary.busy_added, "removed": summary.busy_removed},
    }


def _summary_text(summary: ApplySummary, file: Path) -> str:
    head = f"Applied {file} to workspace {summary.workspace}"
    if not summary.changed:
        return f"{head}: nothing changed."
    lines = [f"{head}{' (new)' if summary.created else ''}:"]
    if summary.workspace_changed:
        lines.append("  workspace: time zone or admins changed")
    for name, changes in summary.sections.items():
        done = [
            f"{verb} {', '.join(ids)}"
            for verb, ids in (
                ("added", changes.added),
                ("changed", changes.changed),
                ("archived", changes.archived),
            )
            if ids
        ]
        if done:
            lines.append(f"  {name.replace('_', ' ')}: {'; '.join(done)}")
    if summary.busy_added or summary.busy_removed:
        lines.append(f"  busy blocks: {summary.busy_added} added, {summary.busy_removed} removed")
    return "\n".join(lines)


def describe(config: WorkspaceConfig) -> str:
    """Write a workspace's configuration for a person to read."""
    workspace = config.workspace
    admins = f", admins {', '.join(workspace.admins)}" if workspace.admins else ""
    pages = [
        [page.id, page.kind.value, page.timezone, page.name + _notes(_capacity(page))]
        for page in config.pages.values()
    ]
    event_types = [
        [event_type.id, format_duration(event_type.duration), event_type.name, _pages(event_type)]
        for event_type in config.event_types.values()
    ]
    return "\n\n".join(
        [
            f"Workspace {workspace.id} ({workspace.timezone}){admins}",
            _table(Section.BOOKING_PAGES.heading, pages),
            _table(Section.EVENT_TYPES.heading, event_types),
            _table(Section.POOLS.heading, [_pool_row(pool) for pool in config.pools.values()]),
            _table(
                Section.MASTER_PAGES.heading,
                [_master_page_row(master) for master in config.master_pages.values()],
            ),
            f"Busy blocks: {len(config.busy)}",
        ]
    )


def _capacity(page: Page) -> list[str]:
    return [f"capacity {page.capacity}"] if page.capacity is not None else []


def _pages(event_type: EventType) -> str:
    return f"pages: {', '.join(event_type.pages)}" if event_type.pages else ""


def _pool_row(pool: Pool) -> list[str]:
    members = ", ".join(_member(member) for member in pool.members) or "no members"
    return [pool.id, f"{pool.method.value}, {pool.cycle.value}", members]


def _member(member: PoolMember) -> str:
    notes = [] if member.priority is Priority.MEDIUM else [member.priority.value]
    return member.page + _notes(notes + ([] if member.active else ["inactive"]))


def _master_page_row(master: MasterPage) -> list[str]:
    if master.mode is MasterMode.DYNAMIC:
        links = ", one-time links only" if master.one_time_links_only else ""
        rules = "; ".join(
            f"{rule.event_type} → {' + '.join(map(_seat, (rule.primary, *rule.additional)))}"
            for rule in master.rules
        )
        return [master.id, f"dynamic{links}", rules]
    method = f", {master.method.value}" if master.method else ""
    return [master.id, f"{master.mode.value}{method}", ", ".join(master.event_types)]


def _seat(seat: SeatRef) -> str:
    return f"pool {seat.pool}" if seat.pool is not None else str(seat.page)


def _notes(notes: list[str]) -> str:
    return f" ({', '.join(notes)})" if notes else ""


def _table(title: str, rows: Sequence[list[str]]) -> str:
    """Write a titled table of equally long rows whose columns line up."""
    widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
    lines = [f"{title} ({len(rows)})"]
    lines += ["  " + "  ".join(map(str.ljust, row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
