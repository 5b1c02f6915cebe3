"""Admin modals: build, fill as Slack would, parse, and validate with the config file's rules."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import yaml
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.admin import (
    AdminForm,
    block_id,
    build_admin_menu,
    build_entity_modal,
    build_event_type_modal,
    build_page_modal,
    build_pool_modal,
    build_refusal_view,
    build_suggestions,
    form_errors,
    parse_admin_form,
    parse_menu_value,
)
from engine.errors import BadInput
from engine.model import (
    EventType,
    MasterPage,
    Page,
    PageKind,
    Pool,
    WorkspaceConfig,
    by_id,
)
from services.admin import FieldProblem, entities
from services.config_file import config_data, parse_config
from services.config_problems import ConfigInvalid
from services.sections import Section
from tests.services.config_samples import small_config_text

_FIELDS = {
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
}


def fill(view: View | dict[str, Any], **answers: Any) -> dict[str, Any]:
    """Return the view as Slack sends it back: every input at its initial value or an answer.

    ``answers`` are keyed by block_id; an answer is the value Slack would put in the state
    (a string, an option dict, a list of option dicts, user ids).
    """
    data = view.to_dict() if isinstance(view, View) else dict(view)
    values: dict[str, dict[str, Any]] = {}
    for block in data["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        key, initial = _FIELDS[element["type"]]
        value = answers.pop(block["block_id"], element.get(initial))
        if key in ("selected_options", "selected_users") and value is None:
            value = []
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"], key: value}}
    assert not answers, f"no such blocks: {sorted(answers)}"
    return {**data, "state": {"values": values}}


def option(value: str, text: str = "x") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def check_view(view: View) -> dict[str, Any]:
    """Validate the view with slack_sdk's models and Slack's limits; return its dict."""
    view.validate_json()
    data = view.to_dict()
    assert 0 < len(data["blocks"]) <= 100
    block_ids = [block["block_id"] for block in data["blocks"] if "block_id" in block]
    assert not [key for key, count in Counter(block_ids).items() if count > 1]
    assert all(len(key) <= 255 for key in block_ids)
    for block in data["blocks"]:
        for element in block.get("elements", [block.get("element")]):
            if isinstance(element, dict) and element.get("type", "").endswith("select"):
                assert len(element.get("options", [])) <= 100
    assert len(json.dumps(data)) < 200_000
    return data


@pytest.fixture
def config() -> WorkspaceConfig:
    return parse_config(small_config_text(), "acme.yml")


def saved(config: WorkspaceConfig, form: AdminForm) -> WorkspaceConfig:
    """Apply a parsed form the way services.admin does, without a database."""
    raw = config_data(config)
    items = raw.setdefault(form.section.value, [])
    position = [item["id"] for item in items].index(form.replaces) if form.replaces else None
    if position is None:
        items.append(form.data)
    else:
        items[position] = form.data
    return parse_config(yaml.safe_dump(raw, sort_keys=False), "slack")


def entity(config: WorkspaceConfig, section: Section, key: str) -> Any:
    return entities(config, section)[key]


@pytest.mark.parametrize(
    ("section", "key"),
    [
        (Section.BOOKING_PAGES, "alice"),
        (Section.BOOKING_PAGES, "room-a"),
        (Section.EVENT_TYPES, "intro"),
        (Section.POOLS, "sales"),
        (Section.POOLS, "rooms"),
        (Section.MASTER_PAGES, "demo"),
        (Section.MASTER_PAGES, "support"),
    ],
)
def test_an_untouched_edit_modal_parses_back_to_the_same_entity(
    config: WorkspaceConfig, section: Section, key: str
) -> None:
    view = build_entity_modal(config, section, key)
    check_view(view)

    form = parse_admin_form(fill(view))

    assert form.section is section
    assert form.replaces == key
    assert entity(saved(config, form), section, key) == entity(config, section, key)


def test_a_new_person_is_created_from_typed_hours_and_overrides(config: WorkspaceConfig) -> None:
    view = build_page_modal(None, kind=PageKind.MEMBER, default_timezone="Europe/London")
    check_view(view)
    answers = {
        block_id("id"): "carol",
        block_id("name"): "Carol",
        block_id("slack_user"): "U0CAROL",
        block_id("hours.mon"): "09:00-12:00, 13:00-17:00",
        block_id("hours.sat"): "10:00-12:00",
        block_id("overrides"): "2026-12-24: off\n2026-12-27 10:00-14:00\n\n",
        block_id("max_per_week"): "10",
    }

    form = parse_admin_form(fill(view, **answers))
    carol = entity(saved(config, form), Section.BOOKING_PAGES, "carol")

    assert form.replaces is None
    assert form.data["hours"] == {"mon": ["09:00-12:00", "13:00-17:00"], "sat": ["10:00-12:00"]}
    assert form.data["overrides"] == {"2026-12-24": [], "2026-12-27": ["10:00-14:00"]}
    assert carol.slack_user == "U0CAROL"
    assert carol.timezone == "Europe/London"
    assert carol.max_per_week == 10
    assert carol.max_per_day is None


def test_a_new_room_has_a_capacity_and_no_slack_user(config: WorkspaceConfig) -> None:
    view = build_entity_modal(config, Section.BOOKING_PAGES, None, kind="resource")
    data = check_view(view)
    answers = {block_id("id"): "room-b", block_id("name"): "Room B", block_id("capacity"): "4"}

    form = parse_admin_form(fill(view, **answers))

    assert block_id("slack_user") not in {block.get("block_id") for block in data["blocks"]}
    room = entity(saved(config, form), Section.BOOKING_PAGES, "room-b")
    assert room.kind is PageKind.RESOURCE
    assert room.capacity == 4


def test_a_bad_hours_field_maps_to_its_weekday_block(config: WorkspaceConfig) -> None:
    view = build_entity_modal(config, Section.BOOKING_PAGES, "alice")
    form = parse_admin_form(fill(view, **{block_id("hours.tue"): "9-5"}))

    with pytest.raises(ConfigInvalid) as error:
        saved(config, form)

    assert error.value.lines() == (
        "slack: booking_pages[0].hours.tue[0]: '9-5' is not a range like 09:00-17:00",
    )
    problems = [FieldProblem("hours.tue[0]", "'9-5' is not a range like 09:00-17:00")]
    assert form_errors(form, problems) == {
        block_id("hours.tue"): "'9-5' is not a range like 09:00-17:00"
    }


def test_problems_without_a_field_of_their_own_go_to_the_first_input(
    config: WorkspaceConfig,
) -> None:
    edit = parse_admin_form(fill(build_entity_modal(config, Section.EVENT_TYPES, "intro")))
    create = parse_admin_form(
        fill(build_event_type_modal(None, config.pages.values()), **{block_id("duration"): "30m"})
    )
    problems = [FieldProblem("", "master page 'support': lists no pages"), FieldProblem("x", "y")]

    assert form_errors(edit, problems) == {
        block_id("name"): "master page 'support': lists no pages; x: y"
    }
    assert set(form_errors(create, problems)) == {block_id("id")}


def test_several_problems_of_one_field_share_its_block_and_are_clipped(
    config: WorkspaceConfig,
) -> None:
    form = parse_admin_form(fill(build_entity_modal(config, Section.EVENT_TYPES, "intro")))
    problems = [FieldProblem("form[0].label", "must not be empty")] + [
        FieldProblem("form[1].id", "z" * 200)
    ] * 3

    errors = form_errors(form, problems)

    assert list(errors) == [block_id("form")]
    assert errors[block_id("form")].startswith("label: must not be empty; id: zzz")
    assert len(errors[block_id("form")]) <= 300


def test_event_type_durations_reminders_and_form_questions_are_read(
    config: WorkspaceConfig,
) -> None:
    view = build_event_type_modal(None, config.pages.values())
    check_view(view)
    answers = {
        block_id("id"): "deep",
        block_id("name"): "Deep dive",
        block_id("duration"): "1h",
        block_id("buffer_after"): "10m",
        block_id("reminders"): "none",
        block_id("pages"): [option("bob")],
        block_id("form"): "topic | Topic | required\nnotes | Notes\n",
    }

    form = parse_admin_form(fill(view, **answers))
    deep: EventType = entity(saved(config, form), Section.EVENT_TYPES, "deep")

    assert deep.reminders == ()
    assert deep.pages == ("bob",)
    assert [(f.id, f.label, f.required) for f in deep.form] == [
        ("topic", "Topic", True),
        ("notes", "Notes", False),
    ]
    assert deep.step is None


def test_pool_members_keep_their_join_order_and_take_the_priority_of_their_select(
    config: WorkspaceConfig,
) -> None:
    view = build_pool_modal(entity(config, Section.POOLS, "sales"), config.pages.values())
    check_view(view)
    answers = {
        block_id("members.highest"): [option("room-a"), option("bob")],
        block_id("members.high"): [],
        block_id("members.medium"): [],
        block_id("members.lowest"): [option("alice")],
        block_id("paused"): [option("bob")],
        block_id("managers"): ["U0BOSS"],
        block_id("channel"): "C0SALES",
        block_id("automatic_correction"): [],
    }

    form = parse_admin_form(fill(view, **answers))
    pool: Pool = entity(saved(config, form), Section.POOLS, "sales")

    assert [(m.page, m.priority.value, m.active) for m in pool.members] == [
        ("alice", "lowest", True),
        ("bob", "highest", False),
        ("room-a", "highest", True),
    ]
    assert pool.managers == ("U0BOSS",)
    assert pool.channel == "C0SALES"
    assert pool.automatic_correction is False


def test_a_member_listed_twice_is_refused_on_the_select_that_repeats_it(
    config: WorkspaceConfig,
) -> None:
    view = build_pool_modal(entity(config, Section.POOLS, "sales"), config.pages.values())
    answers = {
        block_id("members.high"): [option("alice")],
        block_id("members.low"): [option("alice")],
        block_id("members.medium"): [option("bob")],
    }
    form = parse_admin_form(fill(view, **answers))

    with pytest.raises(ConfigInvalid) as error:
        saved(config, form)

    assert error.value.lines() == (
        "slack: pools[0].members[1].page: booking page 'alice' is listed twice",
    )
    problem = FieldProblem("members[1].page", "booking page 'alice' is listed twice")
    assert form_errors(form, [problem]) == {
        block_id("members.low"): "page: booking page 'alice' is listed twice"
    }


def test_a_master_page_rule_is_added_in_an_empty_slot_and_dropped_with_no_rule(
    config: WorkspaceConfig,
) -> None:
    demo: MasterPage = entity(config, Section.MASTER_PAGES, "demo")
    view = build_entity_modal(config, Section.MASTER_PAGES, "demo")
    data = check_view(view)
    slots = [b["block_id"] for b in data["blocks"] if b.get("block_id", "").endswith("event_type")]
    assert len(slots) == len(demo.rules) + 2

    # The one event type already has a rule: drop it and add it again as a page-only panel.
    answers = {
        block_id("rule0.event_type"): option("-"),
        block_id("rule1.event_type"): option("intro"),
        block_id("rule1.primary"): option("page:alice"),
        block_id("rule1.additional"): [option("page:bob"), option("pool:rooms")],
    }
    form = parse_admin_form(fill(view, **answers))
    master: MasterPage = entity(saved(config, form), Section.MASTER_PAGES, "demo")

    assert len(master.rules) == 1
    assert master.rules[0].primary.page == "alice"
    assert [(s.page, s.pool) for s in master.rules[0].additional] == [
        ("bob", None),
        (None, "rooms"),
    ]
    assert form.blocks["rules[0].primary"] == block_id("rule1.primary")


def test_a_rule_without_a_primary_is_refused_on_its_primary_select(
    config: WorkspaceConfig,
) -> None:
    view = build_entity_modal(config, Section.MASTER_PAGES, None)
    answers = {
        block_id("id"): "panel",
        block_id("name"): "Panel",
        block_id("mode"): option("dynamic"),
        block_id("rule0.event_type"): option("intro"),
    }
    form = parse_admin_form(fill(view, **answers))

    with pytest.raises(ConfigInvalid) as error:
        saved(config, form)

    assert error.value.lines() == ("slack: master_pages[2].rules[0].primary: missing required key",)
    problem = FieldProblem("rules[0].primary", "missing required key")
    assert form_errors(form, [problem]) == {block_id("rule0.primary"): "missing required key"}


def test_a_static_master_page_sends_only_its_method_and_event_types(
    config: WorkspaceConfig,
) -> None:
    view = build_entity_modal(config, Section.MASTER_PAGES, "demo")
    answers = {
        block_id("mode"): option("static"),
        block_id("method"): option("find_member_by_time"),
        block_id("event_types"): [option("intro")],
    }

    form = parse_admin_form(fill(view, **answers))

    assert form.data == {
        "id": "demo",
        "name": "Book a demo",
        "mode": "static",
        "method": "find_member_by_time",
        "event_types": ["intro"],
    }
    assert entity(saved(config, form), Section.MASTER_PAGES, "demo").method is not None


def test_long_lists_switch_to_external_selects_answered_by_suggestions(
    config: WorkspaceConfig,
) -> None:
    pages = tuple(Page(f"p{n:03d}", PageKind.RESOURCE, f"Room {n}", "UTC") for n in range(150))
    big = WorkspaceConfig(config.workspace, pages=by_id(pages), pools=config.pools)
    view = build_entity_modal(big, Section.EVENT_TYPES, None)
    data = check_view(view)
    pages_block = next(b for b in data["blocks"] if b.get("block_id") == block_id("pages"))
    menu = check_view(build_admin_menu(big))

    options = build_suggestions(big, block_id("pages"), "room 14")
    seats = build_suggestions(big, block_id("rule3.additional"), "room 1")
    picks = build_suggestions(big, ids.ADMIN_PICK + "booking_pages", "")

    assert pages_block["element"]["type"] == "multi_external_select"
    assert menu["blocks"][3]["elements"][-1]["type"] == "external_select"
    assert [o.value for o in options] == ["p014"] + [f"p{n}" for n in range(140, 150)]
    assert len(seats) == 61
    assert seats[0].value == "page:p001"
    assert seats[0].text == "Page: Room 1 (p001)"
    assert len(picks) == 100
    assert picks[0].value == "booking_pages/p000"


def test_the_menu_offers_new_and_edit_for_every_section(config: WorkspaceConfig) -> None:
    data = check_view(build_admin_menu(config, notice="Saved pool 'sales'."))
    text = json.dumps(data)

    assert data["callback_id"] == ids.ADMIN_MENU
    assert "Saved pool 'sales'." in text
    actions = [b for b in data["blocks"] if b["type"] == "actions"]
    assert [b["block_id"] for b in actions] == [ids.ADMIN_PICK + s.value for s in Section]
    values = [e.get("value") for b in actions for e in b["elements"]]
    assert "booking_pages/member" in values
    assert "booking_pages/resource" in values
    edit = actions[2]["elements"][-1]
    assert [o["value"] for o in edit["options"]] == ["pools/sales", "pools/rooms"]


def test_menu_values_name_a_section_and_an_entity_or_kind() -> None:
    assert parse_menu_value("pools/sales") == (Section.POOLS, "sales")
    assert parse_menu_value("booking_pages/resource") == (Section.BOOKING_PAGES, "resource")
    with pytest.raises(BadInput):
        parse_menu_value("secrets/all")


def test_a_view_without_admin_metadata_is_not_an_admin_form() -> None:
    with pytest.raises(BadInput):
        parse_admin_form({"private_metadata": "", "state": {"values": {}}})
    with pytest.raises(BadInput):
        parse_admin_form({"private_metadata": '{"section": "secrets"}'})


def test_every_modal_title_and_text_fits_slack_limits(config: WorkspaceConfig) -> None:
    long = "N" * 300
    page = Page("x" * 64, PageKind.MEMBER, long, "UTC", slack_user="U1")
    event_type = EventType("e", long, duration=timedelta(minutes=30))
    for view in (
        build_page_modal(page, kind=PageKind.MEMBER, default_timezone="UTC"),
        build_event_type_modal(event_type, config.pages.values()),
        build_refusal_view(),
        build_admin_menu(WorkspaceConfig(config.workspace, pages=by_id((page,)))),
    ):
        check_view(view)


def test_a_rich_master_page_stays_within_one_hundred_blocks(config: WorkspaceConfig) -> None:
    types = tuple(EventType(f"e{n}", f"E{n}", timedelta(minutes=30)) for n in range(60))
    big = WorkspaceConfig(config.workspace, config.pages, by_id(types), config.pools)

    data = check_view(build_entity_modal(big, Section.MASTER_PAGES, None))

    assert len(data["blocks"]) <= 100


def test_a_pool_modal_sets_lookahead_and_flexible_and_shows_them_again(
    config: WorkspaceConfig,
) -> None:
    view = build_pool_modal(entity(config, Section.POOLS, "sales"), config.pages.values())
    check_view(view)
    answers = {block_id("lookahead"): "2w", block_id("flexible"): [option("on")]}

    pool: Pool = entity(
        saved(config, parse_admin_form(fill(view, **answers))), Section.POOLS, "sales"
    )

    assert (pool.lookahead, pool.flexible) == (timedelta(days=14), True)
    shown = check_view(build_pool_modal(pool, config.pages.values()))
    inputs = {
        block["block_id"]: block["element"] for block in shown["blocks"] if "element" in block
    }
    assert inputs[block_id("lookahead")]["initial_value"] == "2w"
    assert inputs[block_id("flexible")]["initial_options"][0]["value"] == "on"


@pytest.mark.parametrize(
    ("pool_id", "answers", "field", "message"),
    [
        ("sales", {"lookahead": "soon"}, "lookahead", "'soon' is not a duration"),
        ("rooms", {"flexible": [option("on")]}, "flexible", "round_robin pools only"),
        ("rooms", {"lookahead": "3d"}, "lookahead", "round_robin pools only"),
    ],
)
def test_a_bad_lookahead_or_flexible_comes_back_on_its_field(
    config: WorkspaceConfig, pool_id: str, answers: dict[str, Any], field: str, message: str
) -> None:
    view = build_pool_modal(entity(config, Section.POOLS, pool_id), config.pages.values())
    form = parse_admin_form(fill(view, **{block_id(k): v for k, v in answers.items()}))

    with pytest.raises(ConfigInvalid) as error:
        saved(config, form)

    (problem,) = error.value.lines()
    assert f".{field}: " in problem
    assert message in problem
    text = problem.split(f".{field}: ", 1)[1]
    assert form_errors(form, [FieldProblem(field, text)]) == {block_id(field): text}
