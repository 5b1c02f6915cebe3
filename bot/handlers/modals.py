"""Opening modals the same way in every feature: an expired trigger is told, not raised.

Slack gives a ``trigger_id`` three seconds; a slow answer makes ``views.open`` (or
``views.push``) fail with ``expired_trigger_id``. That is no bug: the user is told in words
where a response URL exists (commands, message buttons), and it is logged where none does
(App Home buttons).
"""

from __future__ import annotations

import logging

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.blocks.common import build_notice_message

EXPIRED_TRIGGER = "That took Slack too long to open. Please run the command again."

_log = logging.getLogger(__name__)


def open_modal(
    client: WebClient,
    trigger_id: str,
    view: View,
    *,
    respond: Respond | None = None,
    push: bool = False,
) -> None:
    """Open ``view`` (or push it over the open modal); tell an expired trigger in words."""
    try:
        if push:
            client.views_push(trigger_id=trigger_id, view=view)
        else:
            client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "expired_trigger_id":
            raise
        _log.info("views.%s: the trigger expired", "push" if push else "open")
        if respond is not None:
            respond(response_type="ephemeral", **build_notice_message(EXPIRED_TRIGGER).as_kwargs())
