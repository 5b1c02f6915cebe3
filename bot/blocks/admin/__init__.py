"""The admin modals: a menu, and one modal per entity kind with the parser of what it sends.

Each entity modal writes the entity back as configuration-file data (``parse_admin_form``) for
``services.admin.save_entity``, which validates it with the configuration file's own rules;
nothing here validates values. Lists that may grow past Slack's 100 options (pages, event
types, pools, seats) switch to external selects, answered by ``build_suggestions``.

``form`` holds what the modals share (the submitted ``AdminForm``, ``block_id``,
``form_errors`` and the input helpers); ``menu`` the menu; ``pages``, ``event_types``,
``pools`` and ``master_pages`` one entity kind each, its builder next to its parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.views import View

from bot import ids
from bot.blocks.admin.event_types import build_event_type_modal, event_type_data
from bot.blocks.admin.form import (
    AdminForm,
    State,
    block_id,
    find,
    form_errors,
    given,
    metadata,
    page_kind,
)
from bot.blocks.admin.master_pages import build_master_page_modal, master_page_data
from bot.blocks.admin.menu import (
    build_admin_menu,
    build_refusal_view,
    build_suggestions,
    parse_menu_value,
)
from bot.blocks.admin.pages import build_page_modal, page_data
from bot.blocks.admin.pools import build_pool_modal, pool_data
from engine.model import PageKind, WorkspaceConfig
from services.sections import Section

__all__ = [
    "AdminForm",
    "block_id",
    "build_admin_menu",
    "build_entity_modal",
    "build_event_type_modal",
    "build_master_page_modal",
    "build_page_modal",
    "build_pool_modal",
    "build_refusal_view",
    "build_suggestions",
    "form_errors",
    "parse_admin_form",
    "parse_menu_value",
]


def build_entity_modal(
    config: WorkspaceConfig, part: Section, entity_id: str | None, *, kind: str = ""
) -> View:
    """The modal that creates (``entity_id`` None) or edits one entity of ``config``.

    Raises:
        BadInput: ``entity_id`` names nothing in the section, or ``kind`` is no page kind.
    """
    if part is Section.BOOKING_PAGES:
        page = find(config.pages, entity_id, part)
        kind_of_page = page.kind if page else page_kind(kind)
        return build_page_modal(page, kind=kind_of_page, default_timezone=config.workspace.timezone)
    if part is Section.EVENT_TYPES:
        return build_event_type_modal(
            find(config.event_types, entity_id, part), config.pages.values()
        )
    if part is Section.POOLS:
        return build_pool_modal(find(config.pools, entity_id, part), config.pages.values())
    return build_master_page_modal(
        find(config.master_pages, entity_id, part),
        config.event_types.values(),
        config.pages.values(),
        config.pools.values(),
    )


def parse_admin_form(view: Mapping[str, Any]) -> AdminForm:
    """Read a submitted entity modal as configuration-file data for ``services.admin.save_entity``.

    Raises:
        BadInput: the view is not an entity modal (its private_metadata says no section).
    """
    meta = metadata(view)
    values: Mapping[str, Mapping[str, Any]] = view.get("state", {}).get("values", {})
    state = State(values)
    data: dict[str, Any] = {"id": meta.replaces if meta.replaces else state.text("id")}
    blocks: dict[str, str] = {}
    if meta.section is Section.BOOKING_PAGES:
        page_data(state, meta.kind or PageKind.MEMBER, data)
    elif meta.section is Section.EVENT_TYPES:
        event_type_data(state, data)
    elif meta.section is Section.POOLS:
        pool_data(state, meta.order, data, blocks)
    else:
        master_page_data(state, data, blocks)
    present = [name.removeprefix(ids.ADMIN_FIELD) for name in values]
    for name in present:
        blocks.setdefault(name, block_id(name))
    fallback = block_id("id") if "id" in present else block_id("name")
    return AdminForm(meta.section, meta.replaces, given(data), blocks, fallback)
