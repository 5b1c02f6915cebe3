"""A guest reschedules and cancels through the manage page, by keyboard, on a phone's screen.

Headless Chromium at 375×667 against the pages served by waitress on 127.0.0.1; the clock is
Monday 7 December 2026, 08:00 UTC and Alice works 09:00-12:00 London time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from services.booking_reads import BookingFilter, list_bookings
from services.context import CommandLine, Services
from tests.web.conftest import PUBLIC_URL, MakeLink
from tests.web.e2e.conftest import PHONE, NewContext

Screenshot = Callable[[Page, str], None]


def _fits_the_width(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def _press(page: Page, role: str, name: str) -> None:
    """Focus a control as the keyboard would reach it, and press Enter on it."""
    control = page.get_by_role(role, name=name)  # type: ignore[arg-type]
    control.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")


def _book_and_open_the_manage_page(site: str, token: str, page: Page) -> None:
    page.goto(f"{site}/l/{token}")
    page.locator("a.slot").first.focus()
    page.keyboard.press("Enter")
    _press(page, "button", "Confirm booking")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked")
    assert _fits_the_width(page)
    # The page names the URL under PUBLIC_URL; the test server listens elsewhere.
    url = page.locator(".manage a").get_attribute("href") or ""
    assert url.startswith(f"{PUBLIC_URL}/m/")
    page.goto(site + url.removeprefix(PUBLIC_URL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your booking")


def _only_booking(services: Services):
    (booking,) = list_bookings(services.engine, "T0001", BookingFilter(), actor=CommandLine())
    return booking


def test_a_guest_reschedules_by_keyboard_on_a_phone(
    site: str,
    personal_link: str,
    new_context: NewContext,
    services: Services,
    screenshot: Screenshot,
) -> None:
    page = new_context(viewport=PHONE, timezone_id="Europe/London").new_page()
    _book_and_open_the_manage_page(site, personal_link, page)
    expect(page.get_by_text("Monday 7 December 2026, 09:00 to 09:30")).to_be_visible()
    assert _fits_the_width(page)
    screenshot(page, "manage")

    _press(page, "link", "Reschedule")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick a new time")
    assert _fits_the_width(page)
    screenshot(page, "manage-times")
    _press(page, "link", "Monday 7 December 2026, 11:00 to 11:30")
    expect(page.get_by_role("heading", level=1)).to_have_text("Move your booking?")
    assert _fits_the_width(page)
    _press(page, "button", "Move my booking")

    expect(page.get_by_role("status")).to_have_text(
        "Your booking has been moved. Everyone in it has been told."
    )
    expect(page.get_by_text("Monday 7 December 2026, 11:00 to 11:30")).to_be_visible()
    assert _fits_the_width(page)
    booking = _only_booking(services)
    assert booking.start == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    assert booking.status.value == "confirmed"


def test_a_guest_cancels_by_keyboard_on_a_phone(
    site: str, make_link: MakeLink, new_context: NewContext, services: Services
) -> None:
    token = make_link(event_type="deep", name="Bo Diaz", email="bo@example.com")
    page = new_context(viewport=PHONE, timezone_id="Europe/London").new_page()
    _book_and_open_the_manage_page(site, token, page)

    _press(page, "link", "Cancel booking")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your booking?")
    assert _fits_the_width(page)
    _press(page, "button", "Cancel my booking")

    expect(page.get_by_role("status")).to_have_text(
        "Your booking has been cancelled. Everyone in it has been told."
    )
    expect(page.get_by_text("This booking was cancelled")).to_be_visible()
    expect(page.get_by_role("link", name="Reschedule")).to_have_count(0)
    assert _fits_the_width(page)
    assert _only_booking(services).status.value == "cancelled"


def test_a_forged_manage_link_reveals_nothing_in_the_browser(
    site: str, new_context: NewContext
) -> None:
    page = new_context(viewport=PHONE).new_page()
    response = page.goto(f"{site}/m/{'A' * 43}")
    assert response is not None
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link isn't valid any more")
    assert _fits_the_width(page)
