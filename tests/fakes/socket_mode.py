"""Slack's end of Socket Mode on 127.0.0.1: a real WebSocket server speaking its protocol.

The app asks the Web API's ``apps.connections.open`` for a URL (point the fake Web API's
``socket_url`` at ``FakeSocketMode.url``), opens a WebSocket there, and receives a ``hello``.
Then ``send`` pushes an envelope (``{"envelope_id", "type", "payload",
"accepts_response_payload"}``) down the newest connection, as Slack does with a slash command
(``slash_commands``), a click or a submission (``interactive``) or an event (``events_api``);
the app answers each with an ack ``{"envelope_id", "payload"?}``, which ``ack_of`` waits for.
``drop`` closes the newest connection from the server's side, as Slack does when it moves
an app to another host. (A connection cut without a closing frame is noticed by slack_sdk
only when its pings go unanswered, 40 seconds at Bolt's default interval.)
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "A0ROUNDTABLE"


class FakeSocketMode:
    """The server; use as a context manager."""

    def __init__(self) -> None:
        self._acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self._connections: list[ServerConnection] = []
        self._changed = threading.Condition()
        self._server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake-ticket&app_id={APP_ID}"

    def __enter__(self) -> FakeSocketMode:
        self._server = serve(self._serve, "127.0.0.1", 0, compression=None, close_timeout=2)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()

    @property
    def connections(self) -> int:
        """How many connections the app has opened so far."""
        with self._changed:
            return len(self._connections)

    def wait_for_connection(self, number: int, timeout: float = 30) -> None:
        """Wait until the app has opened its ``number``-th connection."""
        with self._changed:
            opened = self._changed.wait_for(lambda: len(self._connections) >= number, timeout)
        assert opened, f"the app opened {self.connections} connection(s), not {number}"

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Push an envelope down the newest connection; return its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        with self._changed:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def ack_of(self, envelope_id: str, timeout: float) -> dict[str, Any]:
        """Wait for the app's ack of an envelope; fail when none comes within ``timeout``."""
        while True:
            try:
                ack = self._acks.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no ack of envelope {envelope_id}") from None
            if ack.get("envelope_id") == envelope_id:
                return ack

    def drop(self) -> None:
        """Close the newest connection from the server's side (1001, going away)."""
        with self._changed:
            connection = self._connections[-1]
        connection.close(code=1001, reason="going away")

    def _serve(self, connection: ServerConnection) -> None:
        with self._changed:
            self._connections.append(connection)
            number = len(self._connections)
            self._changed.notify_all()
        hello = {
            "type": "hello",
            "num_connections": number,
            "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
        connection.send(json.dumps(hello))
        try:
            for message in connection:
                self._acks.put(json.loads(message))
        except ConnectionClosed:
            pass
