"""``roundtable serve`` in local mode (no Slack) emails guests who book on the guest pages.

That the booking's commit wakes the job (rather than the 5 s poll) is shown with a dispatcher
polling hourly in ``test_immediate_delivery.py``; here the whole process runs as deployed.
"""

from __future__ import annotations

import http.cookiejar
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from services.config import apply_config
from services.context import CommandLine
from services.links import create_link
from storage.db import open_database
from tests.integration.test_serve import ROUNDTABLE, _free_port, _health
from tests.notifications.smtp_server import SmtpServer
from tests.web.conftest import CONFIG
from tests.web.pages import Page

WAIT_SECONDS = 15.0


def _environment(database: str, smtp: SmtpServer, public_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database,
        SMTP_URL=smtp.url,
        MAIL_FROM="Acme Bookings <bookings@acme.test>",
        ROUNDTABLE_SECRET="serve mail secret",
        PUBLIC_URL=public_url,
    )
    env.update(extra)
    return env


def test_a_guest_who_books_on_the_guest_page_is_emailed(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = open_database(database)
    (tmp_path / "guest.yml").write_text(CONFIG)
    apply_config(engine, tmp_path / "guest.yml")
    port = _free_port()
    public_url = f"http://127.0.0.1:{port}"
    token = create_link(
        engine,
        "T0001",
        "demo",
        actor=CommandLine(),
        public_url=public_url,
        now=datetime.now(UTC),
        event_type="intro",
        name="Ann Lee",
        email="ann@example.com",
        form_answers={"topic": "Demo"},
    ).token
    engine.dispose()

    with SmtpServer() as smtp:
        server = subprocess.Popen(
            [ROUNDTABLE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_environment(database, smtp, public_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while _health(port) is None and time.monotonic() < deadline:
                assert server.poll() is None, server.communicate()[1]
                time.sleep(0.2)
            browser = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )

            def get(path: str) -> Page:
                with browser.open(public_url + path, timeout=10) as answer:
                    return Page(answer.read().decode())

            form = get(get(f"/l/{token}").slot_urls()[0])
            assert form.form_action is not None
            body = urllib.parse.urlencode(form.fields).encode()
            with browser.open(public_url + form.form_action, data=body, timeout=10) as answer:
                assert "You're booked" in answer.read().decode()
            booked = time.monotonic()
            while not smtp.received and time.monotonic() - booked < WAIT_SECONDS:
                time.sleep(0.02)
        finally:
            server.send_signal(signal.SIGTERM)
            _, stderr = server.communicate(timeout=15)
        received = smtp.received

    assert server.returncode == 0, stderr
    (email,) = received
    assert email.recipients == ("ann@example.com",)
    text = email.message.get_body(("plain",)).get_content()
    assert f"{public_url}/m/" in text
    assert email.message["Subject"].startswith("Booked: Intro call on ")


def test_serve_with_a_bad_smtp_url_stops_in_one_line(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        result = subprocess.run(
            [ROUNDTABLE, "serve", "--port", str(_free_port())],
            env=_environment(
                f"sqlite:///{tmp_path / 'serve.db'}", smtp, "http://x", SMTP_URL="smtp://"
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: SMTP_URL: no host")
