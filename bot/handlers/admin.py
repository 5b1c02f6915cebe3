"""/book-admin: the setup menu and the modals that create and edit configuration entities.

Every admin view and action id starts with ``ids.ADMIN_FAMILY`` and every listener here
checks the role before it shows or saves anything, whatever the callback_id says; the
use cases in ``services.admin`` check it again inside their transaction. A submission is
validated by ``services.admin.save_entity`` before the ack, so problems come back as
``response_action: errors`` on the field that caused them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.admin import (
    build_admin_menu,
    build_entity_modal,
    build_refusal_view,
    build_suggestions,
    form_errors,
    parse_admin_form,
    parse_menu_value,
)
from bot.blocks.common import build_notice_view
from bot.caller import Caller
from bot.handlers.modals import PendingModal, open_modal, opens_modal
from bot.work import Defer, after_ack
from engine.errors import BadInput, RoundtableError
from engine.model import WorkspaceConfig
from services.admin import AdminInvalid
from services.errors import Forbidden

ONLY_ADMINS = "Only the workspace's admins can change the setup."
SETUP_TITLE = "Roundtable setup"
_log = logging.getLogger(__name__)
_FAMILY = re.compile(f"^{re.escape(ids.ADMIN_FAMILY)}")


def register(app: App) -> None:
    """Add the admin listeners to ``app``."""
    app.command(ids.BOOK_ADMIN_COMMAND)(opens_modal(open_admin_menu, SETUP_TITLE))
    app.action(ids.ADMIN_OPEN_MENU)(opens_modal(open_admin_menu_from_home, SETUP_TITLE))
    app.action(re.compile(f"^{re.escape(ids.ADMIN_NEW)}"))(after_ack(open_new_entity))
    app.action(re.compile(f"^{re.escape(ids.ADMIN_PICK)}"))(after_ack(open_entity))
    app.options(_FAMILY)(suggest_options)
    # Any view of the family, also one forged with another admin callback_id.
    app.view(_FAMILY)(save_admin_form)


def open_admin_menu(modal: PendingModal, caller: Caller) -> None:
    """``/book-admin`` opens the setup menu for an admin and refuses anyone else."""
    config = setup_for(caller)
    if config is None:
        modal.notice(ONLY_ADMINS)
        return
    modal.open(build_admin_menu(config))


def open_admin_menu_from_home(modal: PendingModal, caller: Caller) -> None:
    """The App Home's setup button opens the same menu."""
    config = setup_for(caller)
    modal.open(build_refusal_view() if config is None else build_admin_menu(config))


def open_new_entity(body: dict[str, Any], action: dict[str, Any], caller: Caller) -> None:
    """A menu button opens an empty modal for a new entity."""
    _show(body, caller, str(action.get("value", "")), new=True)


def open_entity(body: dict[str, Any], action: dict[str, Any], caller: Caller) -> None:
    """Picking an entity in the menu opens its modal, filled in."""
    value = str(action.get("selected_option", {}).get("value", ""))
    _show(body, caller, value, new=False)


def suggest_options(ack: Ack, payload: dict[str, Any], caller: Caller) -> None:
    """Answer an external select of the admin views; nobody else gets any names."""
    config = setup_for(caller)
    if config is None:
        ack(options=[])
        return
    options = build_suggestions(
        config, str(payload.get("action_id", "")), str(payload.get("value", ""))
    )
    ack(options=[option.to_dict("block") for option in options])


def save_admin_form(ack: Ack, defer: Defer, view: dict[str, Any], caller: Caller) -> None:
    """Validate and save a submitted entity; answer problems on their fields."""
    if not is_admin(caller):
        ack(response_action="update", view=build_refusal_view())
        return
    try:
        form = parse_admin_form(view)
    except BadInput:
        ack(response_action="update", view=build_notice_view(SETUP_TITLE, "Nothing to save."))
        return
    try:
        saved = caller.save_entity(form.section, form.data, replaces=form.replaces)
    except AdminInvalid as invalid:
        ack(response_action="errors", errors=form_errors(form, invalid.problems))
        return
    except Forbidden:
        ack(response_action="update", view=build_refusal_view())
        return
    ack()
    root = view.get("root_view_id")
    if root and root != view.get("id"):
        notice = f":white_check_mark: Saved {form.section.noun} *{saved.name}* (`{saved.id}`)."
        defer(_show_menu, root, notice, caller)


def _show_menu(root: str, notice: str, caller: Caller) -> None:
    """After ``save_admin_form``'s ack: the setup menu under the modal, with what was saved."""
    config = caller.load_setup()
    caller.client.views_update(view_id=root, view=build_admin_menu(config, notice=notice))


def is_admin(caller: Caller) -> bool:
    """Tell whether the caller is an admin of the workspace."""
    try:
        caller.check_admin()
    except Forbidden:
        return False
    return True


def setup_for(caller: Caller) -> WorkspaceConfig | None:
    """Return the workspace's configuration for an admin, None for anyone else."""
    try:
        return caller.load_setup()
    except Forbidden:
        return None


def _show(body: dict[str, Any], caller: Caller, value: str, *, new: bool) -> None:
    """Push the entity modal a menu ``value`` names over the menu (or open it when there is
    no modal yet): a new one (``section/kind``) or an existing one (``section/id``)."""
    config = setup_for(caller)
    modal: View
    if config is None:
        modal = build_refusal_view()
    else:
        try:
            section, rest = parse_menu_value(value)
            key, kind = (None, rest) if new else (rest, "")
            modal = build_entity_modal(config, section, key, kind=kind)
        except RoundtableError as refusal:  # archived meanwhile, or not a section
            _log.info("refused: %s", refusal.message)
            modal = build_notice_view(SETUP_TITLE, refusal.message)
    push = body.get("view", {}).get("type") == "modal"
    open_modal(caller.client, body["trigger_id"], modal, push=push)
