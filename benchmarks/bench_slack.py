"""Benchmark the Slack surface: from a signed /book-room to the modal that shows slots.

Run ``python benchmarks/bench_slack.py [--members 200] [--bookings 40000] [--db URL]``. It
seeds the pooled pool of ``--members`` members in 5 zones with ``--bookings`` bookings over
30 days (``datasets.big_pool`` and ``datasets.seed_bookings``) into a fresh SQLite file, or
into ``--db`` (a database that already holds the workspace is used as it is: seed a file
once with ``--keep``, then pass it). The server runs in a process of its own, as
``roundtable serve`` builds it (``bot.app.build_app``, ``bot.server.build_wsgi_app``,
waitress with ``cli.serve.THREADS``, ``gc.freeze``) but with the dataset's clock and without
the background jobs, against the fake Slack Web API. It measures:

* sequential (``--requests``, after 3 warm-ups): ack, the signed request until Slack's 200;
  open, a signed ``/book-room book <date>`` until the fake records its ``views.open`` (a new
  user each time, so ``users.info`` is never cached); screen, until the day's slots are
  shown: that same open, or the ``views.update`` of the loading view that opened in its
  place (``bot.handlers.modals.LOADING_AFTER_SECONDS``); update, a "Next day" click until
  the ``views.update`` with that day's slots;
* burst: ``--burst`` (40) ``/book-room`` from ``--users`` (20) users sent at once: each
  ack, open and screen after its request was sent, and how many opened a loading view;
* the peak resident memory of the server process (``VmHWM``) after both.

Targets (issue 17): every ack of the burst < 1 s and every open < 3 s; sequential open
p95 < 1 s; the server's peak RSS < 400 MB. The screen has no target (the loading view is
there so that it needs none); it is printed beside the open. It checks that every ack came
before its Web API call. The load average is printed with the numbers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, select  # noqa: E402

from benchmarks.datasets import NOW, Scenario, big_pool, install, seed_bookings  # noqa: E402
from storage.db import open_database  # noqa: E402
from storage.tables import WorkspaceRow  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.integration.driver import sign  # noqa: E402

SECRET = "bench-secret"
CLOCK = NOW + timedelta(hours=2)  # what the server reads as now: 08:00 UTC on the first day
ZONES = ("America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo")
ACK_SECONDS = 1.0
OPEN_SECONDS = 3.0
SEQUENTIAL_P95_SECONDS = 1.0
RSS_MB = 400


def _post(url: str, body: str) -> float:
    """Send a signed request; return when its answer (the ack) arrived."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(SECRET, timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200, answer.status
        answer.read()
    return time.perf_counter()


def _command(workspace: str, user: str, trigger: str, text: str, fake: FakeSlackApi) -> str:
    return urlencode(
        {
            "team_id": workspace,
            "user_id": user,
            "command": "/book-room",
            "text": text,
            "channel_id": "C0BENCH",
            "response_url": fake.base_url + "response_url",
            "trigger_id": trigger,
            "api_app_id": "A0BENCH",
        }
    )


def _view(call: Any) -> dict[str, Any]:
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


class Watcher(threading.Thread):
    """Follows the fake's calls (new ones only, every 1 ms, so the watching takes little of
    the CPU the server under test needs): when each trigger's ``views.open`` came, whether
    it was a loading view, and when the trigger's screen came (that open, or the first
    ``views.update`` of the view it opened) with that screen."""

    def __init__(self, fake: FakeSlackApi) -> None:
        super().__init__(daemon=True)
        self.fake = fake
        self.opened: dict[str, float] = {}
        self.loading: set[str] = set()
        self.screens: dict[str, tuple[float, dict[str, Any]]] = {}
        self.updates: list[tuple[float, dict[str, Any]]] = []  # the rest of the updates
        self.stopped = threading.Event()

    def run(self) -> None:
        seen = 0
        while not self.stopped.is_set():
            calls = self.fake.calls
            if len(calls) == seen:
                time.sleep(0.001)
                continue
            now = time.perf_counter()
            for call in calls[seen:]:
                if call.method == "views.open":
                    trigger = str(call.args.get("trigger_id"))
                    self.opened[trigger] = now
                    view = _view(call)
                    if _slots(view) or "book:day:next" in str(view):
                        self.screens[trigger] = (now, view)
                    else:
                        self.loading.add(trigger)
                elif call.method == "views.update":
                    view_id = str(call.args.get("view_id"))
                    trigger = self.fake.opened_by.get(view_id, "")
                    if trigger in self.loading and trigger not in self.screens:
                        self.screens[trigger] = (now, _view(call))
                    else:
                        self.updates.append((now, _view(call)))
            seen = len(calls)

    def screen(self, trigger: str) -> tuple[float, dict[str, Any]]:
        while trigger not in self.screens:
            time.sleep(0.001)
        return self.screens[trigger]

    def update(self, count: int) -> tuple[float, dict[str, Any]]:
        while len(self.updates) < count:
            time.sleep(0.001)
        return self.updates[count - 1]


def _load() -> str:
    return "load average " + " / ".join(f"{load:.1f}" for load in os.getloadavg())


def _slots(view: dict[str, Any]) -> int:
    return sum(
        element["action_id"].startswith("book:slot:")
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _prepare(engine: Engine, scenario: Scenario, bookings: int) -> None:
    with engine.connect() as conn:
        found = conn.execute(
            select(WorkspaceRow.id).where(WorkspaceRow.team_id == scenario.workspace_id)
        ).first()
    if found is not None:
        print("the database holds the workspace already: used as it is")
        return
    install(engine, scenario)
    started = time.perf_counter()
    seeded = seed_bookings(engine, scenario, bookings)
    print(f"seeded {seeded:,} bookings in {time.perf_counter() - started:.0f} s")


def _serve(url: str, fake: FakeSlackApi, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start the server process (``--serve``); return once it answers ``/healthz``."""
    command = [sys.executable, __file__, "--serve", "--db", url, "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen([*command, "--api", fake.base_url], stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def serve(url: str, port: int, api: str) -> None:
    """The server process: the app as ``roundtable serve`` builds it, on the dataset's clock."""
    import waitress

    from bot.app import build_app
    from bot.server import build_wsgi_app
    from bot.settings import Settings
    from bot.verify import MAX_BODY_BYTES
    from cli.serve import THREADS
    from services.context import Services

    engine = open_database(url)
    settings = Settings(
        signing_secret=SECRET,
        database_url=url,
        public_url="https://bench.example.com",
        bot_token="xoxb-bench",
        api_url=api,
    )
    services = Services(engine=engine, clock=lambda: CLOCK)
    wsgi = build_wsgi_app(build_app(settings, services), services)
    gc.freeze()
    waitress.serve(
        wsgi, host="127.0.0.1", port=port, threads=THREADS, max_request_body_size=MAX_BODY_BYTES
    )


def sequential(url: str, fake: FakeSlackApi, scenario: Scenario, requests: int) -> bool:
    """Measure ``requests`` /book-room and Next-day clicks one after another."""
    day = (CLOCK + timedelta(days=1)).date().isoformat()
    acks: list[float] = []
    opens: list[float] = []
    screens: list[float] = []
    updates: list[float] = []
    shown: list[int] = []
    out_of_order = 0
    watcher = Watcher(fake)
    watcher.start()
    for number in range(requests + 3):  # the first three warm up
        user = f"U{number:07d}"
        trigger = f"trigger-{number}"
        fake.add_user(user, tz=ZONES[number % len(ZONES)], real_name=f"User {number}")
        body = _command(scenario.workspace_id, user, trigger, f"book {day}", fake)
        begin = time.perf_counter()
        acked = _post(url, body)
        screened, view = watcher.screen(trigger)
        opened = watcher.opened[trigger]
        shown.append(_slots(view))
        next_day = next(
            element
            for block in view["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == "book:day:next"
        )
        payload = {
            "type": "block_actions",
            "team": {"id": scenario.workspace_id},
            "user": {"id": user, "team_id": scenario.workspace_id},
            "api_app_id": "A0BENCH",
            "trigger_id": f"trigger-next-{number}",
            "container": {"type": "view", "view_id": f"V{number}"},
            "view": {**view, "id": f"V{number}", "hash": "h", "state": {"values": {}}},
            "actions": [{**next_day, "block_id": "book:days", "action_ts": "1"}],
        }
        updated_before = len(watcher.updates)
        click = time.perf_counter()
        clicked = _post(url, urlencode({"payload": json.dumps(payload)}))
        updated, later = watcher.update(updated_before + 1)
        shown.append(_slots(later))
        out_of_order += (acked > opened) + (clicked > updated)
        if number >= 3:
            acks.append(acked - begin)
            opens.append(opened - begin)
            screens.append(screened - begin)
            updates.append(updated - click)
    watcher.stopped.set()
    loading = sum(f"trigger-{number}" in watcher.loading for number in range(3, requests + 3))
    print(
        f"\nsequential: {requests} requests; slots per view: median {statistics.median(shown)}; "
        f"{loading} opened a loading view first; {_load()}"
    )
    ok = not out_of_order
    for name, samples in (("ack", acks), ("open", opens), ("screen", screens), ("update", updates)):
        p50, p95 = _percentiles(samples)
        verdict = ""
        if name == "open":
            met = p95 < SEQUENTIAL_P95_SECONDS
            ok &= met
            verdict = f"  target p95 < {SEQUENTIAL_P95_SECONDS * 1000:.0f} ms: " + (
                "met" if met else "MISSED"
            )
        spread = f"(min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f})"
        print(f"{name:>8}: p50 {p50 * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms {spread}{verdict}")
    order = "always" if not out_of_order else f"NOT {out_of_order}x"
    print(f"ack before the Web API call: {order}")
    return ok


def burst(url: str, fake: FakeSlackApi, scenario: Scenario, count: int, users: int) -> bool:
    """Send ``count`` /book-room from ``users`` users at once; time each ack and each open."""
    day = (CLOCK + timedelta(days=1)).date().isoformat()
    names = [f"UBURST{number:04d}" for number in range(users)]
    for number, user in enumerate(names):
        fake.add_user(user, tz=ZONES[number % len(ZONES)], real_name=f"Burst {number}")
    bodies = [
        _command(scenario.workspace_id, names[n % users], f"burst-{n}", f"book {day}", fake)
        for n in range(count)
    ]
    sent: dict[int, float] = {}
    acks: dict[int, float] = {}
    gate = threading.Barrier(count)

    def send(number: int) -> None:
        gate.wait()
        sent[number] = time.perf_counter()
        acks[number] = _post(url, bodies[number]) - sent[number]

    watcher = Watcher(fake)
    watcher.start()
    threads = [threading.Thread(target=send, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    give_up = time.perf_counter() + 120
    triggers = [f"burst-{n}" for n in range(count)]
    while not all(t in watcher.screens for t in triggers) and time.perf_counter() < give_up:
        time.sleep(0.01)
    watcher.stopped.set()
    opens = {
        n: watcher.opened[f"burst-{n}"] - sent[n] for n in sent if f"burst-{n}" in watcher.opened
    }
    screens = {
        n: watcher.screens[f"burst-{n}"][0] - sent[n]
        for n in sent
        if f"burst-{n}" in watcher.screens
    }
    late_acks = sum(seconds >= ACK_SECONDS for seconds in acks.values())
    late_opens = count - sum(seconds < OPEN_SECONDS for seconds in opens.values())
    print(f"\nburst: {count} /book-room from {users} users at once; {_load()}")
    print(
        f"{'ack':>8}: {_spread(list(acks.values()))}; {count - late_acks} of {count} "
        f"< {ACK_SECONDS * 1000:.0f} ms: {'met' if not late_acks else 'MISSED'}"
    )
    if opens:
        print(
            f"{'open':>8}: {_spread(list(opens.values()))}; {count - late_opens} of {count} "
            f"< {OPEN_SECONDS * 1000:.0f} ms: {'met' if not late_opens else 'MISSED'}; "
            f"{sum(t in watcher.loading for t in triggers)} loading views"
        )
    if screens:
        print(f"{'screen':>8}: {_spread(list(screens.values()))}; {len(screens)} of {count} shown")
    return not late_acks and not late_opens


def _spread(samples: list[float]) -> str:
    p50, p95 = _percentiles(samples)
    return f"p50 {p50 * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms  max {max(samples) * 1000:6.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--bookings", type=int, default=40_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--burst", type=int, default=40)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--db", help="a database URL to use (seeded when it lacks the workspace)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and print it")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.db, args.port, args.api)
        return

    scenario = big_pool(members=args.members, zones=5, days=30)
    folder = tempfile.mkdtemp() if args.keep else None
    with tempfile.TemporaryDirectory() as tmp, FakeSlackApi() as fake:
        url = args.db or f"sqlite:///{Path(folder or tmp) / 'bench.db'}"
        if args.keep:
            print(f"database: {url}")
        engine = open_database(url)
        _prepare(engine, scenario, args.bookings)
        engine.dispose()
        port = _free_port()
        server = _serve(url, fake, port, Path(tmp) / "serve.log")
        events = f"http://127.0.0.1:{port}/slack/events"
        try:
            print(
                f"{args.members} members, {args.bookings:,} bookings, "
                f"{url.split(':', 1)[0]}; server pid {server.pid}"
            )
            ok = sequential(events, fake, scenario, args.requests)
            ok &= burst(events, fake, scenario, args.burst, args.users)
            time.sleep(1)  # the last Web API calls of the burst
            rss = _peak_rss_mb(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    met = rss < RSS_MB
    print(f"\nserver's peak RSS: {rss:.0f} MB  target < {RSS_MB} MB: {'met' if met else 'MISSED'}")
    if not (ok and met):
        sys.exit(1)


if __name__ == "__main__":
    main()
