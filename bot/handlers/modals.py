"""Opening modals the same way in every feature: in time, and an expired trigger is told.

Slack gives a ``trigger_id`` three seconds from when it sends the request; a slow answer
makes ``views.open`` (or ``views.push``) fail with ``expired_trigger_id``. That is no bug:
the user is told in words where a response URL exists (commands, message buttons), and it
is logged where none does (App Home buttons).

A modal that needs work first (the booking modal's free times) is opened through
``opens_modal``, Slack's own pattern for slow modals. The listener acks and arms a
``PendingModal`` on the request's thread, then defers the work. When the work's view is
ready within ``LOADING_AFTER_SECONDS`` of the request reaching the app, it opens as it is;
otherwise a loading view opens with the trigger first (from a timer, whether or not a work
thread is free: in a burst the work waits in the pool's queue), and the work's view, or
its refusal, or an error notice, replaces it (``views.update`` by the loading view's id and
hash). Either way the trigger opens exactly one view: a lock decides which side is first.
"""

from __future__ import annotations

import enum
import inspect
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.blocks.common import SOMETHING_WENT_WRONG, build_notice_message, build_notice_view
from bot.work import Defer, listening
from engine.errors import RoundtableError

EXPIRED_TRIGGER = "That took Slack too long to open. Please run the command again."
LOADING_AFTER_SECONDS = 1.0
"""How long after its request reached the app a modal may take before a loading view opens
in its place. Slack's 3 s run from when it sent the request; the other 2 s cover the
request's way here and its wait for a server thread, the loading view's own ``views.open``
round trip (a few hundred milliseconds to Slack), and the wait of the timer's thread for
the interpreter in a burst: with 1.5 s, 40 requests at once at 2,000 members on a loaded
machine opened their loading views up to 2.9 s after they were sent, against a fake Slack
that answers at once."""
LOADING = "Loading…"
"""What a loading view says unless its feature says more."""

_log = logging.getLogger(__name__)


def open_modal(
    client: WebClient,
    trigger_id: str,
    view: View,
    *,
    respond: Respond | None = None,
    push: bool = False,
) -> None:
    """Open ``view`` (or push it over the open modal); tell an expired trigger in words."""
    try:
        if push:
            client.views_push(trigger_id=trigger_id, view=view)
        else:
            client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "expired_trigger_id":
            raise
        _log.info("views.%s: the trigger expired", "push" if push else "open")
        if respond is not None:
            respond(response_type="ephemeral", **build_notice_message(EXPIRED_TRIGGER).as_kwargs())


class Deadlines(Protocol):
    """Call ``call`` at ``at`` (``time.monotonic()``), on a thread of its own, unless the
    returned function is called first."""

    def __call__(self, at: float, call: Callable[[], None], /) -> Callable[[], None]: ...


def timers(at: float, call: Callable[[], None]) -> Callable[[], None]:
    """``Deadlines`` by ``threading.Timer``: a sleeping thread per pending modal, gone when
    cancelled, so a loading view never waits for a work thread."""
    timer = threading.Timer(max(0.0, at - time.monotonic()), call)
    timer.daemon = True
    timer.name = "loading-view"
    timer.start()
    return timer.cancel


class _Stage(enum.Enum):
    WAITING = "nothing opened yet"
    LOADING = "the loading view is open"
    SPENT = "the trigger opened a view or can open none"


class PendingModal:
    """The one modal a ``trigger_id`` opens: the work's view, or a loading view it replaces.

    ``open`` shows the work's view, ``notice`` and ``tell`` a refusal; used as a context
    manager it makes sure the loading view never stays: an error (or work that showed
    nothing) replaces it with a notice. Without a loading view nothing changes: errors go
    their usual way (``bot.app._on_error``).
    """

    def __init__(
        self,
        client: WebClient,
        trigger_id: str,
        *,
        title: str,
        respond: Respond | None,
        loading: str | None,
        at: float,
        deadlines: Deadlines,
    ) -> None:
        self._client = client
        self._trigger_id = trigger_id
        self._title = title
        self._respond = respond
        self._loading_text = loading
        self._lock = threading.Lock()
        self._stage = _Stage.WAITING
        self._shown: Mapping[str, Any] = {}  # the loading view's id and hash, once open
        self._cancel: Callable[[], None] = lambda: None
        if loading is not None:
            self._cancel = deadlines(at, self._open_loading)

    def _open_loading(self) -> None:
        """At the deadline: the loading view, unless the work's view came first."""
        assert self._loading_text is not None
        with self._lock:  # held until the loading view is open: the work then updates it
            if self._stage is not _Stage.WAITING:
                return
            self._stage = _Stage.SPENT
            view = build_notice_view(self._title, self._loading_text)
            try:
                answer = self._client.views_open(trigger_id=self._trigger_id, view=view)
            except SlackApiError as error:
                self._refused(error)
                return
            except Exception:  # on a timer's thread: nobody else would hear of it
                _log.exception("views.open of a loading view failed")
                return
            self._shown = answer["view"]
            self._stage = _Stage.LOADING

    def _refused(self, error: SlackApiError) -> None:
        if error.response.get("error") != "expired_trigger_id":
            _log.error("views.open of a loading view failed: %s", error.response.get("error"))
            return
        _log.info("views.open of a loading view: the trigger expired")
        if self._respond is not None:
            message = build_notice_message(EXPIRED_TRIGGER)
            self._respond(response_type="ephemeral", **message.as_kwargs())

    def _take(self) -> _Stage:
        """The stage before this, the last thing the modal shows; the loading view is off."""
        with self._lock:
            stage, self._stage = self._stage, _Stage.SPENT
        self._cancel()
        return stage

    def _update(self, view: View) -> None:
        try:
            self._client.views_update(
                view_id=self._shown["id"], hash=self._shown.get("hash"), view=view
            )
        except SlackApiError as error:  # closed by the user meanwhile, say
            _log.info("views.update of a loading view: %s", error.response.get("error"))

    def open(self, view: View) -> None:
        """Show ``view``: open it with the trigger, or in place of the loading view."""
        match self._take():
            case _Stage.WAITING:
                open_modal(self._client, self._trigger_id, view, respond=self._respond)
            case _Stage.LOADING:
                self._update(view)
            case _Stage.SPENT:  # the loading view could not open: the user was told
                _log.info("a modal was ready after its trigger was spent")

    def notice(self, text: str) -> None:
        """Tell ``text``: on the loading view when it is open, else privately (when a
        ``response_url`` exists; logged otherwise)."""
        if self._take() is _Stage.LOADING:
            self._update(build_notice_view(self._title, text))
        elif self._respond is not None:
            message = build_notice_message(text)
            self._respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())

    def tell(self, refusal: RoundtableError) -> None:
        """Tell ``refusal`` like ``bot.handlers.refusals.tell``, or on the loading view."""
        _log.info("refused: %s", refusal.message)
        self.notice(refusal.message)

    def __enter__(self) -> PendingModal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._take() is not _Stage.LOADING or not (
            error is None or isinstance(error, Exception)
        ):
            return False
        if isinstance(error, RoundtableError):
            _log.info("refused: %s", error.message)
            text = error.message
        else:
            _log.error("the loading view's work failed or showed nothing", exc_info=error)
            text = SOMETHING_WENT_WRONG
        self._update(build_notice_view(self._title, text))
        return True  # told on the modal


@dataclass(frozen=True)
class Modals:
    """How a request's listener arms its ``PendingModal`` (Bolt's context: ``modals``)."""

    client: WebClient
    respond: Respond | None
    received: float
    """``time.monotonic()`` when the request reached the app."""
    deadlines: Deadlines = timers

    def pending(self, trigger_id: str, title: str, *, loading: str | None) -> PendingModal:
        """The modal ``trigger_id`` opens, with a loading view saying ``loading`` at the
        deadline (none when None)."""
        return PendingModal(
            self.client,
            trigger_id,
            title=title,
            respond=self.respond,
            loading=loading,
            at=self.received + LOADING_AFTER_SECONDS,
            deadlines=self.deadlines,
        )


def opens_modal(
    work: Callable[..., object],
    title: str,
    *,
    loading: str = LOADING,
    unless: Callable[[dict[str, Any]], bool] | None = None,
) -> Callable[..., None]:
    """A listener that acks, arms the request's ``PendingModal`` and defers ``work``.

    ``work`` gets the modal as ``modal`` and the rest of its parameters from Bolt, like
    ``bot.work.after_ack``'s. ``unless(body)`` true means the request opens no modal
    (``/book-room list``): no loading view is armed then.
    """

    def listener(
        ack: Ack, defer: Defer, body: dict[str, Any], modals: Modals, **given: Any
    ) -> None:
        ack()
        quiet = unless is not None and unless(body)
        modal = modals.pending(str(body["trigger_id"]), title, loading=None if quiet else loading)
        if "body" in wanted:
            given["body"] = body
        defer(_showing, work, modal, given)

    wanted = inspect.signature(work).parameters
    return listening(listener, ("ack", "defer", "body", "modals"), work, made=("modal",))


def _showing(work: Callable[..., object], modal: PendingModal, given: dict[str, Any]) -> None:
    with modal:
        work(modal=modal, **given)
