from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from engine.errors import NotFound
from engine.model import (
    EventType,
    Method,
    PageKind,
    Pool,
    PoolMember,
    Schedule,
    Workspace,
    WorkspaceConfig,
    by_id,
)
from tests.engine.factories import page, pool, room

WORKSPACE = Workspace("T1", "UTC")


def config(*pages_in_order: str) -> WorkspaceConfig:
    return WorkspaceConfig(
        WORKSPACE,
        pages=by_id(page(key) for key in pages_in_order),
        event_types=by_id([EventType("meet", "Meet", timedelta(minutes=30))]),
        pools=by_id([pool("sales", "alice")]),
    )


def test_a_configuration_looks_its_entities_up_by_id_in_file_order() -> None:
    found = config("bob", "alice")

    assert list(found.pages) == ["bob", "alice"]
    assert found.page("alice").kind is PageKind.MEMBER
    assert found.event_type("meet").name == "Meet"
    assert found.pool("sales").members == (PoolMember("alice"),)


@pytest.mark.parametrize(
    ("look", "message", "field"),
    [
        (lambda c: c.page("zed"), "unknown page 'zed'", "page"),
        (lambda c: c.event_type("zed"), "unknown event type 'zed'", "event_type"),
        (lambda c: c.pool("zed"), "unknown pool 'zed'", "pool"),
        (lambda c: c.master_page("zed"), "unknown master page 'zed'", "master_page"),
    ],
)
def test_an_unknown_id_is_not_found_naming_what_was_asked(look, message, field) -> None:
    with pytest.raises(NotFound) as raised:
        look(config("alice"))

    assert (raised.value.message, raised.value.field) == (message, field)


def test_configurations_are_equal_with_the_same_entities_in_the_same_order() -> None:
    assert config("alice", "bob") == config("alice", "bob")
    assert config("alice", "bob") != config("bob", "alice")
    with pytest.raises(TypeError):
        hash(config("alice"))


def test_two_entities_of_a_section_never_share_an_id() -> None:
    with pytest.raises(ValueError, match="share an id"):
        by_id([room("r1"), room("r1")])


def test_a_schedule_reads_its_configuration_without_a_copy() -> None:
    found = config("alice")
    schedule = Schedule(found)

    assert schedule.pages is found.pages
    assert schedule.page("alice") is found.pages["alice"]
    assert schedule.workspace is WORKSPACE


def test_former_members_are_no_part_of_a_pools_value() -> None:
    current = Pool("sales", "Sales", Method.POOLED, members=(PoolMember("alice"),))
    with_history = replace(current, former=(PoolMember("bob", active=False),))

    assert with_history == current
