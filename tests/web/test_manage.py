"""A guest's manage page through Werkzeug's test client: details, cancel, reschedule, refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import Client, TestResponse

from engine.records import Booking
from services.booking import BookingRequest, Customer, book
from services.booking_reads import BookingFilter, get_booking, list_bookings
from services.context import CommandLine, Services
from services.manage_links import manage_token
from tests.web.conftest import NOW, PUBLIC_URL, SECRET, SECRET_NAMES, MakeLink
from tests.web.pages import Page
from web.app import GuestApp

STARTS_AT = NOW + timedelta(hours=1)  # Monday 7 December 2026, 09:00 London (UTC)


def _page(response: TestResponse) -> Page:
    return Page(response.get_data(as_text=True))


def _guest_booking(services: Services, token: str, start=STARTS_AT, **customer: str) -> Booking:
    request = BookingRequest(
        workspace_id="T0001",
        master_page="demo",
        event_type="intro",
        start=start,
        customer=Customer(**customer),
        tz="Europe/London",
        link_token=token,
    )
    return book(services.engine, request, actor=CommandLine(), now=NOW)


@pytest.fixture
def booking(services: Services, personal_link: str) -> Booking:
    return _guest_booking(services, personal_link)


@pytest.fixture
def manage(booking: Booking) -> str:
    return f"/m/{manage_token(SECRET, booking.id)}"


def _status(services: Services, booking: Booking) -> str:
    return get_booking(services.engine, "T0001", booking.id).status.value


def test_the_confirmation_page_shows_the_booking_s_manage_url(
    client: Client, services: Services, personal_link: str
) -> None:
    times = client.get(f"/l/{personal_link}")
    form = _page(client.get(_page(times).slot_urls()[0]))
    assert form.form_action is not None
    done = client.post(form.form_action, data=form.fields, follow_redirects=True)
    html = done.get_data(as_text=True)
    (booking,) = _all(services)
    url = f"{PUBLIC_URL}/m/{manage_token(SECRET, booking.id)}"
    assert f'<a href="{url}">{url}</a>' in html


def _all(services: Services) -> list[Booking]:
    return list_bookings(services.engine, "T0001", BookingFilter(), actor=CommandLine())


def test_the_manage_page_shows_the_booking_with_reschedule_and_cancel(
    client: Client, manage: str
) -> None:
    response = client.get(manage)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Your booking</h1>" in html
    assert "Monday 7 December 2026, 09:00 to 09:30" in html
    for shown in ("Alice Hart", "Ann Lee", "ann@example.com", "Intro call", "Book a demo"):
        assert shown in html
    links = [href for href, _ in _page(response).links]
    assert f"{manage}/times" in links
    assert f"{manage}/cancel" in links
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_forged_unknown_and_slack_customers_tokens_get_one_page_that_names_nothing(
    client: Client, services: Services, manage: str, make_link: MakeLink
) -> None:
    token = manage.removeprefix("/m/")
    slack = _guest_booking(
        services, make_link(event_type="intro", form_answers={"topic": "x"}),
        start=STARTS_AT + timedelta(hours=1), slack_user="U0KIM",
    )  # fmt: skip
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_secret = manage_token(b"another secret", slack.id)
    bodies = set()
    for bad in (altered, "x" * 43, "short", other_secret, manage_token(SECRET, slack.id)):
        for path in (f"/m/{bad}", f"/m/{bad}/times", f"/m/{bad}/cancel"):
            response = client.get(path)
            assert response.status_code == 410, path
            bodies.add(response.get_data(as_text=True))
    assert len(bodies) == 1
    (body,) = bodies
    assert not any(name in body for name in SECRET_NAMES)


def test_a_guest_cancels_after_confirming_and_everyone_is_told(
    client: Client, services: Services, booking: Booking, manage: str
) -> None:
    confirm = _page(client.get(f"{manage}/cancel"))
    assert confirm.form_action == f"{manage}/cancel"
    done = client.post(confirm.form_action, data=confirm.fields)
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"{manage}?notice=cancelled")
    assert _status(services, booking) == "cancelled"
    html = client.get(manage).get_data(as_text=True)
    assert "This booking was cancelled" in html
    assert f"{manage}/times" not in html
    again = client.post(confirm.form_action, data=confirm.fields)  # a double submit
    assert (again.status_code, _status(services, booking)) == (303, "cancelled")


def test_a_post_without_the_form_s_token_and_cookie_is_refused_and_changes_nothing(
    client: Client, services: Services, booking: Booking, manage: str, guest_app: GuestApp
) -> None:
    confirm = _page(client.get(f"{manage}/cancel"))
    assert client.post(f"{manage}/cancel", data={}).status_code == 400
    stranger = Client(guest_app)  # no cookie: a forged cross-site form
    assert stranger.post(f"{manage}/cancel", data=confirm.fields).status_code == 400
    forged = dict(confirm.fields, csrf=confirm.fields["csrf"] + "x")
    assert client.post(f"{manage}/cancel", data=forged).status_code == 400
    assert _status(services, booking) == "confirmed"


def test_a_guest_reschedules_to_a_time_from_the_same_list(
    client: Client, services: Services, booking: Booking, manage: str
) -> None:
    times = client.get(f"{manage}/times")
    assert times.status_code == 200
    urls = _page(times).slot_urls()
    starts = [parse_qs(urlsplit(url).query)["start"][0] for url in urls]
    assert starts[:3] == ["2026-12-07T09:00:00Z", "2026-12-07T09:30:00Z", "2026-12-07T10:00:00Z"]
    confirm_page = client.get(urls[2])
    confirm = _page(confirm_page)
    assert "Monday 7 December 2026, 10:00 to 10:30" in confirm_page.get_data(as_text=True)
    done = client.post(confirm.form_action or "", data=confirm.fields)
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"{manage}?notice=moved")
    moved = get_booking(services.engine, "T0001", booking.id)
    assert (moved.start, moved.owner) == (NOW + timedelta(hours=2), "alice")
    assert "has been moved" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_a_time_taken_meanwhile_goes_back_to_the_times_with_a_notice(
    client: Client, services: Services, booking: Booking, manage: str, make_link: MakeLink
) -> None:
    urls = _page(client.get(f"{manage}/times")).slot_urls()
    confirm = _page(client.get(urls[2]))
    taker = make_link(event_type="intro", form_answers={"topic": "x"})
    _guest_booking(services, taker, start=NOW + timedelta(hours=2),
                   name="Bo", email="bo@example.com")  # fmt: skip
    done = client.post(confirm.form_action or "", data=confirm.fields)
    assert done.status_code == 303
    assert "notice=taken" in done.headers["Location"]
    assert get_booking(services.engine, "T0001", booking.id).start == STARTS_AT
    notice = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "just taken" in notice


def test_a_move_to_a_malformed_time_is_a_bad_request(client: Client, manage: str) -> None:
    for query in ("start=tomorrow&tz=Europe/London", "start=2026-12-07T10:00:00Z&tz=Nowhere"):
        response = client.get(f"{manage}/move?{query}")
        assert response.status_code == 400
        assert f'href="{manage}"' in response.get_data(as_text=True)


def test_once_the_meeting_started_the_page_says_it_can_no_longer_be_changed(
    services: Services, booking: Booking, manage: str
) -> None:
    before = Client(GuestApp(services, secret=SECRET))
    confirm = _page(before.get(f"{manage}/cancel"))
    later = GuestApp(
        replace(services, clock=lambda: STARTS_AT + timedelta(minutes=5)), secret=SECRET
    )
    client = Client(later)
    client.set_cookie("rt_csrf", before.get_cookie("rt_csrf", path=f"{manage}").value, path=manage)
    html = client.get(manage).get_data(as_text=True)
    assert "can no longer be changed" in html
    assert f"{manage}/times" not in html
    assert client.post(f"{manage}/cancel", data=confirm.fields).status_code == 303
    assert _status(services, booking) == "confirmed"
    assert client.get(f"{manage}/times").status_code == 303
