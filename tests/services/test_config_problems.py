"""Problems of a configuration stay structured until they are shown."""

from __future__ import annotations

import copy

import pytest

from services.config_file import parse_config
from services.config_problems import ConfigInvalid, Problem, path_text
from services.config_schema import validate_config
from tests.services.config_samples import small_config, small_config_text


def test_a_problem_keeps_its_location_and_message_apart() -> None:
    data = copy.deepcopy(small_config())
    data["pools"][1]["members"][0]["page"] = "zed"
    data["booking_pages"][0]["hours"] = {"mon-fri": ["09:00-12:00"], "mon": ["13:00-14:00"]}

    with pytest.raises(ConfigInvalid) as refused:
        validate_config(data, "acme.yml")

    assert refused.value.source == "acme.yml"
    assert refused.value.problems == (
        Problem(("booking_pages", 0, "hours", "mon"), "mon already listed under 'mon-fri'"),
        Problem(("pools", 1, "members", 0, "page"), "unknown booking page 'zed'"),
    )
    assert refused.value.lines() == (
        "acme.yml: booking_pages[0].hours.mon: mon already listed under 'mon-fri'",
        "acme.yml: pools[1].members[0].page: unknown booking page 'zed'",
    )
    assert str(refused.value) == "\n".join(refused.value.lines())


def test_data_and_its_yaml_text_validate_alike() -> None:
    data = copy.deepcopy(small_config())
    data["event_types"][0]["duration"] = "forever"

    with pytest.raises(ConfigInvalid) as from_data:
        validate_config(data, "acme.yml")
    with pytest.raises(ConfigInvalid) as from_text:
        parse_config(
            small_config_text(lambda d: d["event_types"][0].update(duration="forever")), "acme.yml"
        )

    assert from_data.value.problems == from_text.value.problems
    assert validate_config(small_config(), "a") == parse_config(small_config_text(), "b")


def test_a_problem_of_the_file_itself_has_no_path() -> None:
    with pytest.raises(ConfigInvalid) as refused:
        parse_config("workspace: [\n", "acme.yml")

    (problem,) = refused.value.problems
    assert problem.location == ()
    assert problem.path == ""
    assert problem.line("acme.yml") == f"acme.yml: {problem.message}"
    assert problem.message.startswith("line 2, column 1: ")


def test_a_path_leaves_out_the_marker_of_a_mapping_key() -> None:
    assert (
        path_text(("booking_pages", 0, "hours", "moon", "[key]")) == "booking_pages[0].hours.moon"
    )
    assert path_text((3, "id")) == "[3].id"
    assert path_text(()) == ""
