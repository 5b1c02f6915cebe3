"""A fake Slack Web API on 127.0.0.1 that records every call and can be told to fail.

Point slack_sdk at it with ``WebClient(base_url=fake.base_url)`` (or ``SLACK_API_URL``).
Each call is recorded as a ``Call`` (method, arguments, headers). Answers are
``{"ok": true, ...}`` with plausible defaults per method; ``fail_next`` queues a failure
for a method: a Slack error (``expired_trigger_id``, ``users_not_found``, ...), an HTTP
status (500), or a 429 with ``Retry-After``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class _Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None


@dataclass
class FakeSlackApi:
    """The server; use as a context manager or call ``start``/``stop``."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    socket_url: str | None = None
    """What ``apps.connections.open`` answers: a Socket Mode server's ws:// URL."""
    installs_team: str = "T0INSTALL"
    """The team ``oauth.v2.access`` installs the app into."""
    opened_by: dict[str, str] = field(default_factory=dict)
    """The trigger_id each view id ``views.open`` answered was opened with."""
    delays: dict[str, float] = field(default_factory=dict)
    """Seconds to wait before answering a method (a slow Slack)."""
    _failures: dict[str, deque[_Failure]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def start(self) -> FakeSlackApi:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "Europe/London",
        is_admin: bool = False,
        is_owner: bool = False,
        **profile: Any,
    ) -> None:
        """Make ``users.info`` know a user with a time zone, Slack role and profile fields."""
        self.users[user_id] = {
            "id": user_id,
            "tz": tz,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "profile": profile,
        }

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a failure."""
        if retry_after is not None:
            status = 429
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.extend([_Failure(status, error, retry_after)] * times)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()

    def _answer(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
            ts = f"1700000000.{next(self._ts):06d}"
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            if failure.status != 200:
                body: Any = {"ok": False, "error": failure.error or "ratelimited"}
                return failure.status, headers, body
            return 200, headers, {"ok": False, "error": failure.error}
        return 200, {}, self._success(method, args, ts)

    def _success(self, method: str, args: dict[str, Any], ts: str) -> dict[str, Any]:
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts", ts)}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            number = ts.replace(".", "")
            if method == "views.open":
                with self._lock:
                    self.opened_by[f"V{number}"] = str(args.get("trigger_id"))
            return {"ok": True, "view": {**(view or {}), "id": f"V{number}", "hash": f"H{number}"}}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.replace(",", "")}}
        if method == "auth.test":
            return {"ok": True, "team_id": "T0ACME", "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "apps.connections.open":
            if self.socket_url is None:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "app_id": "A0ROUNDTABLE",
                "authed_user": {"id": "U0INSTALLER"},
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": "xoxb-installed-by-oauth",
                "bot_user_id": "U0BOT",
                "team": {"id": self.installs_team, "name": "Installing team"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        return {"ok": True}


def _handler_for(fake: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            method = self.path.rsplit("/", 1)[-1].split("?", 1)[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                args: dict[str, Any] = json.loads(raw or "{}")
            else:
                args = {key: values[-1] for key, values in parse_qs(raw).items()}
            headers = {key.lower(): value for key, value in self.headers.items()}
            with fake._lock:
                fake.calls.append(Call(method, args, headers))
            if method in fake.delays:
                time.sleep(fake.delays[method])
            status, extra, body = fake._answer(method, args)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
