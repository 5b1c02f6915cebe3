"""Reading and writing the configuration file, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.model import EventType, LocalRange, Priority
from services.config_file import dump_config, parse_config, read_config
from services.config_problems import ConfigInvalid
from tests.services.config_samples import ACME, small_config_text


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigInvalid) as refused:
        parse_config(text, "acme.yml")
    return list(refused.value.lines())


def test_the_example_company_exports_to_text_that_reads_back_the_same() -> None:
    config = read_config(ACME)

    text = dump_config(config)

    assert parse_config(text, "export.yml") == config
    assert dump_config(parse_config(text, "export.yml")) == text


def test_the_example_company_has_pools_rooms_and_several_time_zones() -> None:
    config = read_config(ACME)

    assert {pool.method.value for pool in config.pools.values()} == {
        "round_robin",
        "pooled",
        "pooled_priority",
    }
    assert sum(page.kind.value == "resource" for page in config.pages.values()) == 4
    assert len({page.timezone for page in config.pages.values()}) >= 3
    assert {master.mode.value for master in config.master_pages.values()} == {
        "dynamic",
        "static",
        "pages_first",
    }
    assert any(master.one_time_links_only for master in config.master_pages.values())


def test_a_day_range_may_wrap_past_sunday() -> None:
    config = parse_config(
        small_config_text(
            lambda c: c["booking_pages"][0].update(hours={"fri-mon": ["09:00-17:00"]})
        ),
        "acme.yml",
    )

    nine_to_five = (LocalRange(540, 1020),)
    assert config.pages["alice"].hours == (
        nine_to_five,
        (),
        (),
        (),
        nine_to_five,
        nine_to_five,
        nine_to_five,
    )


def test_a_range_may_end_at_midnight_but_not_start_there() -> None:
    config = parse_config(
        small_config_text(lambda c: c["booking_pages"][0].update(hours={"sat": ["20:00-24:00"]})),
        "acme.yml",
    )
    assert config.pages["alice"].hours[5] == (LocalRange(1200, 1440),)

    problems = _problems(
        small_config_text(lambda c: c["booking_pages"][0].update(hours={"sat": ["24:00-24:00"]}))
    )
    assert problems == [
        "acme.yml: booking_pages[0].hours.sat[0]: "
        "'24:00-24:00' is not a range of times from 00:00 to 24:00"
    ]


def test_omitted_values_take_the_defaults_of_the_model() -> None:
    config = parse_config(small_config_text(), "acme.yml")

    assert config.event_types["intro"] == EventType(
        id="intro", name="Intro call", duration=timedelta(minutes=30), pages=("alice", "bob")
    )
    bob = config.pools["sales"].members[1]
    assert (bob.priority, bob.active, bob.joined) == (Priority.MEDIUM, True, 1)
    assert config.pages["alice"].overrides == {date(2026, 12, 24): ()}


def test_unquoted_yaml_dates_and_times_are_read_and_offsets_become_utc() -> None:
    text = (
        small_config_text()
        .replace('"2026-12-24"', "2026-12-24")
        .replace("'2026-12-24'", "2026-12-24")
    )
    text = text.replace("2026-12-01T15:00:00Z", "2026-12-01T16:00:00+01:00")

    config = parse_config(text, "acme.yml")

    assert config.pages["alice"].overrides == {date(2026, 12, 24): ()}
    assert config.busy[0].end == datetime(2026, 12, 1, 15, tzinfo=UTC)


def test_export_leaves_out_defaults_and_joins_equal_days() -> None:
    text = dump_config(parse_config(small_config_text(), "acme.yml"))

    assert "  hours: {mon-fri: ['09:00-12:00', '13:00-17:00']}\n" in text
    assert "  - {page: bob}\n" in text
    assert "reminders" not in text
    assert "cycle" not in text


def test_a_yaml_syntax_error_names_the_line() -> None:
    assert _problems("workspace: {id: T0001, timezone: Europe/London\nbooking_pages: []\n") == [
        "acme.yml: line 2, column 14: expected ',' or '}', but got ':'"
    ]


def test_a_key_written_twice_is_refused_with_its_line() -> None:
    text = "workspace: {id: T0001, timezone: Europe/London}\nbusy: []\nbusy: []\n"

    assert _problems(text) == ["acme.yml: line 3, column 1: duplicate key 'busy'"]


def test_an_empty_file_or_a_list_is_refused() -> None:
    assert _problems("") == ["acme.yml: the file is empty; it needs at least a workspace"]
    assert _problems("- workspace\n") == ["acme.yml: expected a mapping, got a list"]


def test_problems_in_several_sections_are_all_reported_in_file_order() -> None:
    def break_three(config: dict[str, Any]) -> None:
        config.pop("workspace")
        config["busy"] = [
            {"page": "zed", "start": "2026-12-01T14:00:00Z", "end": "2026-12-01T15:00:00Z"}
        ]
        config["booking_pages"].append(dict(config["booking_pages"][0]))

    assert _problems(small_config_text(break_three)) == [
        "acme.yml: workspace: missing required key",
        "acme.yml: booking_pages[3].id: duplicate id 'alice', first used by booking_pages[0]",
        "acme.yml: busy[0].page: unknown booking page 'zed'",
    ]


def test_a_missing_file_is_reported_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as refused:
        read_config(tmp_path / "nowhere.yml")

    assert refused.value.lines() == (
        f"{tmp_path / 'nowhere.yml'}: cannot read the file: No such file or directory",
    )


def test_slack_admins_is_on_by_default_and_exported_only_when_off() -> None:
    default = parse_config(small_config_text(), "acme.yml")
    off = parse_config(
        small_config_text(lambda data: data["workspace"].update(slack_admins=False)), "acme.yml"
    )

    assert default.workspace.slack_admins is True
    assert "slack_admins" not in dump_config(default)
    assert off.workspace.slack_admins is False
    assert "slack_admins: false" in dump_config(off)
    assert parse_config(dump_config(off), "again.yml") == off


def test_slack_admins_must_be_true_or_false() -> None:
    text = small_config_text(lambda data: data["workspace"].update(slack_admins="sometimes"))

    with pytest.raises(ConfigInvalid) as raised:
        parse_config(text, "acme.yml")

    assert "acme.yml: workspace.slack_admins: " in str(raised.value)


def test_a_round_robin_pool_reads_and_exports_its_lookahead_and_flexible() -> None:
    def turns(data: dict[str, Any]) -> None:
        data["pools"][0].update(lookahead="3d", flexible=True)

    config = parse_config(small_config_text(turns), "acme.yml")

    sales = config.pools["sales"]
    assert (sales.lookahead, sales.flexible) == (timedelta(days=3), True)
    text = dump_config(config)
    assert "lookahead: 3d" in text
    assert "flexible: true" in text
    assert parse_config(text, "export.yml") == config
    assert "lookahead" not in dump_config(parse_config(small_config_text(), "acme.yml"))


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"lookahead": "0m"}, "pools[0].lookahead: must be more than 0m"),
        ({"lookahead": "soon"}, "pools[0].lookahead: 'soon' is not a duration"),
        ({"flexible": "maybe"}, "pools[0].flexible:"),
    ],
)
def test_a_bad_lookahead_or_flexible_is_refused_naming_the_field(
    values: dict[str, Any], problem: str
) -> None:
    problems = _problems(small_config_text(lambda data: data["pools"][0].update(values)))
    assert any(problem in line for line in problems), problems


@pytest.mark.parametrize("key", ["lookahead", "flexible"])
def test_lookahead_and_flexible_are_refused_on_a_pool_that_is_not_round_robin(key: str) -> None:
    value = {"lookahead": "3d", "flexible": True}[key]
    problems = _problems(small_config_text(lambda data: data["pools"][1].update({key: value})))
    assert problems == [f"acme.yml: pools[1].{key}: {key} applies to round_robin pools only"]
