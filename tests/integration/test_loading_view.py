"""A slow modal opens in time: a loading view at the deadline, replaced by the real screen.

``bot.handlers.modals.PendingModal`` first, with a stand-in client whose ``views.open``
can be held, so both orders of the race are played without a clock; then ``/book-room``,
Reschedule and a guest link's "Book a time" through the real server and the fake Web API,
with deadlines the test lets pass (``HeldDeadlines``) while the work computes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import SOMETHING_WENT_WRONG, build_notice_view
from bot.caller import Caller
from bot.handlers import admin as admin_handlers
from bot.handlers import booking as booking_handlers
from bot.handlers import links as link_handlers
from bot.handlers.modals import EXPIRED_TRIGGER, PendingModal, timers
from bot.profiles import Profiles
from engine.errors import RoundtableError
from tests.integration.conftest import ADMIN, CUSTOMER, GUEST, MANAGER
from tests.integration.driver import Modal, SlackDriver, as_dict, texts
from tests.integration.test_book_link import _send_link
from tests.integration.test_lifecycle import _book, _open_from_list
from tests.integration.test_reassign import _open as reassign_open

REAL = build_notice_view("Book a time", "the real screen")


class Client:
    """A stand-in for ``WebClient``: records views calls; ``hold`` makes ``views.open`` wait."""

    def __init__(self, *, hold: bool = False, error: str | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.entered = threading.Event()  # a views.open is under way
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.error = error

    def views_open(self, *, trigger_id: str, view: View) -> dict[str, Any]:
        self.calls.append(("open", {"trigger_id": trigger_id, "view": view}))
        self.entered.set()
        assert self.release.wait(10)
        if self.error:
            raise SlackApiError(self.error, {"ok": False, "error": self.error})
        return {"ok": True, "view": {"id": "V1", "hash": "H1"}}

    def views_update(self, *, view_id: str, hash: str | None, view: View) -> dict[str, Any]:
        self.calls.append(("update", {"view_id": view_id, "hash": hash, "view": view}))
        return {"ok": True}


class Uncancelled:
    """Deadlines whose cancel comes too late: the timer has fired already (the race)."""

    def __init__(self) -> None:
        self.calls: list[Callable[[], None]] = []

    def __call__(self, at: float, call: Callable[[], None]) -> Callable[[], None]:
        self.calls.append(call)
        return lambda: None

    def fire(self) -> None:
        self.calls[0]()


def _pending(
    client: Client, deadlines: Uncancelled, respond: Callable[..., Any] | None = None
) -> PendingModal:
    return PendingModal(
        cast(WebClient, client),
        "T-1",
        title="Book a time",
        respond=cast(Any, respond),
        loading="Finding free times…",
        at=0.0,
        deadlines=deadlines,
    )


def _said(view: View) -> str:
    return texts(view.to_dict()["blocks"])


def test_the_deadline_first_opens_the_loading_view_and_the_screen_replaces_it() -> None:
    client, deadlines = Client(hold=True), Uncancelled()
    modal = _pending(client, deadlines)
    loading = threading.Thread(target=deadlines.fire)
    loading.start()
    assert client.entered.wait(10)  # the loading view's views.open is under way ...
    ready = threading.Thread(target=modal.open, args=(REAL,))
    ready.start()  # ... when the screen is ready: it waits for the open's answer
    assert [kind for kind, _ in client.calls] == ["open"]
    client.release.set()
    loading.join(10)
    ready.join(10)

    [(opened, first), (updated, second)] = client.calls
    assert (opened, updated) == ("open", "update")
    assert _said(first["view"]) == "Finding free times…"
    assert (second["view_id"], second["hash"], second["view"]) == ("V1", "H1", REAL)


def test_the_screen_first_opens_directly_and_the_deadline_then_opens_nothing() -> None:
    client, deadlines = Client(hold=True), Uncancelled()
    modal = _pending(client, deadlines)
    ready = threading.Thread(target=modal.open, args=(REAL,))
    ready.start()
    assert client.entered.wait(10)  # the screen's views.open is under way ...
    deadlines.fire()  # ... when the deadline passes: it returns at once, opening nothing
    client.release.set()
    ready.join(10)

    assert client.calls == [("open", {"trigger_id": "T-1", "view": REAL})]


def test_an_error_after_the_loading_view_replaces_it_with_a_notice() -> None:
    client, deadlines = Client(), Uncancelled()
    told: list[dict[str, Any]] = []
    modal = _pending(client, deadlines, respond=lambda **message: told.append(message))
    deadlines.fire()

    with modal:
        raise RuntimeError("a bug")  # swallowed: told on the modal

    [_, (kind, update)] = client.calls
    assert kind == "update"
    assert _said(update["view"]) == SOMETHING_WENT_WRONG
    assert told == []


def test_a_refusal_after_the_loading_view_is_told_on_it() -> None:
    client, deadlines = Client(), Uncancelled()
    modal = _pending(client, deadlines)
    deadlines.fire()

    with modal:
        modal.tell(RoundtableError("That master page is gone."))

    assert _said(client.calls[-1][1]["view"]) == "That master page is gone."
    assert len(client.calls) == 2


def test_work_that_shows_nothing_never_leaves_the_loading_view() -> None:
    client, deadlines = Client(), Uncancelled()
    with _pending(client, deadlines):
        deadlines.fire()

    assert [kind for kind, _ in client.calls] == ["open", "update"]
    assert _said(client.calls[-1][1]["view"]) == SOMETHING_WENT_WRONG


def test_without_a_loading_view_errors_go_their_usual_way() -> None:
    client, deadlines = Client(), Uncancelled()
    modal = _pending(client, deadlines)

    with pytest.raises(RuntimeError), modal:
        raise RuntimeError("a bug")
    deadlines.fire()  # too late: the work is over

    assert client.calls == []


def test_an_expired_trigger_for_the_loading_view_is_told_and_nothing_opens_after() -> None:
    client, deadlines = Client(error="expired_trigger_id"), Uncancelled()
    told: list[dict[str, Any]] = []
    modal = _pending(client, deadlines, respond=lambda **message: told.append(message))
    deadlines.fire()

    modal.open(REAL)

    assert [kind for kind, _ in client.calls] == ["open"]
    assert EXPIRED_TRIGGER in told[0]["text"]


def test_timers_call_at_a_time_already_past_at_once() -> None:
    called = threading.Event()
    timers(time.monotonic() - 1, called.set)
    assert called.wait(10)


# --- through the real server -------------------------------------------------------------


def _slowed(
    slack: SlackDriver,
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    then: Callable[..., Any] | None = None,
) -> None:
    """``module.name`` takes past the deadline: it lets the deadlines pass, then does what
    it did (or ``then``)."""
    real = then or getattr(module, name)

    def slowed(*args: Any, **kwargs: Any) -> Any:
        slack.deadlines.fire()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slowed)


def _raise(error: Exception) -> Callable[..., View]:
    def screen(*args: Any, **kwargs: Any) -> View:
        raise error

    return screen


@pytest.fixture
def slow(slack: SlackDriver, monkeypatch: pytest.MonkeyPatch) -> SlackDriver:
    _slowed(slack, monkeypatch, booking_handlers, "booking_screen")
    return slack


def _replaced(slack: SlackDriver) -> dict[str, Any]:
    """The one views.update of the loading view: by the id and hash its open answered."""
    [update] = slack.fake.calls_to("views.update")
    view_id, hash = update.args["view_id"], update.args["hash"]
    assert view_id.startswith("V")
    assert hash == "H" + view_id[1:]
    return as_dict(update.args["view"])


def test_a_slow_book_room_opens_a_loading_view_then_shows_the_times_on_it(slow, fake):
    response = slow.command("/book-room", "support", user=CUSTOMER)

    assert response.status == 200
    [opened] = fake.calls_to("views.open")
    assert texts(as_dict(opened.args["view"])["blocks"]) == "Finding free times…"
    screen = _replaced(slow)
    modal = Modal(slow, screen, user=CUSTOMER, id="V-loading")
    assert modal.slot_buttons()  # the real screen, and the user goes on from it
    modal.click_slot(0)
    assert modal.callback_id == ids.BOOK_FORM_VIEW
    assert len(fake.calls_to("views.open")) == 1


def test_a_fast_book_room_opens_directly_and_its_deadline_is_dropped(slack, fake):
    slack.command("/book-room", "support", user=CUSTOMER)

    assert slack.deadlines.armed == 1
    assert slack.deadlines.pending == 0  # cancelled once the screen opened
    assert slack.deadlines.fire() == 0
    assert slack.opened_modal(user=CUSTOMER).slot_buttons()
    assert fake.calls_to("views.update") == []


def test_book_room_list_arms_no_loading_view(slack, fake):
    slack.command("/book-room", "list", user=CUSTOMER)

    assert slack.deadlines.armed == 0
    assert fake.calls_to("views.open") == []


def test_a_refusal_after_the_loading_view_is_told_on_the_modal(slack, fake, monkeypatch):
    refusal = RoundtableError("That master page was archived meanwhile.")
    _slowed(slack, monkeypatch, booking_handlers, "booking_screen", _raise(refusal))

    slack.command("/book-room", "support", user=CUSTOMER)

    [opened] = fake.calls_to("views.open")
    assert "Finding free times" in texts(as_dict(opened.args["view"])["blocks"])
    assert texts(_replaced(slack)["blocks"]) == "That master page was archived meanwhile."
    assert fake.calls_to("response_url") == []


def test_a_bad_date_after_the_loading_view_is_told_on_the_modal(slack, fake, monkeypatch):
    _slowed(slack, monkeypatch, Profiles, "get")  # a slow users.info

    slack.command("/book-room", "support 31-02-2026", user=CUSTOMER)

    assert "is not a date" in texts(_replaced(slack)["blocks"])
    assert len(fake.calls_to("views.open")) == 1
    assert fake.calls_to("response_url") == []


def test_a_crash_after_the_loading_view_is_told_on_the_modal(slack, fake, monkeypatch):
    _slowed(slack, monkeypatch, booking_handlers, "booking_screen", _raise(RuntimeError("a bug")))

    slack.command("/book-room", "", user=CUSTOMER)

    assert texts(_replaced(slack)["blocks"]) == SOMETHING_WENT_WRONG
    assert fake.calls_to("response_url") == []  # told once, on the modal


def test_a_slow_reschedule_opens_a_loading_view_then_the_times(slow, fake, engine):
    _book(engine)

    _open_from_list(slow, fake)

    [opened] = fake.calls_to("views.open")
    assert as_dict(opened.args["view"])["title"]["text"] == "Reschedule"
    assert "Free times on" in texts(_replaced(slow)["blocks"])


def test_a_slow_guest_link_opens_a_loading_view_then_the_times(slack, fake, monkeypatch):
    _slowed(slack, monkeypatch, link_handlers, "booking_screen")
    dm = _send_link(slack, fake)

    slack.message_action(dm, "link:open", user=GUEST)

    [opened] = fake.calls_to("views.open")
    assert "Finding free times" in texts(as_dict(opened.args["view"])["blocks"])
    assert "(America/New_York)" in texts(_replaced(slack)["blocks"])


def test_a_slow_setup_menu_opens_a_loading_view_then_the_menu(slack, fake, monkeypatch):
    _slowed(slack, monkeypatch, admin_handlers, "setup_for")

    slack.command("/book-admin", "", user=ADMIN)

    [opened] = fake.calls_to("views.open")
    assert texts(as_dict(opened.args["view"])["blocks"]) == "Loading…"
    assert _replaced(slack)["title"]["text"] == "Roundtable setup"


def test_a_slow_refusal_of_the_setup_menu_is_told_on_the_loading_view(slack, fake, monkeypatch):
    _slowed(slack, monkeypatch, admin_handlers, "setup_for")

    slack.command("/book-admin", "", user=CUSTOMER)

    assert "admin" in texts(_replaced(slack)["blocks"]).lower()
    assert fake.calls_to("response_url") == []


def test_a_slow_reassign_opens_a_loading_view_then_the_modal(slack, fake, engine, monkeypatch):
    _slowed(slack, monkeypatch, Caller, "reassign_candidates")

    _, opened = reassign_open(slack, fake, engine, user=MANAGER)

    assert opened is not None
    assert texts(opened["blocks"]) == "Loading…"
    assert _replaced(slack)["callback_id"] == ids.REASSIGN_VIEW
