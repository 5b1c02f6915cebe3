"""The /book-admin menu, its refusal to non-admins, and the admin views' external selects."""

from __future__ import annotations

import re
from collections.abc import Iterable

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    InteractiveElement,
    Option,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.admin.form import entity_option, single_select
from bot.blocks.admin.master_pages import seat_options
from bot.blocks.common import MAX_OPTIONS, MAX_TITLE, context, plain, section
from engine.errors import BadInput
from engine.model import WorkspaceConfig
from services.admin import entities
from services.sections import Section

_NEW = {
    Section.BOOKING_PAGES: (("member", "New person"), ("resource", "New room or resource")),
    Section.EVENT_TYPES: (("", "New event type"),),
    Section.POOLS: (("", "New pool"),),
    Section.MASTER_PAGES: (("", "New master page"),),
}
_SEATS_FIELD = re.compile(r"rule\d+\.(primary|additional)")
_EVENT_TYPES_FIELD = re.compile(r"event_types|rule\d+\.event_type")
_PAGES_FIELD = re.compile(r"pages|paused|members\.\w+")


def build_admin_menu(config: WorkspaceConfig, *, notice: str | None = None) -> View:
    """The /book-admin menu: per section, buttons to create and a select to edit."""
    workspace = config.workspace
    admins = ", ".join(f"<@{user}>" for user in workspace.admins) or "none listed"
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice))
    blocks.append(context(f"Workspace time zone {workspace.timezone} · admins {admins}"))
    for part in Section:
        items = entities(config, part)
        elements: list[InteractiveElement] = [
            ButtonElement(
                text=plain(label),
                action_id=ids.ADMIN_NEW + (kind or part.value),
                value=f"{part.value}/{kind}",
            )
            for kind, label in _NEW[part]
        ]
        options = [entity_option(item, f"{part.value}/{item.id}") for item in items.values()]
        if options:
            elements.append(
                single_select(ids.ADMIN_PICK + part.value, options, None, f"Edit a {part.noun}…")
            )
        blocks.append(DividerBlock())
        blocks.append(section(f"*{part.heading}* · {len(items)}"))
        blocks.append(ActionsBlock(block_id=ids.ADMIN_PICK + part.value, elements=elements))
    return View(
        type="modal",
        callback_id=ids.ADMIN_MENU,
        title=plain("Roundtable setup", MAX_TITLE),
        close=plain("Done", MAX_TITLE),
        blocks=blocks,
    )


def parse_menu_value(value: str) -> tuple[Section, str]:
    """Read a menu button's or select's value: ``section/kind`` or ``section/id``.

    Raises:
        BadInput: the value names no section.
    """
    name, _, rest = value.partition("/")
    if name not in {part.value for part in Section}:
        raise BadInput(f"'{value}' names no section of the setup", field="section")
    return Section(name), rest


def build_refusal_view() -> View:
    """What a non-admin sees instead of an admin view."""
    return View(
        type="modal",
        title=plain("Roundtable setup", MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=[section("Only the workspace's admins can change the setup.")],
    )


def build_suggestions(config: WorkspaceConfig, action_id: str, query: str) -> list[Option]:
    """Answer an external select of the admin views with the options matching ``query``."""
    text = query.strip().lower()
    name = action_id.removeprefix(ids.ADMIN_FIELD)

    def matching(options: Iterable[Option]) -> list[Option]:
        return [o for o in options if text in (o.text or "").lower()][:MAX_OPTIONS]

    if action_id.startswith(ids.ADMIN_PICK):
        part, _ = parse_menu_value(action_id.removeprefix(ids.ADMIN_PICK) + "/")
        items = entities(config, part)
        return matching(entity_option(i, f"{part.value}/{i.id}") for i in items.values())
    if _SEATS_FIELD.fullmatch(name):
        return matching(seat_options(config.pages.values(), config.pools.values()))
    if _EVENT_TYPES_FIELD.fullmatch(name):
        return matching(entity_option(e, e.id) for e in config.event_types.values())
    if _PAGES_FIELD.fullmatch(name):
        return matching(entity_option(p, p.id) for p in config.pages.values())
    return []
