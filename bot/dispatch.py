"""Slack's side of the outbox: its sender and the scheduler that runs delivery rounds.

The round itself (claim, decide, hand to a sender, mark, back off) is
``services.delivery``. Here: ``slack_sender`` posts a row to Slack, ``senders_of`` gathers the
senders of a process by channel (Slack's, email's from ``bot.mail``), and
``start_dispatcher`` runs rounds on APScheduler 3 every few seconds, in ``roundtable serve``
(a ``BackgroundScheduler``) and ``roundtable worker`` (a ``BlockingScheduler``), and at once
when a commit of the same process queues rows (``services.delivery.when_queued``). The truth
is the outbox table, so any number of processes can run the job; a row is worked on by one
process at a time.

Sending
    DMs go to ``channel=<user id>`` (Slack opens the app's DM), channel notices to the channel.
    Every message carries ``metadata = {"event_type": "roundtable_outbox", "event_payload":
    {"outbox_id": …}}`` and its ``ts`` is recorded when sent. A message is rendered from the
    booking as it is then (``bot.blocks.outbox``), so a reminder after a reassignment names
    the new host.

Failures (each logged by the round)
    429: ``Retry`` at ``now + Retry-After``, not counted as an attempt: rate limits never
    make a message fail. 5xx, network errors, timeouts and unknown Slack errors: ``Retry``
    with the round's back-off. Errors that will not heal (``channel_not_found``,
    ``user_not_found``, ``account_inactive``, ``not_in_channel``, ``is_archived``, …):
    ``GiveUp``. Token errors (``invalid_auth``, ``token_revoked``) are retried like 5xx: an
    operator can fix the token within the back-off, and nothing is dropped while they do.

Never twice (dedupe)
    A 5xx or a network error keeps the row in doubt (Slack may have posted). A row claimed
    again while in doubt (its sender died between posting and marking, or got no answer) is
    first looked for: ``conversations.history`` of its channel (``conversations.open`` finds
    a user's DM) since the doubt began, minus ``CLOCK_SLACK``, with ``include_all_metadata``;
    if our metadata names the row, it is marked sent with that ``ts`` instead of posted again.

    Limits, where a message can still arrive twice: the history search needs the history
    scopes (``im:history``, ``channels:history``, ``groups:history``); without them, or when
    the search fails with a Slack error, the message is posted again (at least once wins over
    at most once, and it is logged). The search reads at most ``HISTORY_PAGES`` pages of 200
    messages. A sender slower than its lease (``DEFAULT_LEASE``) can race the next claimer.
    slack_sdk's own connection-error retry (one, by default) can repeat a request that did
    reach Slack.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.common import MessageContent
from bot.blocks.outbox import render, render_calendar_failing
from engine.model import WorkspaceConfig
from engine.records import Booking, Channel, OutboxMessage
from services.context import system_clock
from services.delivery import (
    DEFAULT_LEASE,
    DEFAULT_LIMIT,
    Delivered,
    DispatchResult,
    GiveUp,
    Retry,
    Sender,
    drain,
    when_queued,
)
from services.notifications import Kind

log = logging.getLogger("roundtable.dispatch")

ClientFor = Callable[[str], WebClient]
"""Give the Web API client of a workspace (by Slack team id)."""


METADATA_EVENT_TYPE = "roundtable_outbox"
DEFAULT_INTERVAL_SECONDS = 5.0
DEFAULT_RETRY_AFTER = timedelta(seconds=30)
CLOCK_SLACK = timedelta(minutes=10)
HISTORY_PAGES = 5
JOB_ID = "roundtable:dispatch-outbox"

# Slack errors that the same request will meet again: fail at once, with the reason.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "user_disabled",
        "not_in_channel",
        "is_archived",
        "cannot_dm_bot",
        "restricted_action",
        "missing_scope",
        "no_permission",
        "invalid_blocks",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
        "team_access_not_granted",
        "method_deprecated",
    }
)


def senders_of(
    client_for: ClientFor | None, more: Mapping[str, Sender] | None = None
) -> dict[str, Sender]:
    """Return a process's senders by channel: Slack's (with ``client_for``) and ``more``."""
    found: dict[str, Sender] = {}
    if client_for is not None:
        found[Channel.SLACK.value] = slack_sender(client_for)
    return found | dict(more or {})


@dataclass(slots=True)
class _Dispatcher:
    """A registered job's parts, and its wake-up state (see ``_Dispatcher.wake``)."""

    engine: Engine
    lease: timedelta
    limit: int
    senders: Mapping[str, Sender]
    clock: Callable[[], datetime] = field(default=system_clock)
    scheduler: Any = None
    job_id: str = ""
    unhook: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: bool = False
    woken: bool = False

    def wake(self) -> None:
        """Deliver now: run the job at once, or once more after the round under way.

        Called by the committing thread when it queued rows; a round already under way may
        have claimed before that commit, so it runs again instead of leaving them for the
        next poll.
        """
        with self.lock:
            self.woken = True
            if self.running:
                return
        try:
            self.scheduler.modify_job(self.job_id, next_run_time=system_clock())
        except Exception:  # the job is gone (stopping) or the scheduler is shut: polling stays
            log.debug("could not wake the outbox job %s", self.job_id, exc_info=True)

    def run(self) -> DispatchResult:
        """Drain the outbox until no wake-up came in during the last drain."""
        total = DispatchResult()
        with self.lock:
            self.running = True
        try:
            while True:
                with self.lock:
                    self.woken = False
                total += drain(
                    self.engine,
                    self.senders,
                    clock=self.clock,
                    lease=self.lease,
                    limit=self.limit,
                )
                with self.lock:
                    if not self.woken:
                        self.running = False
                        return total
        finally:
            with self.lock:
                self.running = False


# What a scheduled job reaches by name: APScheduler jobs take plain values only (STYLE), so
# start_dispatcher registers the engine and the client factory here and the job looks up.
_DISPATCHERS: dict[str, _Dispatcher] = {}


def run_dispatch_job(name: str) -> None:
    """The scheduled job: drain the outbox with the dispatcher registered as ``name``."""
    dispatcher = _DISPATCHERS.get(name)
    if dispatcher is None:
        log.warning("no dispatcher named %r is registered; the job does nothing", name)
        return
    result = dispatcher.run()
    if result.claimed:
        log.info("outbox round: %s", result)


def start_dispatcher(
    scheduler: Any,
    engine: Engine,
    senders: Mapping[str, Sender],
    *,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = DEFAULT_LIMIT,
    clock: Callable[[], datetime] = system_clock,
    name: str = "default",
) -> Any:
    """Add the outbox job to an APScheduler 3 scheduler (started or not); return the job.

    The job runs at once (catching up on what fell due while the app was down), then every
    ``interval_seconds``, and at once after a commit on ``engine`` in this process queues
    rows; a run still going when the next is due makes that one skip (a wake-up during a
    run makes it drain once more). ``senders`` deliver by channel (``senders_of``).
    """
    stop_dispatcher(scheduler, name=name)
    job_id = f"{JOB_ID}:{name}"
    dispatcher = _Dispatcher(
        engine,
        lease,
        limit,
        senders,
        clock,
        scheduler=scheduler,
        job_id=job_id,
    )
    _DISPATCHERS[name] = dispatcher
    dispatcher.unhook = when_queued(engine, dispatcher.wake)
    return scheduler.add_job(
        run_dispatch_job,
        "interval",
        seconds=interval_seconds,
        args=[name],
        id=job_id,
        name="deliver due notifications",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=system_clock(),  # the scheduler's own time, whatever ``clock`` says
    )


def stop_dispatcher(scheduler: Any, *, name: str = "default") -> None:
    """Remove the outbox job added by ``start_dispatcher`` (the scheduler keeps running)."""
    dispatcher = _DISPATCHERS.pop(name, None)
    if dispatcher is not None and dispatcher.unhook is not None:
        dispatcher.unhook()
    if scheduler.get_job(f"{JOB_ID}:{name}") is not None:
        scheduler.remove_job(f"{JOB_ID}:{name}")


def _in_doubt(message: OutboxMessage, claimed_at: datetime) -> bool:
    """Tell whether an earlier attempt, claimed before this round, may have delivered it."""
    return message.in_doubt_since is not None and message.in_doubt_since < claimed_at


def slack_sender(client_for: ClientFor) -> Sender:
    """Post rows to Slack; a row in doubt is first looked for in its channel's history.

    A ``notice_started`` row carries the ts of the manager notice it redraws: that message
    is updated in place (an update repeated after a crash changes nothing).
    """

    def send(
        team: str,
        message: OutboxMessage,
        booking: Booking | None,
        cfg: WorkspaceConfig,
        claimed_at: datetime,
        now: datetime,
    ) -> Delivered:
        if booking is None:
            content = render_calendar_failing(message)
        else:
            content = render(message, booking, cfg, now)
        client = client_for(team)
        if message.kind == Kind.NOTICE_STARTED and message.slack_ts is not None:
            _update(client, message, message.slack_ts, content)
            return Delivered(message.slack_ts)
        ts = _find_posted(client, message) if _in_doubt(message, claimed_at) else None
        if ts is not None:
            return Delivered(ts, found=True)
        return Delivered(_post(client, message, content))

    return send


def _update(client: WebClient, message: OutboxMessage, ts: str, content: MessageContent) -> None:
    with _slack_call("chat.update", posting=False):
        channel = message.recipient
        if channel[:1] in ("U", "W"):
            opened = client.conversations_open(users=channel)
            channel = str(opened["channel"]["id"])
        client.chat_update(channel=channel, ts=ts, **content.as_kwargs())


def _post(client: WebClient, message: OutboxMessage, content: MessageContent) -> str:
    with _slack_call("chat.postMessage", posting=True):
        response = client.chat_postMessage(
            channel=message.recipient,
            metadata={
                "event_type": METADATA_EVENT_TYPE,
                "event_payload": {"outbox_id": message.id},
            },
            unfurl_links=False,
            unfurl_media=False,
            **content.as_kwargs(),
        )
    return str(response["ts"])


def _find_posted(client: WebClient, message: OutboxMessage) -> str | None:
    """Return the ts of this row's message if an earlier attempt posted it, else ``None``."""
    assert message.in_doubt_since is not None
    oldest = f"{(message.in_doubt_since - CLOCK_SLACK).timestamp():.6f}"
    try:
        with _slack_call("history search", posting=False):
            channel = message.recipient
            if channel[:1] in ("U", "W"):
                opened = client.conversations_open(users=channel)
                channel = str(opened["channel"]["id"])
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
                for posted in page.get("messages") or []:
                    if _is_ours(posted, message.id):
                        return str(posted["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or cursor is None:
                    return None
    except GiveUp as error:
        # Without history access (a missing scope, say) we cannot tell; posting again can
        # show the message twice, dropping it could lose it: at least once wins.
        log.warning(
            "outbox %s: cannot search %s for an earlier post (%s); posting it again",
            message.id,
            message.recipient,
            error,
        )
        return None
    log.warning(
        "outbox %s: no earlier post in the last %d pages of %s; posting it again",
        message.id,
        HISTORY_PAGES,
        message.recipient,
    )
    return None


def _is_ours(posted: Mapping[str, Any], outbox_id: str) -> bool:
    metadata = posted.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(
        metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("outbox_id") == outbox_id
    )


@contextmanager
def _slack_call(what: str, *, posting: bool) -> Iterator[None]:
    """Turn what a Web API call raises into ``Retry`` or ``GiveUp``.

    ``posting``: the call posts the message, so a 5xx or a lost answer leaves it in doubt
    while a refusal (429, ``ok: false``) means it was not posted. A failed history search
    keeps an earlier doubt whatever the error.
    """
    try:
        yield
    except SlackApiError as error:
        raise _classify(what, error, posting=posting) from error
    except (OSError, HTTPException) as error:
        # Timeouts, refused or reset connections: the request may or may not have landed.
        reason = f"{what}: network error: {type(error).__name__}: {error}"
        raise Retry(reason, after=None, in_doubt=True) from error


def _classify(what: str, error: SlackApiError, *, posting: bool) -> Retry | GiveUp:
    response = error.response
    status = response.status_code
    code = response.get("error") if isinstance(response.data, dict) else None
    if status == 429:
        after = _retry_after(response.headers)
        reason = f"{what}: rate limited for {int(after.total_seconds())}s"
        return Retry(reason, after=after, in_doubt=not posting, counted=False)
    if status >= 500:
        return Retry(f"{what}: Slack answered HTTP {status} ({code})", after=None, in_doubt=True)
    if code in PERMANENT_ERRORS:
        return GiveUp(f"{what}: {code}")
    # Slack refused (ok: false), so nothing was posted; an unknown error may heal.
    return Retry(f"{what}: {code or f'HTTP {status}'}", after=None, in_doubt=not posting)


def _retry_after(headers: Mapping[str, Any]) -> timedelta:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return timedelta(seconds=max(int(raw), 1))
            except ValueError:
                break
    return DEFAULT_RETRY_AFTER
