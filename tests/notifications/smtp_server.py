"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts and can misbehave.

``refuse`` answers the next ``RCPT TO`` commands with a reply such as ``550 5.1.1 no such
user``; ``drop`` closes the connection instead of answering the next ``DATA`` (after the
message was sent: the sender cannot tell whether it was accepted).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusals: deque[str] = deque()
        self.drops = 0
        self.dropped = 0
        self.lock = threading.Lock()

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.drops:
                self.drops -= 1
                self.dropped += 1
                server.transport.close()
                return "421 4.3.0 dropped"
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 2.0.0 OK"


class SmtpServer:
    """Start with ``with SmtpServer() as server``; ``url`` is its ``SMTP_URL``."""

    def __init__(self) -> None:
        self.handler = _Handler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, *replies: str) -> None:
        with self.handler.lock:
            self.handler.refusals.extend(replies)

    def drop(self, times: int = 1) -> None:
        with self.handler.lock:
            self.handler.drops += times

    @property
    def dropped(self) -> int:
        with self.handler.lock:
            return self.handler.dropped

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
