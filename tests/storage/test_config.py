from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from engine.errors import NotFound
from engine.model import (
    BusyBlock,
    DynamicRule,
    MasterMode,
    Page,
    PageKind,
    SeatRef,
    WorkspaceConfig,
    by_id,
)
from storage.db import make_engine
from storage.tables import PageRow, PoolMemberRow, WorkspaceRow
from storage.uow import UnitOfWork
from tests.storage.conftest import T0, sample_config


def save(engine, cfg: WorkspaceConfig) -> None:
    with UnitOfWork(engine) as uow:
        uow.config.save(cfg, now=T0)
        uow.commit()


def load(engine, workspace_id: str = "T0001") -> WorkspaceConfig:
    with UnitOfWork(engine) as uow:
        return uow.config.load(workspace_id)


def without_bob(cfg: WorkspaceConfig) -> WorkspaceConfig:
    intro, demo_type = cfg.event_types.values()
    sales, rooms = cfg.pools.values()
    demo, *others = cfg.master_pages.values()
    return replace(
        cfg,
        pages=by_id(p for p in cfg.pages.values() if p.id != "bob"),
        event_types=by_id((replace(intro, pages=("alice",)), demo_type)),
        pools=by_id((replace(sales, members=sales.members[:1]), rooms)),
        master_pages=by_id(
            (
                replace(
                    demo,
                    rules=(
                        DynamicRule("intro", SeatRef(pool="sales"), (SeatRef(pool="rooms"),)),
                        *demo.rules[1:],
                    ),
                ),
                *others,
            )
        ),
    )


def test_a_saved_configuration_loads_back_equal(db_engine):
    cfg = sample_config()
    save(db_engine, cfg)

    assert load(db_engine) == cfg


def test_saving_a_loaded_configuration_writes_nothing(db_engine, sql_log):
    save(db_engine, sample_config())
    sql_log.clear()

    save(db_engine, load(db_engine))

    assert sql_log.count("INSERT") + sql_log.count("UPDATE") + sql_log.count("DELETE") == 0


def test_a_removed_page_is_archived_and_revived_with_the_same_id(db_engine):
    save(db_engine, sample_config())
    with UnitOfWork(db_engine) as uow:
        bob_id = uow.session.exec(select(PageRow.id).where(PageRow.key == "bob")).one()

    save(db_engine, without_bob(sample_config()))
    assert list(load(db_engine).pages) == ["alice", "room-a"]
    assert load(db_engine).pools["sales"].members == sample_config().pools["sales"].members[:1]
    assert load(db_engine).pools["sales"].former == (), "an archived page leaves no history"

    save(db_engine, sample_config())
    assert load(db_engine) == sample_config()
    with UnitOfWork(db_engine) as uow:
        revived = uow.session.exec(select(PageRow).where(PageRow.key == "bob")).one()
        assert (revived.id, revived.archived_at) == (bob_id, None)
        assert len(uow.session.exec(select(PoolMemberRow)).all()) == 3


def test_a_member_dropped_from_a_pool_keeps_its_row_as_archived(db_engine):
    save(db_engine, sample_config())
    save(db_engine, without_bob(sample_config()))

    with UnitOfWork(db_engine) as uow:
        rows = uow.session.exec(select(PoolMemberRow, PageRow.key).join(PageRow)).all()
        assert {key for row, key in rows if row.archived_at is not None} == {"bob"}


def test_reordering_the_file_reorders_what_loads(db_engine):
    cfg = sample_config()
    save(db_engine, cfg)
    intro, demo = cfg.event_types.values()
    reordered = replace(
        cfg,
        pages=by_id(reversed(cfg.pages.values())),
        master_pages=by_id(reversed(cfg.master_pages.values())),
        event_types=by_id((replace(intro, pages=("bob", "alice")), demo)),
    )

    save(db_engine, reordered)

    assert load(db_engine) == reordered
    assert list(load(db_engine).pages) == ["room-a", "bob", "alice"]
    assert load(db_engine) != cfg, "the same entities in another order are another configuration"


def test_busy_blocks_of_the_file_replace_the_previous_ones(db_engine):
    cfg = sample_config()
    save(db_engine, cfg)
    block = BusyBlock(
        "bob", datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 10, tzinfo=UTC)
    )

    save(db_engine, replace(cfg, busy=(block,)))

    assert load(db_engine).busy == (block,)


def test_workspaces_with_the_same_ids_never_see_each_others_configuration(db_engine):
    first = sample_config("T0001")
    second = replace(
        sample_config("T0002"),
        pages=by_id([Page(id="alice", kind=PageKind.RESOURCE, name="Other", timezone="UTC")]),
        event_types={},
        pools={},
        master_pages={},
        busy=(),
    )
    save(db_engine, first)
    save(db_engine, second)

    assert load(db_engine, "T0001") == first
    assert load(db_engine, "T0002") == second
    with UnitOfWork(db_engine) as uow:
        assert uow.config.workspace_ids() == ["T0001", "T0002"]


def test_loading_an_unknown_workspace_is_not_found(db_engine):
    with UnitOfWork(db_engine) as uow, pytest.raises(NotFound):
        uow.config.load("T0404")


def test_leaving_the_unit_of_work_without_commit_saves_nothing(db_engine):
    with UnitOfWork(db_engine) as uow:
        uow.config.save(sample_config(), now=T0)

    with UnitOfWork(db_engine) as uow:
        assert uow.config.workspace_ids() == []


def test_rules_and_seats_can_shrink_and_grow_again(db_engine):
    cfg = sample_config()
    demo, *others = cfg.master_pages.values()
    shrunk = replace(cfg, master_pages=by_id((replace(demo, rules=demo.rules[1:]), *others)))
    static = replace(
        cfg,
        master_pages=by_id(
            [replace(demo, mode=MasterMode.STATIC, rules=(), event_types=("intro",))]
        ),
    )

    for step in (cfg, shrunk, static, cfg):
        save(db_engine, step)
        assert load(db_engine) == step


def _version(engine) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.exec(
            select(WorkspaceRow.config_version).where(WorkspaceRow.team_id == "T0001")
        ).one()


def test_only_a_save_that_changes_something_bumps_the_configuration_version(db_engine):
    save(db_engine, sample_config())
    first = _version(db_engine)
    save(db_engine, sample_config())
    assert _version(db_engine) == first
    save(db_engine, without_bob(sample_config()))
    assert _version(db_engine) == first + 1


def test_a_cached_configuration_gives_way_to_a_save_from_another_process(db_engine):
    # A second engine on the same database stands for another app process.
    other = make_engine(db_engine.url.render_as_string(hide_password=False))
    try:
        save(db_engine, sample_config())
        assert load(db_engine) == sample_config()
        save(other, without_bob(sample_config()))
        assert load(db_engine) == load(other) == without_bob(sample_config())
    finally:
        other.dispose()


def test_a_rolled_back_save_leaves_no_trace_in_the_cache(db_engine):
    save(db_engine, sample_config())
    with UnitOfWork(db_engine) as uow:
        uow.config.save(without_bob(sample_config()), now=T0)
        assert uow.config.load("T0001") == without_bob(sample_config())
    # Another save reaches the version number the rolled-back one had, with other content.
    cfg = sample_config()
    changed = replace(cfg, workspace=replace(cfg.workspace, admins=("U0OTHER",)))
    save(db_engine, changed)
    assert load(db_engine) == changed
