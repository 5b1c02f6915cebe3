"""Benchmark the Slack surface: from a signed /book-room to the modal that shows slots.

Run ``python benchmarks/bench_slack.py [--requests N]``. It builds the pooled pool of 200
members in 5 zones with 40,000 bookings over 30 days (``datasets.big_pool``) in a SQLite file,
serves the real app on 127.0.0.1 with waitress (as ``roundtable serve`` does) against the
fake Slack Web API, and measures, per request:

* ack: the signed HTTP request until Slack's 200 (the 3-second deadline);
* open: the signed ``/book-room book <date>`` until the fake records ``views.open`` with the
  day's slots (a new user each time, so ``users.info`` is never cached);
* update: a "Next day" click in the modal until the ``views.update`` with that day's slots.

It prints p50 and p95 and checks that every ack came before its Web API call. Target: p95
of open and update < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from waitress.server import create_server  # noqa: E402

from benchmarks.datasets import big_pool, install, seed_bookings  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.server import build_wsgi_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from services.context import Services  # noqa: E402
from storage.db import open_database  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.integration.driver import sign  # noqa: E402

SECRET = "bench-secret"
TARGET_P95_MS = 300.0
ZONES = ("America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo")


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
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200, answer.status
        answer.read()
    return time.perf_counter()


def _wait_for(fake: FakeSlackApi, method: str, count: int) -> tuple[float, dict]:
    while len(calls := fake.calls_to(method)) < count:
        time.sleep(0.0005)
    arrived = time.perf_counter()
    view = calls[count - 1].args["view"]
    return arrived, json.loads(view) if isinstance(view, str) else view


def _slots(view: dict) -> int:
    return sum(
        element["action_id"].startswith("book:slot:")
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    scenario = big_pool(members=200, zones=5, days=30)
    with tempfile.TemporaryDirectory() as tmp, FakeSlackApi() as fake:
        engine = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        install(engine, scenario)
        started = time.perf_counter()
        seeded = seed_bookings(engine, scenario, 40_000)
        print(f"seeded {seeded} bookings in {time.perf_counter() - started:.1f} s")
        settings = Settings(
            signing_secret=SECRET,
            database_url=str(engine.url),
            public_url="https://bench.example.com",
            bot_token="xoxb-bench",
            api_url=fake.base_url,
        )
        services = Services(engine=engine, clock=lambda: scenario.now + timedelta(hours=2))
        app = build_app(settings, services)
        server = create_server(build_wsgi_app(app, services), host="127.0.0.1", port=0, threads=8)
        threading.Thread(target=server.run, daemon=True).start()
        url = f"http://127.0.0.1:{server.effective_port}/slack/events"
        day = (scenario.now + timedelta(days=1)).date().isoformat()

        acks: list[float] = []
        opens: list[float] = []
        updates: list[float] = []
        out_of_order = 0
        slots_shown: list[int] = []
        for number in range(args.requests + 3):  # the first three warm up
            user = f"U{number:07d}"
            fake.add_user(user, tz=ZONES[number % len(ZONES)], real_name=f"User {number}")
            body = urlencode(
                {
                    "team_id": scenario.workspace_id,
                    "user_id": user,
                    "command": "/book-room",
                    "text": f"book {day}",
                    "channel_id": "C0BENCH",
                    "response_url": fake.base_url + "response_url",
                    "trigger_id": f"trigger-{number}",
                    "api_app_id": "A0BENCH",
                }
            )
            begin = time.perf_counter()
            acked = _post(url, body)
            opened, view = _wait_for(fake, "views.open", number + 1)
            slots_shown.append(_slots(view))
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
            click = time.perf_counter()
            clicked_ack = _post(url, urlencode({"payload": json.dumps(payload)}))
            updated, later = _wait_for(fake, "views.update", number + 1)
            out_of_order += (acked > opened) + (clicked_ack > updated)
            if number >= 3:
                acks.append((acked - begin) * 1000)
                opens.append((opened - begin) * 1000)
                updates.append((updated - click) * 1000)
            slots_shown.append(_slots(later))
        server.close()
        engine.dispose()

    print(
        f"{args.requests} requests; slots shown per view: median {statistics.median(slots_shown)}"
    )
    failed = False
    for name, samples in (("ack", acks), ("open", opens), ("update", updates)):
        p50, p95 = _percentiles(samples)
        verdict = ""
        if name != "ack":
            ok = p95 < TARGET_P95_MS
            failed |= not ok
            verdict = f"  target p95 < {TARGET_P95_MS:.0f} ms: {'met' if ok else 'MISSED'}"
        print(f"{name:>6}: p50 {p50:7.1f} ms  p95 {p95:7.1f} ms{verdict}")
    print(
        f"ack before the Web API call: {'always' if not out_of_order else f'NOT {out_of_order}x'}"
    )
    if failed or out_of_order:
        sys.exit(1)


if __name__ == "__main__":
    main()
