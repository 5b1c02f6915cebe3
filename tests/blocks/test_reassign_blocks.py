"""The Reassign modal: free members first, busy ones marked, seats of panels, round trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot import ids
from bot.blocks.reassign import (
    FORCE,
    TELL,
    ReassignForm,
    build_reassign_modal,
    parse_reassign,
    reassign_errors,
)
from engine.errors import BadInput
from engine.model import Page, PageKind
from engine.records import Booking, Participant, Role
from services.booking_reassign import Candidate
from tests.blocks.test_admin_blocks import check_view, fill, option

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PAGES = {
    "alice": Page("alice", PageKind.MEMBER, "Alice Archer", "Europe/London", slack_user="U0A"),
    "bob": Page("bob", PageKind.MEMBER, "Bob Brown", "Europe/London", slack_user="U0B"),
    "carol": Page("carol", PageKind.MEMBER, "Carol Chen", "Europe/London", slack_user="U0C"),
    "room-a": Page("room-a", PageKind.RESOURCE, "Room A", "Europe/London"),
}


def _booking(*participants: Participant) -> Booking:
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    return Booking(
        id="b1",
        master_page="demo",
        event_type="intro",
        start=start,
        end=start + timedelta(minutes=30),
        participants=participants or (Participant("alice", 0, Role.OWNER, "sales"),),
        created_at=NOW,
    )


PANEL = _booking(
    Participant("alice", 0, Role.OWNER, "sales"),
    Participant("room-a", 1, Role.PARTICIPANT, "rooms"),
    Participant("carol", 2, Role.PARTICIPANT),
)
CANDIDATES = [Candidate("bob", "Bob Brown", True), Candidate("carol", "Carol Chen", False)]


def _modal(booking: Booking = PANEL, candidates=CANDIDATES, **kw):  # type: ignore[no-untyped-def]
    return build_reassign_modal(
        booking, candidates, pages=PAGES, event_type="Intro call", tz="Europe/London", **kw
    )


def test_free_members_come_first_and_busy_ones_are_marked() -> None:
    data = check_view(_modal(_booking()))
    target = next(b for b in data["blocks"] if b.get("block_id") == ids.REASSIGN_TARGET)
    options = target["element"]["options"]

    assert [o["text"]["text"] for o in options] == ["Bob Brown", "Carol Chen (busy)"]
    assert ids.REASSIGN_SEAT not in json.dumps(data)


def test_a_panel_offers_its_seats_owner_room_and_panelist() -> None:
    data = check_view(_modal(seat="room-a", channel="C0SALES", ts="1700000000.000001"))
    seat = next(b for b in data["blocks"] if b.get("block_id") == ids.REASSIGN_SEAT)

    assert seat["dispatch_action"] is True
    assert [o["text"]["text"] for o in seat["element"]["options"]] == [
        "Owner: Alice Archer",
        "Room: Room A",
        "Panelist: Carol Chen",
    ]
    assert seat["element"]["initial_option"]["value"] == "room-a"
    assert "Alice Archer (owner), Room A (room), Carol Chen (panelist)" in json.dumps(data)


def test_a_filled_modal_parses_to_what_the_service_needs() -> None:
    view = _modal(seat="alice", channel="C0SALES", ts="1700000000.000001")
    answers = {
        ids.REASSIGN_TARGET: option("carol"),
        ids.REASSIGN_REASON: "  Alice is off sick  ",
        ids.REASSIGN_OPTIONS: [option(FORCE)],
    }

    form = parse_reassign(fill(view, **answers))

    assert form == ReassignForm(
        booking_id="b1",
        to_page="carol",
        seat="alice",
        reason="Alice is off sick",
        tell_customer=False,
        force=True,
        channel="C0SALES",
        ts="1700000000.000001",
    )


def test_an_untouched_modal_tells_the_customer_and_does_not_force() -> None:
    form = parse_reassign(fill(_modal(_booking()), **{ids.REASSIGN_TARGET: option("bob")}))

    assert form.tell_customer is True
    assert form.force is False
    assert form.reason is None
    assert form.seat == "alice"
    assert form.channel is None


def test_nobody_to_move_to_leaves_only_a_close_button() -> None:
    data = check_view(_modal(_booking(), candidates=[]))

    assert "submit" not in data
    assert "Nobody else can take this seat" in json.dumps(data)


def test_refusals_land_on_the_target_unless_they_are_about_the_seat() -> None:
    assert reassign_errors("seat", "no such seat", has_seat=True) == {
        ids.REASSIGN_SEAT: "no such seat"
    }
    assert reassign_errors("seat", "no such seat", has_seat=False) == {
        ids.REASSIGN_TARGET: "no such seat"
    }
    assert reassign_errors(None, "busy", has_seat=True) == {ids.REASSIGN_TARGET: "busy"}


def test_long_candidate_lists_are_cut_to_one_hundred_options() -> None:
    many = [Candidate(f"p{n}", f"Person {n}", n < 150) for n in range(300)]

    data = check_view(_modal(_booking(), candidates=many))
    target = next(b for b in data["blocks"] if b.get("block_id") == ids.REASSIGN_TARGET)

    assert len(target["element"]["options"]) == 100


def test_a_view_without_reassign_metadata_is_refused() -> None:
    with pytest.raises(BadInput):
        parse_reassign({"private_metadata": "{}"})


def test_the_tell_option_is_ticked_at_first() -> None:
    data = _modal(_booking()).to_dict()
    checks = next(b for b in data["blocks"] if b.get("block_id") == ids.REASSIGN_OPTIONS)

    assert [o["value"] for o in checks["element"]["initial_options"]] == [TELL]


def test_a_target_busy_but_forceable_is_answered_on_the_box_that_forces() -> None:
    errors = reassign_errors("force", "'bob' is not free at that time", has_seat=False)

    assert errors == {
        ids.REASSIGN_OPTIONS: "'bob' is not free at that time; tick “Assign even if busy at "
        "that time” to move anyway"
    }
