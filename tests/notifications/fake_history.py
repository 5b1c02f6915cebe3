"""The fake Slack Web API plus a message history, so the dispatcher's dedupe search finds posts.

``conversations.history`` (a GET in slack_sdk) answers from the messages this fake posted, newest
first, with their metadata when ``include_all_metadata`` is set. ``oldest`` is ignored: the fake's
``ts`` values are not wall-clock times, and the tests drive the dispatcher with a fixed clock.
``post_delay`` slows every ``chat.postMessage`` down (seconds) to make concurrency observable.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.slack_api import Call, FakeSlackApi, _handler_for


@dataclass
class HistoryFakeSlackApi(FakeSlackApi):
    posted: list[dict[str, Any]] = field(default_factory=list)
    post_delay: float = 0.0

    def start(self) -> HistoryFakeSlackApi:
        fake = self

        class Handler(_handler_for(self)):  # type: ignore[misc]
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                method = url.path.rsplit("/", 1)[-1]
                args = {key: values[-1] for key, values in parse_qs(url.query).items()}
                headers = {key.lower(): value for key, value in self.headers.items()}
                with fake._lock:
                    fake.calls.append(Call(method, args, headers))
                status, extra, body = fake._answer(method, args)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _success(self, method: str, args: dict[str, Any], ts: str) -> dict[str, Any]:
        answer = super()._success(method, args, ts)
        if method == "chat.postMessage":
            if self.post_delay:
                time.sleep(self.post_delay)
            channel = str(args.get("channel"))
            if channel[:1] in ("U", "W"):
                channel = "D" + channel  # the app's DM with that user, as conversations.open says
            with self._lock:
                self.posted.append(
                    {**args, "channel": channel, "ts": answer["ts"], "received_at": time.time()}
                )
        if method == "conversations.history":
            with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
            with self._lock:
                messages = [
                    {
                        "type": "message",
                        "ts": post["ts"],
                        "text": post.get("text"),
                        **({"metadata": post.get("metadata")} if with_metadata else {}),
                    }
                    for post in reversed(self.posted)
                    if post["channel"] == args.get("channel")
                ]
            return {"ok": True, "messages": messages, "has_more": False}
        return answer

    def outbox_ids(self) -> Counter[str]:
        """Count the successful posts per outbox id (from their metadata)."""
        with self._lock:
            return Counter(post["metadata"]["event_payload"]["outbox_id"] for post in self.posted)

    def posts_to(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [post for post in self.posted if post["channel"] == channel]
