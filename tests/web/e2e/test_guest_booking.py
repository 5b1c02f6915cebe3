"""A guest books through the real pages in headless Chromium, served by waitress on 127.0.0.1.

The clock is fixed at Monday 7 December 2026, 08:00 UTC (see ``tests/web/conftest.py``);
Alice works 09:00-12:00 London time, which is 04:00-07:00 in New York in December.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from icalendar import Calendar
from playwright.sync_api import Page, expect

from services.booking_reads import upcoming_bookings
from services.context import Services
from tests.web.conftest import NOW, MakeLink
from tests.web.e2e.conftest import PHONE, NewContext

Screenshot = Callable[[Page, str], None]
BOOKED_OR_USED = re.compile(r"You're booked|This link has already been used")


def _bookings(services: Services) -> int:
    return len(upcoming_bookings(services.engine, "T0001", "U0ALICE", now=NOW))


def _fits_the_width(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_a_guest_books_a_personalized_link_in_their_own_zone_and_gets_the_calendar_file(
    site: str, personal_link: str, new_context: NewContext, services: Services
) -> None:
    page = new_context(timezone_id="America/New_York").new_page()

    page.goto(f"{site}/l/{personal_link}")
    # The zone script reloads the page with the browser's zone.
    expect(page).to_have_url(re.compile(r"tz=America%2FNew_York"))
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a demo")
    page.get_by_role("link", name="Monday 7 December 2026, 04:00 to 04:30").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(page.get_by_text("Monday 7 December 2026, 04:00 to 04:30")).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked")
    expect(page).to_have_url(f"{site}/l/{personal_link}/booked")
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    event = Calendar.from_ical(download.value.path().read_bytes()).walk("VEVENT")[0]
    (booking,) = upcoming_bookings(services.engine, "T0001", "U0ALICE", now=NOW)
    assert str(event["UID"]) == booking.id
    assert event.decoded("DTSTART") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert booking.customer_timezone == "America/New_York"

    page.goto(f"{site}/l/{personal_link}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has already been used")
    assert "Book a demo" not in page.content()


def test_a_guest_fills_the_form_of_an_anonymous_link_with_the_keyboard(
    site: str, make_link: MakeLink, new_context: NewContext, services: Services
) -> None:
    page = new_context(timezone_id="Europe/London").new_page()
    page.goto(f"{site}/l/{make_link(event_type='intro')}")
    first_slot = page.locator("a.slot").first
    first_slot.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")

    page.get_by_label("Your name").fill("Bo Diaz")
    page.get_by_label("Your email").fill("bo@example.com")
    page.get_by_label("Topic").fill("Pricing for a team of ten")
    page.get_by_role("button", name="Confirm booking").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked")
    (booking,) = upcoming_bookings(services.engine, "T0001", "U0ALICE", now=NOW)
    assert booking.customer_name == "Bo Diaz"
    assert booking.form_answers == {"topic": "Pricing for a team of ten"}


def test_without_javascript_the_times_are_in_the_workspace_zone_and_booking_works(
    site: str, personal_link: str, new_context: NewContext, services: Services
) -> None:
    page = new_context(java_script_enabled=False, timezone_id="Asia/Tokyo").new_page()
    page.goto(f"{site}/l/{personal_link}")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")

    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Show times").click()
    page.get_by_role("link", name="Monday 7 December 2026, 18:00 to 18:30").click()
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked")
    assert _bookings(services) == 1


def test_two_browsers_racing_for_one_link_make_one_booking(
    site: str, personal_link: str, new_context: NewContext, services: Services
) -> None:
    pages = [new_context(timezone_id="Europe/London").new_page() for _ in range(2)]
    for page in pages:
        page.goto(f"{site}/l/{personal_link}")
        page.locator("a.slot").first.click()
        expect(page.get_by_role("button", name="Confirm booking")).to_be_visible()

    for page in pages:  # both submits leave before either answer comes back
        page.evaluate("document.querySelector('form.booking').requestSubmit()")
    for page in pages:
        expect(page.get_by_role("heading", level=1)).to_have_text(BOOKED_OR_USED)

    headings = sorted(page.get_by_role("heading", level=1).inner_text() for page in pages)
    assert headings == ["This link has already been used", "You're booked"]
    assert _bookings(services) == 1


def test_every_page_fits_a_phone_screen_without_horizontal_scrolling(
    site: str,
    make_link: MakeLink,
    new_context: NewContext,
    screenshot: Screenshot,
) -> None:
    token = make_link(event_type="intro")
    page = new_context(viewport=PHONE, timezone_id="Europe/London").new_page()

    page.goto(f"{site}/l/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a demo")
    assert _fits_the_width(page)
    screenshot(page, "slots")

    page.locator("a.slot").nth(2).click()
    page.get_by_label("Your name").fill("Bo Diaz")
    page.get_by_label("Your email").fill("bo@example.com")
    page.get_by_label("Topic").fill("Pricing for a team of ten")
    assert _fits_the_width(page)
    screenshot(page, "form")

    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked")
    assert _fits_the_width(page)
    screenshot(page, "confirmation")

    page.goto(f"{site}/l/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has already been used")
    assert _fits_the_width(page)
    screenshot(page, "used-link")


def test_a_guest_says_how_many_people_come_and_gets_a_room_big_enough(
    site: str, make_link: MakeLink, new_context: NewContext, with_rooms: Services
) -> None:
    page = new_context(timezone_id="Europe/London").new_page()
    page.goto(f"{site}/l/{make_link(event_type='intro')}")
    expect(page.get_by_role("link", name="Monday 7 December 2026, 09:00 to 09:30")).to_be_visible()

    page.get_by_label("How many people?").fill("6")
    page.get_by_role("button", name="Show times").click()

    expect(page).to_have_url(re.compile(r"attendees=6"))
    expect(page.get_by_role("link", name="Monday 7 December 2026, 09:00 to 09:30")).to_have_count(0)
    page.get_by_role("link", name="Monday 7 December 2026, 10:00 to 10:30").click()
    expect(page.get_by_text("People")).to_be_visible()
    page.get_by_label("Your name").fill("Bo Diaz")
    page.get_by_label("Your email").fill("bo@example.com")
    page.get_by_label("Topic").fill("Six of us")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked")
    (booking,) = upcoming_bookings(with_rooms.engine, "T0001", "U0ALICE", now=NOW)
    assert booking.attendees == 6
    assert [p.page for p in booking.participants] == ["alice", "room-b"]
    assert _fits_the_width(page)
