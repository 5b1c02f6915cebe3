"""Every callback_id, block_id and action_id the app uses, in one place.

Families share a prefix and are matched with a regex (``re.compile(r"^slot:")``); the data
an action needs travels in its ``value``, never in the id.
"""

from __future__ import annotations

# Manager notices (bot/blocks/notifications.py) carry these buttons; value = booking id.
REASSIGN_BOOKING = "booking:reassign"
CANCEL_BOOKING = "booking:cancel"
