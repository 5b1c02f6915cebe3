"""Email to guests through the outbox, against a real SMTP server (aiosmtpd on 127.0.0.1).

Bookings are stored and queued as in the other outbox tests (both databases); the email
deliverer is the one ``roundtable serve`` and ``roundtable worker`` build from the
environment. Only email rows are claimed: no Slack client is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from sqlalchemy import Engine

from bot.blocks.home import NO_GUEST_EMAIL, build_home
from bot.mail import mail_senders
from cli.main import cli
from engine.model import BookingStatus
from engine.records import Booking, Channel, OutboxMessage, OutboxStatus, Reassignment
from services.admin import home_overview
from services.context import SlackUser
from services.delivery import DEFAULT_LEASE, MAX_ATTEMPTS, DispatchResult, dispatch_due
from services.manage_links import manage_url
from services.notifications import (
    failed_notifications,
    queue_cancelled,
    queue_reassigned,
    queue_rescheduled,
)
from storage.outbox import OutboxRepository
from storage.uow import UnitOfWork
from tests.blocks.test_home_blocks import _overview
from tests.notifications.conftest import NOW, START, TEAM, a_booking, book
from tests.notifications.smtp_server import SmtpServer

PUBLIC_URL = "https://book.acme.test"
SECRET = "mail test secret"
SENDER = "bookings@acme.test"
VIDEO = "https://meet.acme.test/gina?a=1&b=2"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer) -> None:
    monkeypatch.setenv("SMTP_URL", smtp.url)
    monkeypatch.setenv("MAIL_FROM", f"Acme Bookings <{SENDER}>")
    monkeypatch.setenv("ROUNDTABLE_SECRET", SECRET)


def guest_booking(start: datetime = START, **fields: object) -> Booking:
    """A booking of the guest Gina Guest (in Paris) with a video link, owned by Alice."""
    fields.setdefault("location", VIDEO)
    booking = a_booking(start, customer=None, customer_timezone="Europe/Paris")
    return replace(booking, **fields)  # type: ignore[arg-type]


def dispatch(engine: Engine, now: datetime = NOW) -> DispatchResult:
    return dispatch_due(engine, mail_senders(engine, os.environ, public_url=PUBLIC_URL), now=now)


def emails(engine: Engine, booking: Booking) -> list[OutboxMessage]:
    with UnitOfWork(engine) as uow:
        messages = uow.outbox.for_booking(TEAM, booking.id)
    return [m for m in messages if m.channel == Channel.EMAIL]


def the_email(engine: Engine, booking: Booking, kind: str = "booked") -> OutboxMessage:
    (message,) = [m for m in emails(engine, booking) if m.kind == kind]
    return message


def calendar_of(received: object) -> Calendar:
    message = received.message  # type: ignore[attr-defined]
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "invite.ics"
    return Calendar.from_ical(part.get_content())


def test_without_smtp_no_email_is_queued_and_admins_are_told(
    workspace: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMTP_URL", raising=False)
    monkeypatch.setenv("MAIL_FROM", SENDER)
    booking = book(workspace, guest_booking())

    assert emails(workspace, booking) == []
    overview = home_overview(workspace, TEAM, actor=SlackUser("U0ADMIN"), now=NOW)
    assert overview.guest_email is False
    home = build_home(overview, tz="Europe/London").to_dict()
    assert NO_GUEST_EMAIL in str(home)
    assert NO_GUEST_EMAIL not in str(build_home(_overview(admin=True), tz="UTC").to_dict())


def test_a_guest_gets_a_confirmation_and_reminders_and_a_member_customer_none(
    workspace: Engine, mail_env: None
) -> None:
    guest = book(workspace, guest_booking())
    member = book(workspace, a_booking(START + timedelta(hours=2)))

    queued = emails(workspace, guest)
    assert sorted((m.kind, m.due_at) for m in queued) == [
        ("booked", NOW),
        ("reminder", START - timedelta(hours=24)),
        ("reminder", START - timedelta(minutes=15)),
    ]
    assert {m.recipient for m in queued} == {"gina@example.com"}
    assert emails(workspace, member) == []


def test_the_confirmation_reaches_the_server_with_the_invitation_and_the_manage_link(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    booking = book(workspace, guest_booking())
    row = the_email(workspace, booking)

    assert dispatch(workspace) == DispatchResult(claimed=1, sent=1)
    assert dispatch(workspace) == DispatchResult()

    (received,) = smtp.received
    message = received.message
    link = manage_url(PUBLIC_URL, SECRET.encode(), booking.id)
    assert (received.sender, received.recipients) == (SENDER, ("gina@example.com",))
    assert message["Message-ID"] == f"<{row.id}@acme.test>"
    assert message["To"] == "Gina Guest <gina@example.com>"
    assert message["From"] == f"Acme Bookings <{SENDER}>"
    assert message["Subject"] == "Booked: Intro call on Thu 03 Dec 10:00"  # the guest's Paris time
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Thursday 3 December 2026, 10:00 to 10:30 (Europe/Paris)" in text
    assert f"Where:     {VIDEO}" in text
    assert link in text
    assert f'<a href="{link}">' in html
    assert f'<a href="{VIDEO.replace("&", "&amp;")}">' in html

    event = calendar_of(received).walk("VEVENT")[0]
    assert str(calendar_of(received)["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == booking.id
    assert event.decoded("DTSTART") == START
    assert str(event["LOCATION"]) == VIDEO
    assert str(event["ORGANIZER"]) == f"mailto:{SENDER}"
    assert event["ORGANIZER"].params["CN"] == "Alice"
    assert str(event["ATTENDEE"]) == "mailto:gina@example.com"
    with UnitOfWork(workspace) as uow:
        sent = uow.outbox.for_booking(TEAM, booking.id)
    (stored,) = [m for m in sent if m.id == row.id]
    assert stored.status is OutboxStatus.SENT
    assert stored.handed is not None
    assert stored.handed.encode().rstrip() == received.data.rstrip()  # what was handed over
    slack_rows = [m for m in sent if m.channel == Channel.SLACK]
    assert slack_rows
    assert all(m.status is OutboxStatus.PENDING for m in slack_rows)


def test_guest_text_can_add_no_header_no_recipient_and_no_markup(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    book(
        workspace,
        guest_booking(
            customer_name="Gina\r\nBcc: evil@attacker.test\r\n<script>x</script>",
            location="<img src=x onerror=alert(1)>\nSubject: hi",
        ),
    )
    dispatch(workspace)

    (received,) = smtp.received
    message = received.message
    assert received.recipients == ("gina@example.com",)
    assert message["Bcc"] is None
    assert "\n" not in message["To"]
    assert message["To"].addresses[0].addr_spec == "gina@example.com"
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_5xx_refusal_is_final_and_shown_to_admins(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    booking = book(workspace, guest_booking())
    smtp.refuse("550 5.1.1 mailbox unavailable")

    assert dispatch(workspace) == DispatchResult(claimed=1, failed=1)

    assert smtp.received == []
    row = the_email(workspace, booking)
    assert row.status is OutboxStatus.FAILED
    (failed,) = failed_notifications(workspace, TEAM)
    assert (failed.channel, failed.recipient) == ("email", "gina@example.com")
    assert "SMTP 550 5.1.1 mailbox unavailable" in failed.error
    home = str(build_home(_overview(admin=True, failed=(failed,)), tz="UTC").to_dict())
    assert "booked to email gina@example.com" in home


def test_a_4xx_refusal_is_retried_with_back_off_and_fails_once_the_attempts_are_used(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    booking = book(workspace, guest_booking())
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS):
        smtp.refuse("451 4.3.0 try again later")
        assert dispatch(workspace, now) == DispatchResult(claimed=1, retried=1)
        row = the_email(workspace, booking)
        assert (row.status, row.attempts, row.handed) == (OutboxStatus.PENDING, attempt, None)
        assert row.due_at > now
        assert row.in_doubt_since is None  # refused: nothing was handed over
        now = row.due_at

    smtp.refuse("451 4.3.0 try again later")
    assert dispatch(workspace, now) == DispatchResult(claimed=1, failed=1)
    row = the_email(workspace, booking)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error is not None
    assert f"gave up after {MAX_ATTEMPTS} attempts" in row.last_error
    assert smtp.received == []


def test_a_4xx_then_acceptance_delivers_once(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    booking = book(workspace, guest_booking())
    smtp.refuse("421 4.7.0 too busy")
    dispatch(workspace)
    row = the_email(workspace, booking)

    assert dispatch(workspace, row.due_at) == DispatchResult(claimed=1, sent=1)
    assert len(smtp.received) == 1


def test_a_connection_dropped_mid_send_is_retried_with_the_same_message(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    booking = book(workspace, guest_booking())
    smtp.drop()

    assert dispatch(workspace) == DispatchResult(claimed=1, retried=1)
    row = the_email(workspace, booking)
    assert smtp.dropped == 1
    assert row.in_doubt_since == NOW  # it may have been accepted
    assert row.handed is not None

    assert dispatch(workspace, row.due_at) == DispatchResult(claimed=1, sent=1)
    (received,) = smtp.received
    assert received.message["Message-ID"] == f"<{row.id}@acme.test>"
    assert received.data.rstrip() == row.handed.encode().rstrip()
    assert received.message["Date"].datetime == NOW  # rendered once, at the first attempt
    assert the_email(workspace, booking).status is OutboxStatus.SENT


def test_a_sender_that_dies_after_the_server_accepted_sends_the_same_bytes_again(
    workspace: Engine, smtp: SmtpServer, mail_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server has it but the sender never recorded it: the retry is byte for byte the
    same message, one Message-ID, so the guest's mail client shows it once."""
    book(workspace, guest_booking())

    def die(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed before recording the outcome")

    with monkeypatch.context() as patch:
        patch.setattr(OutboxRepository, "mark_sent", die)
        with pytest.raises(RuntimeError):
            dispatch(workspace)
    later = NOW + DEFAULT_LEASE + timedelta(seconds=1)  # the dead sender's lease ran out

    assert dispatch(workspace, later) == DispatchResult(claimed=1, sent=1)

    first, second = smtp.received
    assert first.data == second.data
    assert first.message["Message-ID"] == second.message["Message-ID"]


def test_reminders_reassignments_and_cancellations_are_emailed(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    booking = book(workspace, guest_booking())
    moved_at = NOW + timedelta(hours=1)
    after = replace(
        booking,
        participants=(replace(booking.participants[0], page="bob"), *booking.participants[1:]),
    )
    record = Reassignment(booking.id, "alice", "bob", moved_at, reason="Alice is ill")
    with UnitOfWork(workspace) as uow:
        uow.bookings.move_seat(TEAM, booking.id, "alice", "bob")
        queue_reassigned(uow, TEAM, booking, after, record, True, moved_at)
        uow.commit()
    dispatch(workspace, moved_at)

    reminder_at = START - timedelta(minutes=15)
    dispatch(workspace, reminder_at)
    cancelled_at = reminder_at + timedelta(minutes=1)
    with UnitOfWork(workspace) as uow:
        uow.bookings.cancel(TEAM, booking.id, at=cancelled_at, by="U0ALICE")
        gone = uow.bookings.get(TEAM, booking.id)
        assert gone is not None
        assert gone.status is BookingStatus.CANCELLED
        queue_cancelled(uow, TEAM, gone, cancelled_at)
        uow.commit()
    dispatch(workspace, cancelled_at)

    subjects = [r.message["Subject"] for r in smtp.received]
    assert subjects == [
        "Booked: Intro call on Thu 03 Dec 10:00",
        "Updated: Intro call on Thu 03 Dec 10:00 is now with Bob",
        "Reminder: Intro call starts in 15 minutes",
        "Cancelled: Intro call on Thu 03 Dec 10:00",
    ]
    updated, reminder, cancelled = smtp.received[1:]
    assert "Reason:    Alice is ill" in updated.message.get_body(("plain",)).get_content()
    assert calendar_of(updated)["METHOD"] == "REQUEST"
    assert calendar_of(updated).walk("VEVENT")[0]["SEQUENCE"] > 0
    assert list(reminder.message.iter_attachments()) == []
    withdrawn = calendar_of(cancelled)
    assert str(withdrawn["METHOD"]) == "CANCEL"
    assert str(withdrawn.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    link = manage_url(PUBLIC_URL, SECRET.encode(), booking.id)
    assert link not in cancelled.message.get_body(("plain",)).get_content()
    assert link in reminder.message.get_body(("plain",)).get_content()
    # The 24-hour reminder was due too: only the last due one went out.
    assert sorted(m.status.value for m in emails(workspace, booking) if m.kind == "reminder") == [
        "sent",
        "skipped",
    ]


def test_worker_once_emails_guests_without_a_slack_token(
    workspace: Engine, smtp: SmtpServer, mail_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("PUBLIC_URL", PUBLIC_URL)
    booking = book(workspace, guest_booking())
    url = workspace.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(
        cli, ["--db", url, "--now", NOW.isoformat(), "--json", "worker", "--once"]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["dispatch"]["sent"] == 1
    (received,) = smtp.received
    link = manage_url(PUBLIC_URL, SECRET.encode(), booking.id)
    assert link in received.message.get_body(("plain",)).get_content()


def test_worker_with_a_bad_smtp_url_names_it(
    workspace: Engine, mail_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_URL", "smtp://host?tls=yes")
    url = workspace.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(cli, ["--db", url, "worker", "--once"])

    assert result.exit_code == 2
    assert result.output.startswith("error: SMTP_URL: unknown option 'tls'")


def test_an_address_the_server_cannot_take_fails_without_stopping_the_round(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    odd = book(workspace, guest_booking(customer_email="gína@exämple.com"))
    fine = book(workspace, guest_booking(START + timedelta(hours=3)))

    assert dispatch(workspace) == DispatchResult(claimed=2, sent=1, failed=1)
    assert the_email(workspace, odd).status is OutboxStatus.FAILED
    assert the_email(workspace, fine).status is OutboxStatus.SENT
    assert [r.recipients for r in smtp.received] == [("gina@example.com",)]


def test_a_reschedule_is_emailed_with_the_moved_invitation_and_new_reminders(
    workspace: Engine, smtp: SmtpServer, mail_env: None
) -> None:
    booking = book(workspace, guest_booking())
    dispatch(workspace)
    moved_at = NOW + timedelta(hours=1)
    later = START + timedelta(days=1)
    with UnitOfWork(workspace) as uow:
        uow.bookings.reschedule(
            TEAM, booking.id, start=later, end=later + (booking.end - booking.start), seats={}
        )
        after = uow.bookings.get(TEAM, booking.id)
        assert after is not None
        queue_rescheduled(uow, TEAM, booking, after, moved_at)
        uow.commit()
    dispatch(workspace, moved_at)

    moved = smtp.received[-1]
    assert moved.message["Subject"] == "Moved: Intro call to Fri 04 Dec 10:00"
    invitation = calendar_of(moved)
    assert str(invitation["METHOD"]) == "REQUEST"
    event = invitation.walk("VEVENT")[0]
    assert event["DTSTART"].dt == later
    assert event["SEQUENCE"] > 0
    assert str(event["UID"]) == str(calendar_of(smtp.received[0]).walk("VEVENT")[0]["UID"])
    reminders = [m for m in emails(workspace, booking) if m.kind == "reminder"]
    pending = sorted(m.due_at for m in reminders if m.status is OutboxStatus.PENDING)
    assert pending == [later - timedelta(hours=24), later - timedelta(minutes=15)]
