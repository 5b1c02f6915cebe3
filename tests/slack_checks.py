"""One checker for everything the app shows in Slack: block models and Slack's limits.

``check_view`` and ``check_message`` parse a surface with slack-sdk's block models (an
unknown or misspelt field fails, because the parsed blocks must give back the same JSON) and
then hold it to the limits of Slack's Block Kit reference. ``check_calls`` runs them over
every recorded ``views.*``, ``chat.*`` and ``response_url`` call of the fake Web API.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

VIEW_BLOCKS = 100
MESSAGE_BLOCKS = 50
LIMITS = {  # element or object type -> {field: max characters}
    "button": {"action_id": 255, "value": 2000, "url": 3000},
    "static_select": {"action_id": 255},
    "datepicker": {"action_id": 255},
    "plain_text_input": {"action_id": 255},
}
TEXT_LIMITS = {  # where a text object sits -> max characters
    "button": 75,
    "option": 75,
    "header": 150,
    "section": 3000,
    "section_field": 2000,
    "context": 2000,
    "input_label": 2000,
    "placeholder": 150,
    "confirm_title": 100,
    "confirm_text": 300,
    "confirm_button": 30,
}


class SlackLimitError(AssertionError):
    pass


def _fail(where: str, problem: str) -> None:
    raise SlackLimitError(f"{where}: {problem}")


def _text(obj: Any, limit: int, where: str) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        _fail(where, f"is not a text object: {obj!r}")
    text = obj.get("text", "")
    if not text:
        _fail(where, "has empty text")
    if len(text) > limit:
        _fail(where, f"text is {len(text)} characters, more than {limit}")


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if block.get("accessory"):
        yield block["accessory"]
    if block["type"] in ("actions",):
        yield from block.get("elements", [])
    if block["type"] == "input":
        yield block["element"]


def _check_element(element: dict[str, Any], where: str) -> None:
    kind = element.get("type", "")
    for name, limit in LIMITS.get(kind, {}).items():
        if len(str(element.get(name, ""))) > limit:
            _fail(where, f"{name} is longer than {limit}")
    if kind == "button":
        _text(element.get("text"), TEXT_LIMITS["button"], f"{where}.text")
    if "placeholder" in element:
        _text(element["placeholder"], TEXT_LIMITS["placeholder"], f"{where}.placeholder")
    if kind == "static_select":
        options = element.get("options", [])
        if not 1 <= len(options) <= 100:
            _fail(where, f"has {len(options)} options (1 to 100 allowed)")
        values = [option["value"] for option in options]
        if len(values) != len(set(values)):
            _fail(where, "repeats an option value")
        for index, option in enumerate(options):
            _text(option["text"], TEXT_LIMITS["option"], f"{where}.options[{index}]")
            if len(option["value"]) > 150:
                _fail(where, "an option value is longer than 150")
    if "confirm" in element:
        confirm = element["confirm"]
        _text(confirm["title"], TEXT_LIMITS["confirm_title"], f"{where}.confirm.title")
        _text(confirm["text"], TEXT_LIMITS["confirm_text"], f"{where}.confirm.text")
        for key in ("confirm", "deny"):
            _text(confirm[key], TEXT_LIMITS["confirm_button"], f"{where}.confirm.{key}")


def check_blocks(blocks: list[dict[str, Any]], *, limit: int, where: str) -> None:
    """Hold a surface's blocks to the block models and Slack's limits."""
    if len(blocks) > limit:
        _fail(where, f"has {len(blocks)} blocks, more than {limit}")
    block_ids: Counter[str] = Counter()
    action_ids: Counter[str] = Counter()
    for index, raw in enumerate(blocks):
        here = f"{where}.blocks[{index}]"
        parsed = Block.parse(raw)
        if parsed is None:
            _fail(here, f"is not a block slack-sdk knows: {raw!r}")
        parsed.validate_json()
        if parsed.to_dict() != raw:
            _fail(here, f"does not survive slack-sdk's model: {raw!r} != {parsed.to_dict()!r}")
        if "block_id" in raw:
            block_ids[raw["block_id"]] += 1
            if len(raw["block_id"]) > 255:
                _fail(here, "block_id is longer than 255")
        kind = raw["type"]
        if kind == "section":
            if "text" in raw:
                _text(raw["text"], TEXT_LIMITS["section"], f"{here}.text")
            for number, item in enumerate(raw.get("fields", [])):
                _text(item, TEXT_LIMITS["section_field"], f"{here}.fields[{number}]")
        elif kind == "header":
            _text(raw["text"], TEXT_LIMITS["header"], f"{here}.text")
        elif kind == "context":
            if not 1 <= len(raw["elements"]) <= 10:
                _fail(here, "a context holds 1 to 10 elements")
            for number, item in enumerate(raw["elements"]):
                if item["type"] != "image":
                    _text(item, TEXT_LIMITS["context"], f"{here}.elements[{number}]")
        elif kind == "actions" and not 1 <= len(raw["elements"]) <= 25:
            _fail(here, f"holds {len(raw['elements'])} elements (1 to 25 allowed)")
        elif kind == "input":
            _text(raw["label"], TEXT_LIMITS["input_label"], f"{here}.label")
        for element in _elements(raw):
            _check_element(element, f"{here}.{element.get('type')}")
            if "action_id" in element:
                action_ids[element["action_id"]] += 1
    for name, counted in (("block", block_ids), ("action", action_ids)):
        repeated = [key for key, count in counted.items() if count > 1]
        if repeated:
            _fail(where, f"repeats {name} ids {repeated}")


def check_view(view: dict[str, Any] | str, where: str = "view") -> dict[str, Any]:
    """Check a modal or Home view; return it as a dict."""
    if isinstance(view, str):
        view = json.loads(view)
    assert isinstance(view, dict)
    View(**view).validate_json()
    if view["type"] == "modal":
        _text(view["title"], 24, f"{where}.title")
        for key in ("submit", "close"):
            if key in view:
                _text(view[key], 24, f"{where}.{key}")
        if any(block["type"] == "input" for block in view["blocks"]) and "submit" not in view:
            _fail(where, "has inputs but no submit button")
    if len(view.get("private_metadata", "")) > 3000:
        _fail(where, "private_metadata is longer than 3000")
    if len(view.get("callback_id", "")) > 255:
        _fail(where, "callback_id is longer than 255")
    check_blocks(view.get("blocks", []), limit=VIEW_BLOCKS, where=where)
    return view


def check_message(message: dict[str, Any], where: str = "message") -> None:
    """Check a message's arguments: fallback text, blocks and their limits."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not message.get("text"):
        _fail(where, "has no fallback text (notifications and screen readers need it)")
    if len(message["text"]) > 40000:
        _fail(where, "text is longer than 40000")
    check_blocks(blocks, limit=MESSAGE_BLOCKS, where=where)


def check_calls(calls: Iterable[Any]) -> int:
    """Check every surface in recorded fake Web API calls; return how many were checked."""
    checked = 0
    for number, call in enumerate(calls):
        where = f"call {number} {call.method}"
        if call.method.startswith("views."):
            check_view(call.args["view"], where)
        elif call.method.startswith("chat.") and call.method != "chat.delete":
            check_message(call.args, where)
        elif call.method == "response_url":
            if not call.args.get("delete_original"):
                check_message(call.args, where)
        else:
            continue
        checked += 1
    return checked
