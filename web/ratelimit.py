"""How often one client may ask for the guest pages: a token bucket per client address.

A link's token has 256 random bits, so guessing one is hopeless; the limit keeps a guesser
(or any flood) from costing the database a lookup per request. Each page a client asks for
takes one token from its bucket, which holds ``burst`` tokens and refills ``per_second``;
an empty bucket answers 429 with ``Retry-After``. A guest clicking through the pages
never comes near it (a booking takes about six pages). The static files are not counted.

The client is ``REMOTE_ADDR``: behind a reverse proxy every guest shares the proxy's
address unless the WSGI server is told to trust its ``X-Forwarded-For``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BURST = 30
PER_SECOND = 1.0
MAX_CLIENTS = 10_000


@dataclass
class RateLimit:
    """A bucket of ``burst`` tokens per client, refilled at ``per_second``."""

    burst: int = BURST
    per_second: float = PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, when
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str) -> int:
        """Take a token for ``client``: 0 when it may go on, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / self.per_second))
            if client not in self._buckets and len(self._buckets) >= MAX_CLIENTS:
                self._forget_full(now)
            self._buckets[client] = (tokens - 1, now)
            return 0

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (they hold nothing worth keeping)."""
        full = [
            client
            for client, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self.per_second >= self.burst
        ]
        for client in full or list(self._buckets)[: MAX_CLIENTS // 10]:
            del self._buckets[client]
