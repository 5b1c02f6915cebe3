"""The Reassign modal a pool manager opens from a booking's notice.

It lists the pages that could take the seat, free ones first and busy ones marked
"(busy)"; a seat select for panels (owner, a room, a panelist), a reason, "tell the customer"
and "force even if busy". The notice's channel and ``ts`` travel in ``private_metadata`` so
that the submission can update the notice once the booking has moved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
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
    format_slot,
    mrkdwn_escape,
    plain,
    section,
)
from engine.errors import BadInput
from engine.model import Page, PageKind
from engine.records import Booking, Role
from services.booking_reassign import Candidate

MAX_REASON = 500
TELL = "tell"
FORCE = "force"
FORCE_LABEL = "Assign even if busy at that time"
TITLE = "Reassign booking"


@dataclass(frozen=True, slots=True)
class ReassignForm:
    """A submitted Reassign modal; ``seat`` is the page whose seat moves (None: the owner's)."""

    booking_id: str
    to_page: str | None
    seat: str | None = None
    reason: str | None = None
    tell_customer: bool = True
    force: bool = False
    channel: str | None = None
    ts: str | None = None


def build_reassign_modal(
    booking: Booking,
    candidates: Sequence[Candidate],
    *,
    pages: Mapping[str, Page],
    event_type: str,
    tz: str,
    seat: str | None = None,
    channel: str | None = None,
    ts: str | None = None,
) -> View:
    """The modal moving one seat of ``booking``; ``candidates`` come free first."""
    seat = seat or booking.owner
    blocks: list[Block] = [
        section(
            f"*{mrkdwn_escape(event_type)}* · {format_slot(booking.start, booking.end, tz)}\n"
            f"Now: {_seats_text(booking, pages)}"
        )
    ]
    panel = len(booking.participants) > 1
    if panel:
        seats = [
            _option(f"{_seat_label(p.role, pages.get(p.page))}: {_name(p.page, pages)}", p.page)
            for p in booking.participants
        ]
        blocks.append(
            InputBlock(
                block_id=ids.REASSIGN_SEAT,
                label=plain("Seat to move", 2000),
                dispatch_action=True,
                element=StaticSelectElement(
                    action_id=ids.REASSIGN_SEAT,
                    options=seats,
                    initial_option=next((o for o in seats if o.value == seat), seats[0]),
                ),
            )
        )
    metadata = json.dumps(
        {"booking": booking.id, "seat": seat, "channel": channel, "ts": ts},
        separators=(",", ":"),
    )
    if not candidates:
        # A panel keeps its seat select (and so a submit button) to pick another seat.
        blocks.append(context("Nobody else can take this seat: no other page of its kind."))
        return View(
            type="modal",
            callback_id=ids.REASSIGN_VIEW,
            private_metadata=metadata,
            title=plain(TITLE, MAX_TITLE),
            submit=plain("Reassign", MAX_TITLE) if panel else None,
            close=plain("Close", MAX_TITLE),
            blocks=blocks,
        )
    options = [_option(c.name if c.free else f"{c.name} (busy)", c.page) for c in candidates]
    blocks.append(
        InputBlock(
            block_id=ids.REASSIGN_TARGET,
            label=plain("Move to", 2000),
            element=StaticSelectElement(
                action_id=ids.REASSIGN_TARGET,
                options=options[:MAX_OPTIONS],
                placeholder=plain("Free members are listed first", 150),
            ),
        )
    )
    blocks.append(
        InputBlock(
            block_id=ids.REASSIGN_REASON,
            label=plain("Reason", 2000),
            optional=True,
            hint=plain("Told to the old and new host, and to the customer if ticked below.", 2000),
            element=PlainTextInputElement(
                action_id=ids.REASSIGN_REASON, multiline=True, max_length=MAX_REASON
            ),
        )
    )
    tell = _option("Tell the customer (only when a reason is given)", TELL)
    force = _option(FORCE_LABEL, FORCE)
    blocks.append(
        InputBlock(
            block_id=ids.REASSIGN_OPTIONS,
            label=plain("Options", 2000),
            optional=True,
            element=CheckboxesElement(
                action_id=ids.REASSIGN_OPTIONS, options=[tell, force], initial_options=[tell]
            ),
        )
    )
    return View(
        type="modal",
        callback_id=ids.REASSIGN_VIEW,
        private_metadata=metadata,
        title=plain(TITLE, MAX_TITLE),
        submit=plain("Reassign", MAX_TITLE),
        close=plain("Cancel", MAX_TITLE),
        blocks=blocks,
    )


def parse_reassign(view: Mapping[str, Any]) -> ReassignForm:
    """Read a submitted (or changed) Reassign modal.

    Raises:
        BadInput: the view is not a Reassign modal.
    """
    try:
        meta = json.loads(view.get("private_metadata") or "")
        booking_id = str(meta["booking"])
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput("this view is not a Reassign modal", field="view") from error
    values: Mapping[str, Mapping[str, Any]] = view.get("state", {}).get("values", {})

    def element(name: str) -> Mapping[str, Any]:
        found = values.get(name, {}).get(name)
        return found if isinstance(found, Mapping) else {}

    def selected(name: str) -> str | None:
        option = element(name).get("selected_option")
        return str(option["value"]) if isinstance(option, Mapping) else None

    ticked = {str(o["value"]) for o in element(ids.REASSIGN_OPTIONS).get("selected_options") or []}
    reason = element(ids.REASSIGN_REASON).get("value")
    return ReassignForm(
        booking_id=booking_id,
        to_page=selected(ids.REASSIGN_TARGET),
        seat=selected(ids.REASSIGN_SEAT) or meta.get("seat"),
        reason=reason.strip() or None if isinstance(reason, str) else None,
        tell_customer=TELL in ticked,
        force=FORCE in ticked,
        channel=meta.get("channel"),
        ts=meta.get("ts"),
    )


def reassign_errors(field: str | None, message: str, *, has_seat: bool) -> dict[str, str]:
    """Put a refusal on the field it is about: the seat select, the options, else the target."""
    if field == "force":  # a busy target: the box that forces the move is the way out
        return {ids.REASSIGN_OPTIONS: clip(f"{message}; tick “{FORCE_LABEL}” to move anyway", 300)}
    block = ids.REASSIGN_SEAT if field == "seat" and has_seat else ids.REASSIGN_TARGET
    return {block: clip(message, 300)}


def _option(label: str, value: str) -> Option:
    return Option(text=plain(label, MAX_OPTION_TEXT), value=value)


def _name(page: str, pages: Mapping[str, Page]) -> str:
    found = pages.get(page)
    return found.name if found else page


def _seat_label(role: Role, page: Page | None) -> str:
    if role is Role.OWNER:
        return "Owner"
    return "Room" if page is not None and page.kind is PageKind.RESOURCE else "Panelist"


def _seats_text(booking: Booking, pages: Mapping[str, Page]) -> str:
    return ", ".join(
        f"{mrkdwn_escape(_name(p.page, pages))} ({_seat_label(p.role, pages.get(p.page)).lower()})"
        for p in booking.participants
    )
