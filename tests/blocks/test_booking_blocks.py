"""The /book-room builders and parsers: round trips, skipped steps and Slack's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot import ids
from bot.blocks.booking import (
    SLOTS_PER_PAGE,
    build_form_view,
    build_member_view,
    build_slots_view,
    parse_book_room_command,
    parse_step,
)
from bot.blocks.booking_form import field_block, parse_form, prefill
from bot.blocks.common import format_slot
from bot.blocks.my_bookings import Names, build_my_bookings_message
from engine.model import FormField, MasterMode, PickStep
from engine.records import Booking, Participant, Role
from engine.search import Slot
from services.booking_screens import BookingState, Summary, settle
from services.slots import BookableEventType, BookableMasterPage, Choice
from tests.slack_checks import check_message, check_view

TZ = "Asia/Kolkata"
DAY = date(2026, 3, 2)
START = datetime(2026, 3, 2, 9, tzinfo=UTC)
INTRO = BookableEventType("intro", "Intro call", timedelta(minutes=30), ())
DEEP = BookableEventType("deep", "Deep dive", timedelta(hours=1), ())


def _master(id_="demo", mode=MasterMode.DYNAMIC, kinds=(INTRO,), name=None):
    return BookableMasterPage(id_, name or id_.title(), mode, tuple(kinds), _step(mode))


def _step(mode):
    selection = mode in (MasterMode.PAGES_FIRST, MasterMode.EVENT_TYPES_FIRST)
    return PickStep.BEFORE_TIME if selection else PickStep.NONE


def _slots(count, step=timedelta(minutes=5)):
    return [Slot(START + step * n, START + step * n + timedelta(minutes=30)) for n in range(count)]


def _actions(view):
    return [
        element["action_id"]
        for block in view["blocks"]
        for element in [*block.get("elements", []), block.get("accessory") or {}]
        if element.get("action_id")
    ]


def test_the_state_survives_private_metadata_within_slacks_limit():
    state = BookingState(DAY, TZ, "demo", "intro", "alice", START, "bob", 75, "t" * 43)

    metadata = state.to_metadata()

    assert BookingState.from_metadata(metadata) == state
    assert len(metadata) < 3000


def test_a_day_with_many_slots_pages_without_passing_any_limit():
    catalogue = [_master()]
    state = settle(BookingState(DAY, TZ, "demo"), catalogue)

    first = check_view(build_slots_view(catalogue, state, _slots(200)).to_dict())
    later = parse_step(state, {"action_id": ids.BOOK_MORE, "value": str(SLOTS_PER_PAGE)})
    second = check_view(build_slots_view(catalogue, later, _slots(200)).to_dict())

    slot_ids = [a for a in _actions(first) if a.startswith(ids.BOOK_SLOT)]
    assert len(slot_ids) == SLOTS_PER_PAGE
    assert ids.BOOK_MORE in _actions(first)
    assert f"{ids.BOOK_SLOT}{SLOTS_PER_PAGE}" in _actions(second)
    assert ids.BOOK_MORE + ":earlier" in _actions(second)
    assert len(first["blocks"]) < 100


def test_a_hundred_and_fifty_master_pages_offer_the_first_hundred():
    catalogue = [_master(f"m{n:03d}") for n in range(150)]

    view = check_view(build_slots_view(catalogue, BookingState(DAY, TZ), []).to_dict())

    select = next(b for b in view["blocks"] if b.get("block_id") == ids.BOOK_MASTER_PAGE)
    assert len(select["accessory"]["options"]) == 100


def test_long_names_are_cut_to_what_slack_shows():
    name = "A very long name for a booking page that goes on and on " * 3
    kinds = (
        BookableEventType(
            "a", name, timedelta(minutes=30), (), (Choice("p", name), Choice("q", "Q"))
        ),
    )
    catalogue = [_master("m", MasterMode.EVENT_TYPES_FIRST, kinds, name)]
    state = settle(BookingState(DAY, TZ, "m"), catalogue)

    check_view(build_slots_view(catalogue, state, _slots(3)).to_dict())


def test_a_step_with_one_choice_is_skipped():
    kinds = (
        BookableEventType("intro", "Intro", timedelta(minutes=30), (), (Choice("alice", "Alice"),)),
    )
    catalogue = [_master("menu", MasterMode.EVENT_TYPES_FIRST, kinds)]

    state = settle(BookingState(DAY, TZ), catalogue)

    assert (state.master_page, state.event_type, state.pick) == ("menu", "intro", "alice")


def test_pages_first_offers_only_the_meetings_of_the_picked_page():
    kinds = (
        BookableEventType("intro", "Intro", timedelta(minutes=30), (), (Choice("alice", "A"),)),
        BookableEventType(
            "deep", "Deep", timedelta(hours=1), (), (Choice("alice", "A"), Choice("carol", "C"))
        ),
    )
    catalogue = [_master("people", MasterMode.PAGES_FIRST, kinds)]

    state = settle(BookingState(DAY, TZ, "people", pick="carol"), catalogue)

    assert state.event_type == "deep"


def test_choosing_another_master_page_forgets_the_later_choices():
    state = BookingState(DAY, TZ, "demo", "intro", "alice", START, "bob", 25)

    after = parse_step(
        state, {"action_id": ids.BOOK_MASTER_PAGE, "selected_option": {"value": "x"}}
    )

    assert after == BookingState(DAY, TZ, "x")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ({"action_id": ids.BOOK_DATE, "selected_date": "2026-03-09"}, {"day": date(2026, 3, 9)}),
        ({"action_id": ids.BOOK_DAY + "next", "value": "2026-03-03"}, {"day": date(2026, 3, 3)}),
        ({"action_id": ids.BOOK_SLOT + "4", "value": START.isoformat()}, {"start": START}),
        ({"action_id": ids.BOOK_MEMBER + "1", "value": "bob"}, {"member": "bob"}),
    ],
)
def test_each_action_of_the_modal_moves_the_state(action, expected):
    state = parse_step(BookingState(DAY, TZ, "demo", "intro"), action)

    for key, value in expected.items():
        assert getattr(state, key) == value


def test_going_back_keeps_the_page_picked_before_the_time_and_drops_the_one_after():
    state = BookingState(DAY, TZ, "people", "intro", "alice", START, "bob")

    back = parse_step(state, {"action_id": ids.BOOK_BACK, "value": "back"})

    assert (back.pick, back.start, back.member) == ("alice", None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (False, None, None)),
        ("list", (False, None, None)),
        ("demo", (False, "demo", None)),
        ("Book a demo 2026-03-09", (False, "Book a demo", date(2026, 3, 9))),
        ("tomorrow", (False, None, date(2026, 3, 3))),
        ("demo today", (False, "demo", DAY)),
    ],
)
def test_the_command_text_names_a_master_page_and_a_day(text, expected):
    parsed = parse_book_room_command(text, today=DAY)

    if text == "list":
        assert parsed.list_bookings
    else:
        assert (parsed.list_bookings, parsed.master_page, parsed.day) == expected


def test_a_date_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="is not a date"):
        parse_book_room_command("demo 2026-02-31", today=DAY)


def test_the_form_is_built_prefilled_filled_and_parsed_back():
    form = (FormField("topic", "Topic", required=True), FormField("email", "Email"))
    answers = prefill(form, {"email": "asha@example.com", "name": "Asha"})
    summary = Summary("Demo", "Intro", START, START + timedelta(minutes=30), "Alice")
    view = check_view(build_form_view(BookingState(DAY, TZ), summary, form, answers).to_dict())

    values = {
        block["block_id"]: {
            block["element"]["action_id"]: {
                "value": block["element"].get("initial_value") or " Robots "
            }
        }
        for block in view["blocks"]
        if block["type"] == "input"
    }

    assert answers == {"email": "asha@example.com"}
    assert view["submit"]["text"] == "Book"
    assert parse_form(values) == {"topic": "Robots", "email": "asha@example.com"}
    assert field_block("form.topic") == ids.BOOK_FIELD + "topic"
    assert field_block("customer") is None


def test_the_member_step_lists_the_free_pages_as_buttons():
    summary = Summary("Anyone", "Chat", START, START + timedelta(minutes=30))
    free = [Choice(f"p{n}", f"Person {n}") for n in range(30)]

    view = check_view(build_member_view(BookingState(DAY, TZ), summary, free).to_dict())

    assert sum(a.startswith(ids.BOOK_MEMBER) for a in _actions(view)) == 30


def test_a_long_list_of_bookings_stays_within_a_messages_blocks():
    names = Names({"alice": "Alice"}, {"intro": "Intro call"}, {"demo": "Demo"})
    bookings = [
        Booking(
            id=f"b{n}",
            master_page="demo",
            event_type="intro",
            start=START + timedelta(hours=n),
            end=START + timedelta(hours=n, minutes=30),
            participants=(Participant("alice", 0, Role.OWNER),),
            created_at=START,
        )
        for n in range(60)
    ]

    every = {booking.id for booking in bookings}
    message = build_my_bookings_message(bookings, names, TZ, reschedulable=every).as_kwargs()

    check_message(message)
    assert "…and 38 more." in str(message["blocks"][-1])  # a section and buttons each


def test_a_slot_past_midnight_names_both_days():
    late = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # 23:30 in Kolkata

    assert format_slot(late, late + timedelta(hours=1), TZ) == (
        "Mon 2 Mar 2026, 23:30–Tue 3 Mar 2026 00:30 (Asia/Kolkata)"
    )
