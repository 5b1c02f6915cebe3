"""Email to guests: the outbox's ``email`` sender, over SMTP with the standard library.

Settings
    ``SMTP_URL`` is ``smtp://user:password@host:port`` (``smtps://`` for TLS from the first
    byte, ``?starttls=true`` to upgrade a plain connection); user and password are
    percent-decoded, the port defaults to 25 (``smtp``) or 465 (``smtps``). ``MAIL_FROM`` is
    the sender, ``bookings@example.com`` or ``Acme Bookings <bookings@example.com>``.
    ``load_mail_settings`` reads both; one without the other is bad input naming it.

What a guest gets
    One email per outbox row, rendered from the booking as it is when first handed over: the
    kind's template (``bot/templates/mail/<kind>.txt``: a ``subject`` and a ``lead`` block,
    plain text) inside ``message.txt`` and ``message.html`` (autoescaped), with the details,
    the location and the guest's manage link. Confirmations and reassignments carry the
    booking as an invitation (``invite.ics``, ``METHOD:REQUEST``), cancellations withdraw it
    (``METHOD:CANCEL``). The recipient is always the booking's customer email, never the
    row's ``recipient`` (which only names it for people). Header values are single lines:
    names and subjects have their line breaks folded into spaces, so nothing a guest or an
    admin typed can add a header.

Sent once
    ``Message-ID`` is ``<outbox id@MAIL_FROM's domain>``. Before the hand-over the whole
    message (its bytes, ``Date`` included) is committed to the row (``handed``); a retry of a
    row in doubt sends those bytes again, so the guest's mail client sees one message even
    if the server had accepted the first copy. A refusal (nothing handed over) clears the
    record and the next attempt renders afresh.

Failures
    Refusals of the sender, the recipient or the message with a 5xx reply are final
    (``GiveUp``: shown to admins on the App Home). 4xx replies, refused connections and
    timeouts before the message was sent are retried with the outbox's back-off, and fail
    once the attempts are used up. A connection lost while the message was being sent
    leaves it in doubt and is retried with the same bytes. Authentication failures are
    retried like 4xx: they are the operator's to fix, not the message's.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError, select_autoescape
from sqlalchemy import Engine

from bot.blocks.notifications import duration_text
from engine.errors import BadInput
from engine.model import BookingStatus, WorkspaceConfig
from engine.records import Booking, Channel, OutboxMessage
from services.delivery import Delivered, GiveUp, Retry, Sender, record_handed
from services.manage_links import manage_url
from services.notifications import Kind
from services.secret import process_secret
from web.ics import Confirmation, Invitation, build_ics, is_web_link, when_text

DEFAULT_TIMEOUT = 30.0
_PORTS = {"smtp": 25, "smtps": 465}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
# What each kind attaches: the invitation's METHOD (None: no attachment).
_METHODS = {
    Kind.BOOKED: "REQUEST",
    Kind.REASSIGNED_CUSTOMER: "REQUEST",
    Kind.RESCHEDULED: "REQUEST",
    Kind.CANCELLED: "CANCEL",
}


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Where and how to send email, and as whom."""

    host: str
    port: int
    sender: str
    sender_name: str | None = None
    username: str | None = None
    password: str | None = None
    tls: bool = False
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT

    @property
    def domain(self) -> str:
        """The sender's domain: the right side of every ``Message-ID``."""
        return self.sender.rpartition("@")[2]


def load_mail_settings(environ: Mapping[str, str]) -> MailSettings | None:
    """Return the email settings of ``SMTP_URL`` and ``MAIL_FROM``, or None when neither is set.

    Raises:
        BadInput: one is set without the other, either is malformed, or there is no shared
            secret for the manage links (``ROUNDTABLE_SECRET``); the field names it.
    """
    url = environ.get("SMTP_URL", "").strip()
    sender = environ.get("MAIL_FROM", "").strip()
    if not url and not sender:
        return None
    if not url:
        raise BadInput("missing; MAIL_FROM is set, so set SMTP_URL too", field="SMTP_URL")
    if not sender:
        raise BadInput(
            "missing; set it to the sender of guests' email, like bookings@example.com",
            field="MAIL_FROM",
        )
    if not (environ.get("ROUNDTABLE_SECRET", "").strip() or environ.get("SLACK_SIGNING_SECRET")):
        raise BadInput(
            "missing; guests' emails carry manage links signed with it, and every process "
            "must sign them alike (or set SLACK_SIGNING_SECRET)",
            field="ROUNDTABLE_SECRET",
        )
    name, address = parseaddr(sender)
    if "@" not in address or any(char in sender for char in "\r\n") or " " in address:
        raise BadInput(
            f"'{sender}' is not an address like bookings@example.com or "
            "'Acme Bookings <bookings@example.com>'",
            field="MAIL_FROM",
        )
    return _smtp_url(url, address, name or None)


def _smtp_url(url: str, sender: str, sender_name: str | None) -> MailSettings:
    def bad(problem: str) -> BadInput:
        return BadInput(
            f"{problem}; write smtp://user:password@host:port (smtps:// for TLS, "
            "?starttls=true to upgrade)",
            field="SMTP_URL",
        )

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise bad(f"cannot read it ({error})") from None
    if parts.scheme not in _PORTS:
        raise bad(f"unknown scheme '{parts.scheme}'")
    if not parts.hostname:
        raise bad("no host")
    if parts.path not in ("", "/"):
        raise bad(f"unexpected path '{parts.path}'")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise bad(f"unknown option '{unknown[0]}'")
    starttls = False
    if "starttls" in query:
        value = query["starttls"][-1].lower()
        if value not in _TRUE | _FALSE:
            raise bad(f"starttls must be true or false, not '{value}'")
        starttls = value in _TRUE
    if starttls and parts.scheme == "smtps":
        raise bad("smtps:// is TLS already; starttls is for smtp://")
    return MailSettings(
        host=parts.hostname,
        port=port or _PORTS[parts.scheme],
        sender=sender,
        sender_name=sender_name,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "smtps",
        starttls=starttls,
    )


def one_line(text: str) -> str:
    """Fold every run of blanks and line breaks into one space: safe in a header."""
    return " ".join(text.split())


class MailRenderer:
    """Renders an outbox row into an email; each kind is a template (``<kind>.txt``)."""

    def __init__(self) -> None:
        self._templates = Environment(
            loader=PackageLoader("bot", "templates/mail"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._templates.tests["web_link"] = is_web_link

    def render(
        self,
        message: OutboxMessage,
        booking: Booking,
        cfg: WorkspaceConfig,
        now: datetime,
        settings: MailSettings,
        manage: str | None,
    ) -> EmailMessage:
        """Return the email of ``message`` to the booking's guest, as at ``now``.

        Raises:
            GiveUp: the booking has no guest email, or nothing renders this kind.
        """
        if booking.customer_email is None or booking.customer_slack_user:
            raise GiveUp("the booking's customer has no email address")
        try:
            kind = Kind(message.kind)
            template = self._templates.get_template(f"{kind.value}.txt")
        except (ValueError, LookupError) as error:
            raise GiveUp(f"no email template for '{message.kind}' ({error})") from None
        confirmation = _confirmation(booking, cfg)
        facts = _facts(message, booking, confirmation, now, manage)
        context = template.new_context(facts)
        subject = one_line("".join(template.blocks["subject"](context)))
        lead = one_line("".join(template.blocks["lead"](context)))
        parts = {**facts, "subject": subject, "lead": lead}
        email = EmailMessage(policy=SMTP)
        email["Subject"] = subject
        email["From"] = Address(one_line(settings.sender_name or ""), addr_spec=settings.sender)
        email["To"] = Address(
            one_line(booking.customer_name or ""), addr_spec=booking.customer_email
        )
        email["Date"] = format_datetime(now)
        email["Message-ID"] = f"<{message.id}@{settings.domain}>"
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(self._templates.get_template("message.txt").render(parts))
        email.add_alternative(
            self._templates.get_template("message.html").render(parts), subtype="html"
        )
        method = _METHODS.get(kind)
        if method is not None:
            invitation = Invitation(
                method=method,
                organizer_email=settings.sender,
                organizer_name=confirmation.hosts[0] if confirmation.hosts else "Roundtable",
                sequence=_sequence(message, booking),
            )
            calendar = build_ics(confirmation, now=now, invitation=invitation)
            email.add_attachment(
                calendar.decode(),
                subtype="calendar",
                filename="invite.ics",
                params={"method": method},
            )
        return email


def _confirmation(booking: Booking, cfg: WorkspaceConfig) -> Confirmation:
    pages = cfg.pages
    kind, master = (
        cfg.event_types.get(booking.event_type),
        cfg.master_pages.get(booking.master_page),
    )
    return Confirmation(
        booking_id=booking.id,
        title=booking.event_type if kind is None else kind.name,
        master_page_name=booking.master_page if master is None else master.name,
        start=booking.start,
        end=booking.end,
        timezone=booking.customer_timezone or cfg.workspace.timezone,
        hosts=tuple(
            pages[p.page].name if p.page in pages else p.page for p in booking.participants
        ),
        guest_name=booking.customer_name or "",
        guest_email=booking.customer_email or "",
        location=booking.location,
    )


def _facts(
    message: OutboxMessage,
    booking: Booking,
    confirmation: Confirmation,
    now: datetime,
    manage: str | None,
) -> dict[str, Any]:
    local_start = booking.start.astimezone(ZoneInfo(confirmation.timezone))
    minutes = -(-(booking.start - now) // timedelta(minutes=1))
    return {
        "name": confirmation.guest_name,
        "event": confirmation.title,
        "master": confirmation.master_page_name,
        "when": when_text(booking.start, booking.end, confirmation.timezone),
        "day": f"{local_start:%a %d %b %H:%M}",
        "timezone": confirmation.timezone,
        "hosts": list(confirmation.hosts),
        "host": confirmation.hosts[0] if confirmation.hosts else "",
        "location": booking.location,
        "reason": message.payload.get("reason"),
        "until": duration_text(timedelta(minutes=max(minutes, 0))),
        "manage_url": manage,
        "cancelled": booking.status is BookingStatus.CANCELLED,
    }


def _sequence(message: OutboxMessage, booking: Booking) -> int:
    """Order versions of the event: seconds from the booking to the change announced."""
    if message.kind == Kind.BOOKED:
        return 0
    changed = booking.cancelled_at if message.kind == Kind.CANCELLED else None
    changed = changed or message.due_at
    return max(int((changed - booking.created_at).total_seconds()), 1)


class Mailer:
    """The ``email`` sender: render (or reuse what was handed), record, send over SMTP."""

    def __init__(
        self,
        engine: Engine,
        settings: MailSettings,
        *,
        public_url: str,
        secret: bytes,
        renderer: MailRenderer | None = None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._public_url = public_url
        self._secret = secret
        self._renderer = renderer or MailRenderer()
        # Made once: loading the system's CA certificates takes a tenth of a second.
        self._tls = ssl.create_default_context() if settings.tls or settings.starttls else None

    def deliver(
        self,
        team: str,
        message: OutboxMessage,
        booking: Booking | None,
        cfg: WorkspaceConfig,
        claimed_at: datetime,
        now: datetime,
    ) -> Delivered:
        """Send one row's email to the booking's guest (see the module's notes).

        Raises:
            Retry: try again later (``in_doubt`` when the server may have it).
            GiveUp: the server refused it for good, or it cannot be rendered.
        """
        if booking is None:
            raise GiveUp("an email is always about a booking")
        recipient = booking.customer_email
        if recipient is None or booking.customer_slack_user:
            raise GiveUp("the booking's customer has no email address")
        if not recipient.isascii():
            raise GiveUp(f"'{recipient}' is not an ASCII address (SMTPUTF8 is not used)")
        data = message.handed
        if data is None:
            manage = manage_url(self._public_url, self._secret, booking.id)
            try:
                email = self._renderer.render(message, booking, cfg, now, self._settings, manage)
                data = email.as_string()
            except (ValueError, TypeError, TemplateError) as error:  # the same next time
                raise GiveUp(f"cannot write the email: {type(error).__name__}: {error}") from None
            record_handed(self._engine, team, message.id, data)
        self._send(recipient, data.encode())
        return Delivered()

    def _send(self, recipient: str, data: bytes) -> None:
        settings = self._settings
        handing = False
        try:
            with self._connection() as smtp:
                smtp.ehlo_or_helo_if_needed()
                _check(smtp.mail(settings.sender), "MAIL FROM")
                _check(smtp.rcpt(recipient), "RCPT TO")
                handing = True
                _check(smtp.data(data), "DATA")
        except smtplib.SMTPResponseException as error:
            raise _refusal(error.smtp_code, error.smtp_error, "the server") from error
        except (OSError, smtplib.SMTPException) as error:
            # A connection lost while the message went over may have delivered it.
            reason = f"SMTP {type(error).__name__}: {error}"
            raise Retry(reason, after=None, in_doubt=handing) from error

    @contextmanager
    def _connection(self) -> Iterator[smtplib.SMTP]:
        settings = self._settings
        smtp: smtplib.SMTP
        if settings.tls:
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=self._tls
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.starttls:
                smtp.starttls(context=self._tls)
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            yield smtp
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _check(reply: tuple[int, bytes], step: str) -> None:
    code, text = reply
    if not 200 <= code < 400:
        raise _refusal(code, text, step)


def _refusal(code: int, text: bytes | str, step: str) -> GiveUp | Retry:
    said = text.decode(errors="replace") if isinstance(text, bytes) else text
    reason = f"{step}: SMTP {code} {one_line(said)}"
    if code in (530, 534, 535):  # authentication: the operator's to fix, not the message's
        return Retry(reason, after=None, in_doubt=False)
    if 500 <= code < 600:
        return GiveUp(reason)
    return Retry(reason, after=None, in_doubt=False)


def mail_senders(
    engine: Engine, environ: Mapping[str, str], *, public_url: str
) -> dict[str, Sender]:
    """Return the ``email`` sender when ``environ`` sets email up (else none).

    Raises:
        BadInput: as ``load_mail_settings``.
    """
    settings = load_mail_settings(environ)
    if settings is None:
        return {}
    mailer = Mailer(engine, settings, public_url=public_url, secret=process_secret(environ))
    return {Channel.EMAIL.value: mailer.deliver}
