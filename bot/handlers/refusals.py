"""Refusals after ``ack()`` are told in words, never raised.

Once a listener has acked, Bolt answers Slack with that ack; but a listener that raises
afterwards makes Bolt drop the ack (its thread runner resets it), and Slack then gets 404
after three seconds instead of 200. So every listener catches the refusals it can explain
(``RoundtableError``: not allowed, already cancelled, gone meanwhile) after its ack, tells
the user, and returns normally: ``tell`` answers privately where the request came from (a
command, a message button), ``tell_on_modal`` replaces the modal a step came from.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.blocks.common import build_notice_message, build_notice_view
from engine.errors import RoundtableError

_log = logging.getLogger(__name__)


def tell(respond: Respond, refusal: RoundtableError) -> None:
    """Tell ``refusal`` to the user alone, below the message or command it answers."""
    _log.info("refused: %s", refusal.message)
    message = build_notice_message(refusal.message)
    respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())


def tell_on_modal(
    client: WebClient, view: Mapping[str, Any], title: str, refusal: RoundtableError
) -> None:
    """Show ``refusal`` in place of the modal ``view`` (a step of it was refused)."""
    _log.info("refused: %s", refusal.message)
    notice = build_notice_view(title, refusal.message)
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=notice)
