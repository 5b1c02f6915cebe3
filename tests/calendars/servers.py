"""Real servers on 127.0.0.1 for the calendar tests: ICS feeds over http.server, Radicale."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Feed:
    """What one path serves; ``status`` other than 200 answers that status (with ``location``
    as its ``Location`` header, for a redirect)."""

    body: bytes
    status: int = 200
    delay: float = 0.0
    etag: bool = True
    location: str | None = None


@dataclass
class FeedServer:
    """An http.server that serves feeds and honours If-None-Match (a weak ETag of the body)."""

    base_url: str
    feeds: dict[str, Feed] = field(default_factory=dict)
    requests: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, path: str, body: bytes | str, **options: object) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.feeds[path] = Feed(data, **options)  # type: ignore[arg-type]
        return f"{self.base_url}{path}"

    def statuses(self, path: str) -> list[int]:
        with self.lock:
            return [status for seen, status in self.requests if seen == path]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed = server.feeds.get(self.path.split("?")[0])
            status = 404 if feed is None else feed.status
            if feed is not None and feed.delay:
                time.sleep(feed.delay)
            etag = None
            if feed is not None and status == 200 and feed.etag:
                etag = '"' + hashlib.sha256(feed.body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    status = 304
            with server.lock:
                server.requests.append((self.path.split("?")[0], status))
            try:
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                if feed is not None and feed.location:
                    self.send_header("Location", feed.location)
                if status == 200 and feed is not None:
                    self.send_header("Content-Type", "text/calendar; charset=utf-8")
                    self.send_header("Content-Length", str(len(feed.body)))
                    self.end_headers()
                    self.wfile.write(feed.body)
                else:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    """Serve feeds on a free port of 127.0.0.1 until the block ends."""
    state = FeedServer(base_url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass(frozen=True)
class Radicale:
    url: str
    username: str
    password: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def radicale_server(folder: Path) -> Iterator[Radicale]:
    """Run Radicale on 127.0.0.1 with plain htpasswd users and storage under ``folder``."""
    port = _free_port()
    users = folder / "users"
    users.write_text("alice:wonderland\nbob:builder\n")
    config = folder / "radicale.conf"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n"
        # Radicale waits a second after every 401, and a client's first request, sent
        # without credentials, always gets one: no wait, for the tests' speed.
        "delay = 0\n"
        "[rights]\ntype = owner_only\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n"
        "[logging]\nlevel = warning\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Radicale did not start") from error
                time.sleep(0.1)
        yield Radicale(f"http://127.0.0.1:{port}", "alice", "wonderland")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
