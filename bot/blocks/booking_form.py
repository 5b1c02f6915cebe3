"""The booking form's answers: prefilled from the Slack profile, read back, refused in place.

``bot.blocks.booking.build_form_view`` draws the form; its fields' blocks are
``ids.BOOK_FIELD`` and the field's id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot import ids
from engine.model import FormField

_PROFILE_FIELDS = {
    "name": "name",
    "full_name": "name",
    "email": "email",
    "e-mail": "email",
    "phone": "phone",
    "telephone": "phone",
    "title": "title",
    "job_title": "title",
}


def prefill(form: Sequence[FormField], profile: Mapping[str, str | None]) -> dict[str, str]:
    """Answer the form fields that ask for something the Slack profile holds."""
    answers: dict[str, str] = {}
    for item in form:
        key = _PROFILE_FIELDS.get(item.id.lower()) or _PROFILE_FIELDS.get(
            item.label.strip().lower().replace(" ", "_")
        )
        value = profile.get(key) if key else None
        if value:
            answers[item.id] = value
    return answers


def parse_form(values: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, str]:
    """Read the answers of a submitted form view's ``state.values``, by field id."""
    answers: dict[str, str] = {}
    for block_id, actions in values.items():
        if not block_id.startswith(ids.BOOK_FIELD):
            continue
        value = (actions.get(block_id) or {}).get("value")
        if isinstance(value, str) and value.strip():
            answers[block_id.removeprefix(ids.BOOK_FIELD)] = value.strip()
    return answers


def field_block(field_path: str | None) -> str | None:
    """Return the block of a service error's ``form.<id>`` field (``response_action: errors``)."""
    if field_path and field_path.startswith("form."):
        return ids.BOOK_FIELD + field_path.removeprefix("form.")
    return None
