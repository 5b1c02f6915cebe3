"""The master page modal: its mode, its method or rules, the event types it offers, and its parser.

A dynamic page's rules take four blocks each; the modal offers its rules and
``EXTRA_RULE_SLOTS`` empty ones, as many as Slack's 100 blocks allow. Seats (a page or a
pool) are written ``page:ID`` and ``pool:ID``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, Option
from slack_sdk.models.views import View

from bot.blocks.admin.form import (
    Metadata,
    State,
    block_id,
    checkbox_input,
    entity_option,
    given,
    identity,
    input_block,
    modal,
    multi_select,
    option,
    pick,
    single_select,
)
from bot.blocks.common import MAX_VIEW_BLOCKS, MODE_LABELS, STATIC_METHOD_LABELS, context
from engine.model import EventType, MasterMode, MasterPage, Page, Pool, SeatRef
from services.sections import Section

EXTRA_RULE_SLOTS = 2
"""Empty rule slots a master page modal offers below its rules."""
_NO_RULE = "-"


def build_master_page_modal(
    master: MasterPage | None,
    event_types: Iterable[EventType],
    pages: Iterable[Page],
    pools: Iterable[Pool],
) -> View:
    """Create or edit a master page: its mode, and its rules or event types."""
    blocks: list[Block] = [*identity(master, "master page")]
    modes = [option(label, mode.value) for mode, label in MODE_LABELS.items()]
    methods = [option(label, method.value) for method, label in STATIC_METHOD_LABELS.items()]
    blocks.append(
        input_block(
            "mode",
            "How bookings are assigned",
            single_select(
                "mode", modes, pick(modes, master.mode.value if master else None), "Mode"
            ),
        )
    )
    blocks.append(
        input_block(
            "method",
            "Method (static rules only)",
            single_select(
                "method",
                methods,
                pick(methods, master.method.value if master and master.method else None),
                "Method",
            ),
            optional=True,
        )
    )
    blocks.append(
        checkbox_input(
            "one_time_links_only",
            "Visibility (dynamic rules only)",
            "Only for holders of a one-time link",
            checked=bool(master and master.one_time_links_only),
        )
    )
    type_options = [entity_option(et, et.id) for et in event_types]
    if type_options:
        chosen = set(master.event_types if master else ())
        blocks.append(
            input_block(
                "event_types",
                "Event types offered (all but dynamic rules)",
                multi_select(
                    "event_types",
                    type_options,
                    chosen,
                    "Event types",
                ),
                optional=True,
            )
        )
        blocks += _rule_blocks(master, type_options, seat_options(pages, pools), len(blocks))
    return modal(
        Metadata(Section.MASTER_PAGES, master.id if master else None), "Master page", blocks
    )


def _rule_blocks(
    master: MasterPage | None,
    type_options: list[Option],
    seats: list[Option],
    used: int,
) -> list[Block]:
    rules = master.rules if master else ()
    room = (MAX_VIEW_BLOCKS - used - 1) // 4
    slots = min(len(rules) + EXTRA_RULE_SLOTS, room)
    no_rule = option("(no rule)", _NO_RULE)
    blocks: list[Block] = [
        context(
            "*Dynamic rules*: one per event type. The primary owns the booking; additional "
            "seats make it a panel. Choose '(no rule)' to drop a rule."
        )
    ]
    for slot in range(slots):
        rule = rules[slot] if slot < len(rules) else None
        chosen_type = pick(type_options, rule.event_type if rule else None)
        blocks.append(DividerBlock())
        blocks.append(
            input_block(
                f"rule{slot}.event_type",
                f"Rule {slot + 1}: event type",
                single_select(
                    f"rule{slot}.event_type", [no_rule, *type_options], chosen_type, "Event type"
                ),
                optional=True,
            )
        )
        if not seats:
            continue
        primary = pick(seats, _seat_value(rule.primary) if rule else None)
        extra = {_seat_value(seat) for seat in rule.additional} if rule else set()
        blocks.append(
            input_block(
                f"rule{slot}.primary",
                f"Rule {slot + 1}: primary (owner)",
                single_select(f"rule{slot}.primary", seats, primary, "A page or a pool"),
                optional=True,
            )
        )
        blocks.append(
            input_block(
                f"rule{slot}.additional",
                f"Rule {slot + 1}: additional seats (panel)",
                multi_select(
                    f"rule{slot}.additional",
                    seats,
                    extra,
                    "Pages or pools",
                ),
                optional=True,
            )
        )
    return blocks


def master_page_data(state: State, data: dict[str, Any], blocks: dict[str, str]) -> None:
    mode = state.choice("mode")
    data.update(name=state.text("name"), mode=mode)
    # A static select cannot be cleared, so only the fields of the chosen mode count.
    if mode == MasterMode.STATIC.value:
        data["method"] = state.choice("method")
    if mode == MasterMode.DYNAMIC.value:
        data["one_time_links_only"] = bool(state.chosen("one_time_links_only")) or None
        data["rules"] = _rules(state, blocks)
        blocks["rules"] = block_id("rule0.event_type")
    else:
        data["event_types"] = state.chosen("event_types")


def _rules(state: State, blocks: dict[str, str]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    slot = 0
    while state.has(f"rule{slot}.event_type"):
        event_type = state.choice(f"rule{slot}.event_type")
        primary = state.choice(f"rule{slot}.primary")
        additional = state.chosen(f"rule{slot}.additional")
        if event_type != _NO_RULE and (event_type or primary or additional):
            index = len(rules)
            rule: dict[str, Any] = {"event_type": event_type, "primary": _seat(primary)}
            rule["additional"] = [_seat(value) for value in additional]
            rules.append(given(rule))
            for part in ("event_type", "primary", "additional"):
                blocks[f"rules[{index}].{part}"] = block_id(f"rule{slot}.{part}")
            blocks[f"rules[{index}]"] = block_id(f"rule{slot}.event_type")
        slot += 1
    return rules


def _seat(value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    what, _, key = value.partition(":")
    return {what: key}


def _seat_value(seat: SeatRef) -> str:
    return f"page:{seat.page}" if seat.page is not None else f"pool:{seat.pool}"


def seat_options(pages: Iterable[Page], pools: Iterable[Pool]) -> list[Option]:
    """Pools, then pages, as the seats of a rule."""
    return [option(f"Pool: {p.name} ({p.id})", f"pool:{p.id}") for p in pools] + [
        option(f"Page: {p.name} ({p.id})", f"page:{p.id}") for p in pages
    ]
