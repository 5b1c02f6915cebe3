"""The pool modal: distribution method, cycle, correction, members by priority, managers.

Members are picked per priority; the parser keeps the order they had (the modal remembers it
in its metadata), so that an unchanged pool saves unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ConversationFilter,
    ConversationSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.admin.form import (
    Metadata,
    State,
    block_id,
    checkbox_input,
    entity_option,
    identity,
    input_block,
    modal,
    multi_select,
    option,
    pick,
    single_select,
    text_input,
)
from bot.blocks.common import CYCLE_LABELS, METHOD_LABELS
from engine.durations import format_duration
from engine.model import Cycle, Page, Pool, Priority
from services.sections import Section

PRIORITIES = tuple(Priority)


def build_pool_modal(pool: Pool | None, pages: Iterable[Page]) -> View:
    """Create or edit a pool: method, cycle, correction, members by priority, managers."""
    blocks: list[Block] = [*identity(pool, "pool")]
    methods = [option(label, method.value) for method, label in METHOD_LABELS.items()]
    cycles = [option(label, cycle.value) for cycle, label in CYCLE_LABELS.items()]
    blocks.append(
        input_block(
            "method",
            "Distribution method",
            single_select(
                "method", methods, pick(methods, pool.method.value if pool else None), "Method"
            ),
        )
    )
    blocks.append(
        input_block(
            "cycle",
            "Reporting cycle",
            single_select(
                "cycle",
                cycles,
                pick(cycles, (pool.cycle if pool else Cycle.MONTHLY).value),
                "Cycle",
            ),
        )
    )
    blocks.append(
        checkbox_input(
            "automatic_correction",
            "Round robin score",
            "Automatic correction (count removed bookings against the score)",
            checked=pool is None or pool.automatic_correction,
        )
    )
    lookahead = pool.lookahead if pool else None
    blocks.append(
        input_block(
            "lookahead",
            "Round robin lookahead",
            text_input(
                "lookahead",
                format_duration(lookahead) if lookahead is not None else "",
                placeholder="the event type's horizon",
                max_length=20,
            ),
            optional=True,
            hint="A member with nothing bookable this far ahead loses the turn, like 14d.",
        )
    )
    blocks.append(
        checkbox_input(
            "flexible",
            "Round robin links",
            "Flexible (a one-time link may name the member)",
            checked=bool(pool and pool.flexible),
        )
    )
    page_options = [entity_option(page, page.id) for page in pages]
    members = pool.members if pool else ()
    if page_options:
        for priority in PRIORITIES:
            chosen = {m.page for m in members if m.priority is priority}
            blocks.append(
                input_block(
                    f"members.{priority.value}",
                    f"Members, {priority.value} priority",
                    multi_select(
                        f"members.{priority.value}",
                        page_options,
                        chosen,
                        "Pages",
                    ),
                    optional=True,
                )
            )
        paused = {m.page for m in members if not m.active}
        blocks.append(
            input_block(
                "paused",
                "Paused members",
                multi_select("paused", page_options, paused, "Pages"),
                optional=True,
                hint="Paused members keep their history but get no new bookings.",
            )
        )
    blocks.append(
        input_block(
            "managers",
            "Managers (may reassign and see the report)",
            UserMultiSelectElement(
                action_id=block_id("managers"),
                initial_users=list(pool.managers) if pool and pool.managers else None,
                placeholder="People",
            ),
            optional=True,
        )
    )
    blocks.append(
        input_block(
            "channel",
            "Notice channel (else managers get a DM)",
            ConversationSelectElement(
                action_id=block_id("channel"),
                initial_conversation=pool.channel if pool else None,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                placeholder="Channel",
            ),
            optional=True,
        )
    )
    order = tuple(m.page for m in members)
    return modal(Metadata(Section.POOLS, pool.id if pool else None, order=order), "Pool", blocks)


def pool_data(
    state: State, order: Sequence[str], data: dict[str, Any], blocks: dict[str, str]
) -> None:
    data.update(
        name=state.text("name"),
        method=state.choice("method"),
        cycle=state.choice("cycle"),
        automatic_correction=bool(state.chosen("automatic_correction")),
        lookahead=state.text("lookahead"),
        flexible=bool(state.chosen("flexible")) or None,
        managers=state.users("managers"),
        channel=state.conversation("channel"),
    )
    paused = state.chosen("paused")
    members: list[tuple[dict[str, Any], str]] = []
    for priority in PRIORITIES:
        name = f"members.{priority.value}"
        for page in state.chosen(name):
            member: dict[str, Any] = {"page": page, "priority": priority.value}
            if page in paused:
                member["active"] = False
            members.append((member, name))
    listed = {member["page"] for member, _ in members}
    members += [
        ({"page": page, "active": False}, "paused") for page in paused if page not in listed
    ]
    known = {page: index for index, page in enumerate(order)}
    members.sort(key=lambda item: known.get(item[0]["page"], len(known)))
    data["members"] = [member for member, _ in members]
    for index, (_, name) in enumerate(members):
        blocks[f"members[{index}]"] = block_id(name)
    blocks["members"] = block_id(f"members.{Priority.MEDIUM.value}")
