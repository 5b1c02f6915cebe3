"""Plays Slack against the real app: signed HTTP requests, and the modal as Slack keeps it.

``SlackDriver`` posts to ``/slack/events`` exactly as Slack does: slash commands form-encoded,
interactions as a form field ``payload`` holding JSON, each signed with v0 HMAC-SHA256 over
``v0:{timestamp}:{body}``. After a request it waits until the app's listeners have finished
(their Web API calls land in the fake), so a test reads the outcome right away.

``Modal`` is the modal on the user's screen: it follows ``views.open``/``views.update`` and
``response_action: update`` and clicks, selects and submits like a user would.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_api import FakeSlackApi

TEAM = "T0TEST"
APP_ID = "A0ROUNDTABLE"
CHANNEL = "C0GENERAL"


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, remembering its work so a test can wait for all of it."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def drain(self, timeout: float = 20) -> None:
        while True:
            with self._lock:
                pending = [future for future in self._futures if not future.done()]
            if not pending:
                return
            _, not_done = wait(pending, timeout=timeout)
            assert not not_done, "listeners still running"


class HeldDeadlines:
    """``bot.handlers.modals.Deadlines`` that come only when the test says (``fire``): a
    modal opens directly unless the test lets its loading view's deadline pass first."""

    def __init__(self) -> None:
        self._due: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.armed = 0
        """How many deadlines were ever set."""

    def __call__(self, at: float, call: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            self._due.append(call)
            self.armed += 1

        def cancel() -> None:
            with self._lock:
                if call in self._due:
                    self._due.remove(call)

        return cancel

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._due)

    def fire(self) -> int:
        """Let every pending deadline pass, in the caller's thread; how many there were."""
        with self._lock:
            due, self._due = self._due, []
        for call in due:
            call()
        return len(due)


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class SlackDriver:
    url: str
    secret: str
    fake: FakeSlackApi
    executor: TrackingExecutor
    team: str = TEAM
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    timestamp_shift: int = 0
    deadlines: HeldDeadlines = field(default_factory=HeldDeadlines)

    # --- raw requests --------------------------------------------------------------------

    def post(
        self,
        body: str,
        *,
        signature: str | None = None,
        timestamp: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST a body to /slack/events, signed unless told otherwise; wait for listeners."""
        timestamp = timestamp or str(int(time.time()) + self.timestamp_shift)
        request = urllib.request.Request(
            self.url + "/slack/events",
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": signature or sign(self.secret, timestamp, body),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:
                response = Response(answer.status, answer.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                response = Response(error.code, error.read().decode())
        self.executor.drain()
        return response

    def next_id(self) -> int:
        return next(self._ids)

    def response_url(self) -> str:
        return self.fake.base_url + "response_url"

    # --- what Slack sends ----------------------------------------------------------------

    def command_body(self, command: str, text: str = "", *, user: str) -> str:
        number = self.next_id()
        return urlencode(
            {
                "token": "legacy-token",
                "team_id": self.team,
                "team_domain": "test",
                "channel_id": CHANNEL,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": APP_ID,
                "is_enterprise_install": "false",
                "response_url": self.response_url(),
                "trigger_id": f"trigger-{number}",
            }
        )

    def command(self, command: str, text: str = "", *, user: str, **kw: Any) -> Response:
        return self.post(self.command_body(command, text, user=user), **kw)

    def interaction(self, payload: dict[str, Any], **kw: Any) -> Response:
        return self.post(urlencode({"payload": json.dumps(payload)}), **kw)

    def _base(self, kind: str, user: str) -> dict[str, Any]:
        return {
            "type": kind,
            "team": {"id": self.team, "domain": "test"},
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": self.team,
            },
            "api_app_id": APP_ID,
            "token": "legacy-token",
            "trigger_id": f"trigger-{self.next_id()}",
            "is_enterprise_install": False,
        }

    def message_action(
        self, message: dict[str, Any], action_id: str, *, user: str, **kw: Any
    ) -> Response:
        """Click the button ``action_id`` of a message the app sent (a DM or an ephemeral)."""
        block_id, element = find_element(message.get("blocks") or [], action_id)
        payload = {
            **self._base("block_actions", user),
            "container": {
                "type": "message",
                "message_ts": "1700000000.000001",
                "channel_id": CHANNEL,
                "is_ephemeral": True,
            },
            "channel": {"id": CHANNEL, "name": "general"},
            "message": {
                "type": "message",
                "ts": "1700000000.000001",
                "text": message.get("text"),
                "blocks": message.get("blocks"),
            },
            "response_url": self.response_url(),
            "actions": [action_payload(block_id, element)],
        }
        return self.interaction(payload, **kw)

    # --- the modal -----------------------------------------------------------------------

    def opened_modal(self, *, user: str) -> Modal:
        """The modal of the last views.open, as the user sees it."""
        calls = self.fake.calls_to("views.open")
        assert calls, "the app opened no modal"
        view = as_dict(calls[-1].args["view"])
        return Modal(self, view, user=user, id=f"V{self.next_id():06d}")

    def last_message(self, method: str = "response_url") -> dict[str, Any]:
        calls = self.fake.calls_to(method)
        assert calls, f"no {method} call"
        args = dict(calls[-1].args)
        if isinstance(args.get("blocks"), str):
            args["blocks"] = json.loads(args["blocks"])
        return args


def as_dict(view: Any) -> dict[str, Any]:
    return json.loads(view) if isinstance(view, str) else dict(view)


def find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]]:
    for block in blocks:
        elements = list(block.get("elements") or []) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") == action_id:
                return block.get("block_id", ""), element
    raise AssertionError(f"no element {action_id} in {json.dumps(blocks)[:2000]}")


def action_payload(block_id: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
        **({"value": element["value"]} if "value" in element else {}),
        **extra,
    }


def texts(blocks: list[dict[str, Any]]) -> str:
    """All the words of some blocks, for assertions about what the user reads."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn"):
                found.append(node["text"])
            else:
                for value in node.values():
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


@dataclass
class Modal:
    driver: SlackDriver
    view: dict[str, Any]
    user: str
    id: str

    @property
    def text(self) -> str:
        return texts(self.view["blocks"])

    @property
    def callback_id(self) -> str:
        return self.view.get("callback_id", "")

    def slot_buttons(self) -> list[dict[str, Any]]:
        return [
            element
            for block in self.view["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"].startswith("book:slot:")
        ]

    def action_payload(self, action_id: str) -> dict[str, Any]:
        """What Slack sends when the user clicks the button ``action_id`` of this modal."""
        block_id, element = find_element(self.view["blocks"], action_id)
        return self._action_body(action_payload(block_id, element))

    def _action_body(self, action: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.driver._base("block_actions", self.user),
            "container": {"type": "view", "view_id": self.id},
            "view": {
                **self.view,
                "id": self.id,
                "hash": f"h{self.driver.next_id()}",
                "team_id": self.driver.team,
                "state": {"values": {}},
            },
            "actions": [action],
        }

    def _act(self, action: dict[str, Any]) -> Response:
        before = len(self.driver.fake.calls_to("views.update"))
        response = self.driver.interaction(self._action_body(action))
        updates = self.driver.fake.calls_to("views.update")[before:]
        for call in updates:
            if call.args.get("view_id") == self.id:
                self.view = as_dict(call.args["view"])
        return response

    def click(self, action_id: str) -> Response:
        block_id, element = find_element(self.view["blocks"], action_id)
        return self._act(action_payload(block_id, element))

    def click_slot(self, index: int = 0) -> Response:
        return self.click(self.slot_buttons()[index]["action_id"])

    def select(self, action_id: str, value: str) -> Response:
        block_id, element = find_element(self.view["blocks"], action_id)
        option = next(o for o in element["options"] if o["value"] == value)
        return self._act(action_payload(block_id, element, selected_option=option))

    def pick_date(self, action_id: str, day: date) -> Response:
        block_id, element = find_element(self.view["blocks"], action_id)
        return self._act(action_payload(block_id, element, selected_date=day.isoformat()))

    def submit_payload(self, answers: dict[str, str] | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for block in self.view["blocks"]:
            if block["type"] != "input":
                continue
            element = block["element"]
            value = (answers or {}).get(block["block_id"], element.get("initial_value"))
            values[block["block_id"]] = {
                element["action_id"]: {"type": element["type"], "value": value}
            }
        return {
            **self.driver._base("view_submission", self.user),
            "view": {
                **self.view,
                "id": self.id,
                "hash": "h-submit",
                "team_id": self.driver.team,
                "state": {"values": values},
            },
            "response_urls": [],
        }

    def submit(self, answers: dict[str, str] | None = None, **kw: Any) -> Response:
        """Press the submit button; a ``response_action: update`` becomes the view shown."""
        response = self.driver.interaction(self.submit_payload(answers), **kw)
        answer = response.json() if response.body.strip().startswith("{") else None
        if answer and answer.get("response_action") == "update":
            self.view = as_dict(answer["view"])
        return response
