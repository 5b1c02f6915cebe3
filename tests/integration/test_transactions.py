"""Each step of the booking modal opens at most two transactions (counted as BEGINs on the
app's engine while the step's listener and its deferred work run)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tests.integration.conftest import CUSTOMER

MOST = 2


@contextmanager
def _counted(engine) -> Iterator[list[object]]:
    begins: list[object] = []

    def begin(connection) -> None:
        begins.append(connection)

    event.listen(engine, "begin", begin)
    try:
        yield begins
    finally:
        event.remove(engine, "begin", begin)


def test_every_step_of_a_booking_opens_at_most_two_transactions(slack, services):
    engine = services.engine
    slack.command("/book-room", "", user=CUSTOMER)  # the workspace is recorded once
    with _counted(engine) as begins:
        slack.command("/book-room", "bytime", user=CUSTOMER)
    modal = slack.opened_modal(user=CUSTOMER)
    assert modal.slot_buttons()
    steps = {"/book-room bytime": len(begins)}

    with _counted(engine) as begins:
        modal.click(modal.slot_buttons()[2]["action_id"])
    assert modal.callback_id == "book:member"
    steps["a time"] = len(begins)

    with _counted(engine) as begins:
        modal.click("book:member:0")
    assert modal.callback_id == "book:form"
    steps["a member"] = len(begins)

    with _counted(engine) as begins:
        modal.click("book:back")
    assert modal.callback_id == "book:slots"
    steps["back to the times"] = len(begins)

    with _counted(engine) as begins:
        modal.click("book:day:next")
    steps["the next day"] = len(begins)

    modal.click(modal.slot_buttons()[0]["action_id"])
    modal.click("book:member:0")
    with _counted(engine) as begins:
        modal.submit()
    assert modal.callback_id == "book:done"
    steps["the submission"] = len(begins)

    assert max(steps.values()) <= MOST, steps


def test_opening_the_modal_on_a_master_page_reads_the_catalogue_once(slack, services):
    slack.command("/book-room", "", user=CUSTOMER)
    with _counted(services.engine) as begins:
        slack.command("/book-room", "demo", user=CUSTOMER)
    assert "Free times" in slack.opened_modal(user=CUSTOMER).text
    assert len(begins) <= MOST
