"""What every admin modal shares: the submitted form, its fields' blocks, the input helpers.

Every input's ``block_id`` and ``action_id`` is ``ADMIN_FIELD + field`` where ``field`` is the
entity's field (``hours.mon``, ``pages``) or a form slot (``members.high``, ``rule2.primary``).
``AdminForm.blocks`` maps the paths of the submitted data back to those blocks, so a problem
the validator finds at ``members[3].page`` lands on the select that listed that member
(``form_errors``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    InputInteractiveElement,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import (
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    MAX_TITLE,
    clip,
    context,
    mrkdwn_escape,
    plain,
)
from engine.bounds import MAX_COUNT
from engine.errors import BadInput
from engine.model import EventType, MasterPage, Page, PageKind, Pool
from services.admin import FieldProblem
from services.config_values import MAX_LOCATION
from services.sections import Section

MAX_ERROR = 300
"""Longest error message put under one field."""
EntityT = TypeVar("EntityT", Page, EventType, Pool, MasterPage)
_OFF = frozenset({"off", "closed", "none", "-"})
_SPLIT = re.compile(r"[,;\n]")


# --- what a submission says ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdminForm:
    """A submitted entity modal.

    ``data`` is the entity as configuration-file data; ``blocks`` maps a path of ``data`` (``name``,
    ``members[2]``) to the block it came from; ``fallback`` takes problems of no one field.
    """

    section: Section
    replaces: str | None
    data: dict[str, Any]
    blocks: Mapping[str, str] = field(default_factory=dict)
    fallback: str = ""


@dataclass(frozen=True, slots=True)
class Metadata:
    section: Section
    replaces: str | None = None
    kind: PageKind | None = None
    order: tuple[str, ...] = ()

    def dump(self) -> str:
        data: dict[str, Any] = {"section": self.section.value, "id": self.replaces}
        if self.kind is not None:
            data["kind"] = self.kind.value
        if self.order:
            data["order"] = list(self.order)
        text = json.dumps(data, separators=(",", ":"))
        # A very long member list only loses its remembered order, never the modal.
        return (
            text if len(text) <= 3000 else Metadata(self.section, self.replaces, self.kind).dump()
        )


def block_id(name: str) -> str:
    """Return the block_id (and action_id) of an entity modal's field."""
    return ids.ADMIN_FIELD + name


def form_errors(form: AdminForm, problems: Iterable[FieldProblem]) -> dict[str, str]:
    """Put each problem under the block its field came from, as ``response_action: errors``."""
    messages: dict[str, list[str]] = {}
    for problem in problems:
        target, below = _owner(form, problem.field)
        messages.setdefault(target, []).append(
            f"{below}: {problem.message}" if below else problem.message
        )
    return {target: clip("; ".join(texts), MAX_ERROR) for target, texts in messages.items()}


def _owner(form: AdminForm, path: str) -> tuple[str, str]:
    """Return the block of the longest prefix of ``path`` that the form knows, and the rest."""
    best = ""
    for prefix in form.blocks:
        if (path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))) and len(prefix) > len(
            best
        ):
            best = prefix
    if not best:
        return form.fallback, path
    rest = re.sub(r"^(\[\d+\])*\.?", "", path[len(best) :])
    return form.blocks[best], rest


# --- reading a submission --------------------------------------------------------------


class State:
    """The values of a submitted view, read by field name."""

    def __init__(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        self._values = values

    def has(self, name: str) -> bool:
        return block_id(name) in self._values

    def _element(self, name: str) -> Mapping[str, Any]:
        block = self._values.get(block_id(name), {})
        element = block.get(block_id(name))
        return element if isinstance(element, Mapping) else {}

    def text(self, name: str) -> str | None:
        value = self._element(name).get("value")
        return value.strip() or None if isinstance(value, str) else None

    def choice(self, name: str) -> str | None:
        selected = self._element(name).get("selected_option")
        return str(selected["value"]) if isinstance(selected, Mapping) else None

    def chosen(self, name: str) -> list[str]:
        selected = self._element(name).get("selected_options") or []
        return [str(option["value"]) for option in selected]

    def user(self, name: str) -> str | None:
        value = self._element(name).get("selected_user")
        return str(value) if value else None

    def users(self, name: str) -> list[str]:
        return [str(user) for user in self._element(name).get("selected_users") or []]

    def conversation(self, name: str) -> str | None:
        value = self._element(name).get("selected_conversation")
        return str(value) if value else None


def metadata(view: Mapping[str, Any]) -> Metadata:
    try:
        raw = json.loads(view.get("private_metadata") or "{}")
        meta = Metadata(
            section=Section(raw["section"]),
            replaces=raw.get("id"),
            kind=PageKind(raw["kind"]) if raw.get("kind") else None,
            order=tuple(str(page) for page in raw.get("order", ())),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput("this view is not an admin form", field="view") from error
    return meta


def given(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out what the form left empty, so that the file's defaults apply."""
    return {key: value for key, value in data.items() if value is not None}


def items(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def ranges(text: str) -> list[str]:
    return [] if off(text) else items(text)


def off(text: str) -> bool:
    """Whether a field says there is nothing: ``off``, ``none``, ``-``…"""
    return text.strip().lower() in _OFF


# --- building a modal ------------------------------------------------------------------


def find(items: Mapping[str, EntityT], entity_id: str | None, part: Section) -> EntityT | None:
    if entity_id is None:
        return None
    found = items.get(entity_id)
    if found is None:
        raise BadInput(f"unknown {part.noun} '{entity_id}'", field="id")
    return found


def page_kind(kind: str) -> PageKind:
    try:
        return PageKind(kind)
    except ValueError as error:
        raise BadInput(f"'{kind}' is not a kind of booking page", field="kind") from error


def identity(entity: Page | EventType | Pool | MasterPage | None, what: str) -> list[Block]:
    blocks: list[Block] = []
    if entity is None:
        blocks.append(
            input_block(
                "id",
                "Id",
                text_input("id", "", placeholder="sales-team", max_length=64),
                hint="Lowercase letters, digits, '-' and '_'; used in the config file. "
                "It cannot change later.",
            )
        )
    else:
        blocks.append(context(f"Editing {what} `{mrkdwn_escape(entity.id)}`"))
    blocks.append(
        input_block(
            "name", "Name", text_input("name", entity.name if entity else "", max_length=200)
        )
    )
    return blocks


def modal(meta: Metadata, what: str, blocks: list[Block]) -> View:
    verb = "Edit" if meta.replaces else "New"
    return View(
        type="modal",
        callback_id=ids.ADMIN_EDIT,
        private_metadata=meta.dump(),
        title=plain(f"{verb} {what.lower()}", MAX_TITLE),
        submit=plain("Save", MAX_TITLE),
        close=plain("Cancel", MAX_TITLE),
        blocks=blocks,
    )


def input_block(
    name: str,
    label: str,
    element: InputInteractiveElement,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id(name),
        label=plain(label, 2000),
        element=element,
        optional=optional,
        hint=plain(hint, 2000) if hint else None,
    )


def location_input(location: str | None, placeholder: str) -> InputBlock:
    return input_block(
        "location",
        "Location",
        text_input("location", location or "", placeholder=placeholder, max_length=MAX_LOCATION),
        optional=True,
        hint="Text or a URL, shown with every booking. A person's own location wins over "
        "the event type's.",
    )


def text_input(
    name: str,
    initial: str,
    *,
    multiline: bool = False,
    placeholder: str | None = None,
    max_length: int = 3000,
) -> PlainTextInputElement:
    return PlainTextInputElement(
        action_id=block_id(name),
        initial_value=initial or None,
        multiline=multiline or None,
        placeholder=plain(placeholder, 150) if placeholder else None,
        max_length=max_length,
    )


def number_input(name: str, initial: int | None, most: int = MAX_COUNT) -> NumberInputElement:
    return NumberInputElement(
        action_id=block_id(name),
        is_decimal_allowed=False,
        initial_value=str(initial) if initial is not None else None,
        min_value="1",
        max_value=str(most),  # Slack checks it; the save checks it again (engine.bounds)
    )


def option(label: str, value: str) -> Option:
    return Option(text=plain(label, MAX_OPTION_TEXT), value=value)


def pick(options: Sequence[Option], value: str | None) -> Option | None:
    return next((option for option in options if option.value == value), None)


def single_select(
    name: str, options: Sequence[Option], initial: Option | None, placeholder: str
) -> InputInteractiveElement:
    action_id = name if name.startswith(ids.ADMIN_FAMILY) else block_id(name)
    if len(options) > MAX_OPTIONS:
        return ExternalDataSelectElement(
            action_id=action_id, initial_option=initial, min_query_length=0, placeholder=placeholder
        )
    return StaticSelectElement(
        action_id=action_id, options=options, initial_option=initial, placeholder=placeholder
    )


def multi_select(
    name: str, options: Sequence[Option], chosen: Collection[str], placeholder: str
) -> InputInteractiveElement:
    """A select of several ``options``, those whose value is ``chosen`` already picked."""
    initial = [option for option in options if option.value in chosen]
    if len(options) > MAX_OPTIONS:
        return ExternalDataMultiSelectElement(
            action_id=block_id(name),
            initial_options=initial or None,
            min_query_length=0,
            placeholder=placeholder,
        )
    return StaticMultiSelectElement(
        action_id=block_id(name),
        options=options,
        initial_options=initial or None,
        placeholder=placeholder,
    )


def checkbox_input(name: str, label: str, choice: str, *, checked: bool) -> InputBlock:
    """An optional field of one checkbox, ``choice``, ticked when ``checked``."""
    box = option(choice, "on")
    return input_block(
        name,
        label,
        CheckboxesElement(
            action_id=block_id(name), options=[box], initial_options=[box] if checked else None
        ),
        optional=True,
    )


def entity_option(entity: Page | EventType | Pool | MasterPage, value: str) -> Option:
    """An option naming an entity of the setup: ``Alice (alice)``."""
    return option(f"{entity.name} ({entity.id})", value)
