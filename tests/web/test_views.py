"""The guest pages through Werkzeug's test client: times, the form, booking, refusals, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from werkzeug.test import Client, TestResponse

from services.booking_reads import upcoming_bookings
from services.context import Services
from tests.web.conftest import NOW, SECRET_NAMES, MakeLink
from tests.web.pages import Page
from web.booking import BOOKED_COOKIE
from web.pages import CSRF_COOKIE


def _bookings(services: Services) -> int:
    return len(upcoming_bookings(services.engine, "T0001", "U0ALICE", now=NOW))


def _page(response: TestResponse) -> Page:
    return Page(response.get_data(as_text=True))


def _open_form(client: Client, token: str, slot: int = 0, **query: str) -> Page:
    """Open the link's times, follow the ``slot``-th free time, and return the form page."""
    times = client.get(f"/l/{token}", query_string=query)
    assert times.status_code == 200
    form = client.get(_page(times).slot_urls()[slot])
    assert form.status_code == 200
    return _page(form)


def _submit(client: Client, form: Page, **changes: str) -> TestResponse:
    assert form.form_action is not None
    return client.post(form.form_action, data={**form.fields, **changes})


def test_a_link_shows_its_master_page_its_event_types_and_free_times_by_day(
    client: Client, make_link: MakeLink
) -> None:
    response = client.get(f"/l/{make_link()}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<h1>Book a demo</h1>" in html
    assert "Intro call" in html
    assert "Deep dive" in html
    assert "<h3>Monday 7 December 2026</h3>" in html
    assert 'aria-label="Monday 7 December 2026, 09:00 to 09:30">09:00</a>' in html
    assert "Europe/London</option>" in html


def test_a_link_fixed_to_one_event_type_offers_only_that_one(
    client: Client, make_link: MakeLink
) -> None:
    html = client.get(f"/l/{make_link(event_type='deep')}").get_data(as_text=True)

    assert "Deep dive" in html
    assert "Intro call" not in html


def test_choosing_another_event_type_shows_its_times(client: Client, make_link: MakeLink) -> None:
    token = make_link()
    response = client.get(f"/l/{token}", query_string={"event_type": "deep"})
    starts = [parse_qs(urlsplit(url).query)["start"][0] for url in _page(response).slot_urls()]

    assert starts[:3] == ["2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z"]


def test_times_are_shown_in_the_zone_the_guest_asks_for(
    client: Client, make_link: MakeLink
) -> None:
    response = client.get(f"/l/{make_link()}", query_string={"tz": "America/New_York"})
    html = response.get_data(as_text=True)

    assert 'aria-label="Monday 7 December 2026, 04:00 to 04:30">04:00</a>' in html
    assert "<option selected>America/New_York</option>" in html
    assert "tz=America%2FNew_York" in _page(response).slot_urls()[0]


def test_without_a_zone_the_page_loads_the_zone_script_and_shows_the_workspace_zone(
    client: Client, make_link: MakeLink
) -> None:
    html = client.get(f"/l/{make_link()}").get_data(as_text=True)

    assert '<script src="/l/_static/zone.js" defer></script>' in html
    assert "<option selected>Europe/London</option>" in html
    assert html.count("<script") == 1


def test_an_unknown_zone_falls_back_to_the_workspace_zone_with_a_notice(
    client: Client, make_link: MakeLink
) -> None:
    html = client.get(f"/l/{make_link()}", query_string={"tz": "Mars/Olympus"}).get_data(
        as_text=True
    )

    assert "Unknown time zone; times are shown in Europe/London." in html
    assert ">09:00</a>" in html


def test_weeks_page_forward_and_back_within_the_booking_horizon(
    client: Client, make_link: MakeLink
) -> None:
    token = make_link()
    first = _page(client.get(f"/l/{token}"))
    later = [href for href, _ in first.links if "from=" in href]
    assert len(later) == 1  # no way back from this week

    second = client.get(later[0]).get_data(as_text=True)
    assert "<h3>Monday 14 December 2026</h3>" in second
    assert "← Earlier" in second
    assert "Later →" in second

    last = client.get(f"/l/{token}", query_string={"from": "2027-02-01"}).get_data(as_text=True)
    assert "Later →" not in last  # the horizon is 60 days after 7 December


def test_a_personalized_link_asks_nothing_and_books_on_confirm(
    client: Client, personal_link: str, services: Services
) -> None:
    form = _open_form(client, personal_link, slot=2)
    assert form.inputs == []
    assert set(form.fields) == {"csrf", "event_type", "start", "tz"}

    response = _submit(client, form)
    assert response.status_code == 303
    assert response.location == f"/l/{personal_link}/booked"
    assert _bookings(services) == 1

    booked = client.get(response.location)
    html = booked.get_data(as_text=True)
    assert booked.status_code == 200
    assert "You're booked" in html
    assert "Monday 7 December 2026, 10:00 to 10:30" in html
    assert "Ann Lee" in html
    assert "ann@example.com" in html
    assert "Alice Hart" in html


def test_the_calendar_file_holds_the_booking_in_utc(
    client: Client, personal_link: str, services: Services
) -> None:
    _submit(client, _open_form(client, personal_link, tz="America/New_York"))
    response = client.get(f"/l/{personal_link}/booked.ics")
    event = Calendar.from_ical(response.get_data()).walk("VEVENT")[0]
    (booking,) = upcoming_bookings(services.engine, "T0001", "U0ALICE", now=NOW)

    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == 'attachment; filename="booking.ics"'
    assert str(event["UID"]) == booking.id
    assert event.decoded("DTSTART") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert str(event["ATTENDEE"]) == "mailto:ann@example.com"
    assert event["ATTENDEE"].params["CN"] == "Ann Lee"


def test_an_anonymous_link_asks_for_name_email_and_the_form_questions(
    client: Client, make_link: MakeLink, services: Services
) -> None:
    token = make_link(event_type="intro")
    form = _open_form(client, token)
    assert form.inputs == ["name", "email", "answer-topic"]

    response = _submit(
        client, form, name="Bo Diaz", email="bo@example.com", **{"answer-topic": "Pricing"}
    )

    assert response.status_code == 303
    (booking,) = upcoming_bookings(services.engine, "T0001", "U0ALICE", now=NOW)
    assert (booking.customer_name, booking.customer_email) == ("Bo Diaz", "bo@example.com")
    assert booking.form_answers == {"topic": "Pricing"}
    assert booking.customer_timezone == "Europe/London"


def test_a_form_with_missing_or_wrong_answers_comes_back_with_messages_and_books_nothing(
    client: Client, make_link: MakeLink, services: Services
) -> None:
    form = _open_form(client, make_link(event_type="intro"))

    response = _submit(client, form, name=" ", email="not an address")
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert "Please enter your name." in html
    assert "is not an email address like ann@example.com" in html
    assert "Please answer “Topic”." in html
    assert 'aria-invalid="true" aria-describedby="name-error"' in html
    assert _bookings(services) == 0
    # The form comes back filled in, and submitting it corrected books.
    again = _page(response)
    assert again.fields["email"] == "not an address"
    fixed = _submit(client, again, name="Bo", email="bo@example.com", **{"answer-topic": "Pricing"})
    assert fixed.status_code == 303
    assert _bookings(services) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"csrf": ""}, id="missing token"),
        pytest.param({"csrf": "forged.token.value"}, id="forged token"),
        pytest.param({"cookie": None}, id="missing cookie"),
        pytest.param({"cookie": "another-nonce"}, id="cookie of another form"),
    ],
)
def test_a_booking_post_failing_csrf_is_refused_with_400_and_writes_nothing(
    client: Client, personal_link: str, services: Services, tamper: dict[str, str | None]
) -> None:
    form = _open_form(client, personal_link)
    if "cookie" in tamper:
        client.delete_cookie(CSRF_COOKIE, path=f"/l/{personal_link}")
        if tamper["cookie"] is not None:
            client.set_cookie(CSRF_COOKIE, tamper["cookie"], path=f"/l/{personal_link}")
    fields = {key: value for key, value in tamper.items() if key == "csrf" and value is not None}

    response = _submit(client, form, **fields)

    assert response.status_code == 400
    assert "This form has expired or did not come from this page." in response.get_data(
        as_text=True
    )
    assert _bookings(services) == 0


def test_a_csrf_token_of_another_link_is_refused(
    client: Client, personal_link: str, make_link: MakeLink, services: Services
) -> None:
    other = make_link(event_type="deep", name="Cy", email="cy@example.com")
    stolen = _open_form(client, other).fields["csrf"]
    form = _open_form(client, personal_link)

    response = _submit(client, form, csrf=stolen)

    assert response.status_code == 400
    assert _bookings(services) == 0


def test_submitting_the_same_form_twice_books_once(
    client: Client, personal_link: str, services: Services
) -> None:
    form = _open_form(client, personal_link)

    first = _submit(client, form)
    second = _submit(client, form)

    assert first.status_code == second.status_code == 303
    assert second.location == first.location
    assert _bookings(services) == 1
    assert "You're booked" in client.get(second.location).get_data(as_text=True)


def test_a_time_taken_meanwhile_returns_to_the_times_with_a_message(
    client: Client, make_link: MakeLink, personal_link: str, services: Services
) -> None:
    late = make_link(event_type="deep", name="Cy", email="cy@example.com")
    late_form = _open_form(client, late)
    _submit(client, _open_form(client, personal_link))

    response = _submit(client, late_form)

    assert response.status_code == 303
    assert response.location.startswith(f"/l/{late}?")
    assert "notice=taken" in response.location
    times = client.get(response.location).get_data(as_text=True)
    assert "Sorry, that time was just taken. Please pick another one." in times
    assert "Monday 7 December 2026, 09:00" not in times
    assert "Monday 7 December 2026, 10:00 to 11:00" in times
    assert _bookings(services) == 1


def test_opening_the_form_of_a_time_no_longer_free_returns_to_the_times(
    client: Client, make_link: MakeLink, personal_link: str
) -> None:
    late = make_link(event_type="deep", name="Cy", email="cy@example.com")
    slot_url = _page(client.get(f"/l/{late}")).slot_urls()[0]
    _submit(client, _open_form(client, personal_link))

    response = client.get(slot_url)

    assert response.status_code == 303
    assert "notice=taken" in response.location


def test_a_start_that_is_not_a_time_is_a_bad_request(client: Client, make_link: MakeLink) -> None:
    token = make_link()
    query = {"event_type": "intro", "tz": "Europe/London"}

    for start in ("tomorrow", "2026-12-07T09:00:00"):
        response = client.get(f"/l/{token}/book", query_string={**query, "start": start})
        assert response.status_code == 400


def test_an_event_type_the_link_does_not_book_is_a_bad_request(
    client: Client, make_link: MakeLink
) -> None:
    query = {"event_type": "intro", "tz": "Europe/London", "start": "2026-12-07T09:00:00Z"}

    response = client.get(f"/l/{make_link(event_type='deep')}/book", query_string=query)

    assert response.status_code == 400


def test_opening_a_used_link_again_says_it_has_been_used(
    client: Client, personal_link: str
) -> None:
    _submit(client, _open_form(client, personal_link))

    response = client.get(f"/l/{personal_link}")
    html = response.get_data(as_text=True)

    assert response.status_code == 410
    assert "This link has already been used" in html
    assert not any(name in html for name in SECRET_NAMES)


@pytest.fixture(params=["expired", "revoked", "unknown"])
def dead_link(request: pytest.FixtureRequest) -> str:
    if request.param == "unknown":
        return "c29tZS10b2tlbi10aGF0LXdhcy1uZXZlci1pc3N1ZWQtYXQtYWxs"
    return str(request.getfixturevalue(f"{request.param}_link"))


def test_expired_revoked_and_unknown_links_get_one_page_naming_nothing_behind_them(
    client: Client, dead_link: str
) -> None:
    pages = [
        client.get(f"/l/{dead_link}"),
        client.get(f"/l/{dead_link}/book", query_string={"event_type": "intro"}),
    ]

    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "This link isn't valid any more" in html
        assert "already been used" not in html
        assert not any(name in html for name in SECRET_NAMES)


def test_expired_revoked_and_unknown_links_read_exactly_alike(
    client: Client, expired_link: str, revoked_link: str
) -> None:
    bodies = {
        token: client.get(f"/l/{token}").get_data()
        for token in (expired_link, revoked_link, "bm90LWEtdG9rZW4tYW55b25lLWhhcy1ldmVyLWlzc3VlZA")
    }

    assert len(set(bodies.values())) == 1


def test_a_second_guest_posting_to_a_link_just_used_is_told_it_was_used(
    client: Client, make_link: MakeLink, services: Services
) -> None:
    token = make_link(event_type="deep", name="Cy", email="cy@example.com")
    other = Client(client.application)
    mine, theirs = _open_form(client, token, slot=0), _open_form(other, token, slot=1)
    _submit(client, mine)

    response = _submit(other, theirs)

    assert response.status_code == 410
    assert "This link has already been used" in response.get_data(as_text=True)
    assert _bookings(services) == 1


def test_the_confirmation_without_this_browsers_booking_goes_back_to_the_link(
    client: Client, personal_link: str
) -> None:
    _submit(client, _open_form(client, personal_link))
    stranger = Client(client.application)

    response = stranger.get(f"/l/{personal_link}/booked")

    assert response.status_code == 303
    assert response.location == f"/l/{personal_link}"
    assert stranger.get(f"/l/{personal_link}/booked.ics").status_code == 404


def test_the_confirmation_cookie_is_scoped_to_the_link_and_http_only(
    client: Client, personal_link: str
) -> None:
    response = _submit(client, _open_form(client, personal_link))
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(BOOKED_COOKIE))

    assert f"Path=/l/{personal_link}" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_every_page_forbids_framing_referrers_caching_and_foreign_scripts(
    client: Client, make_link: MakeLink
) -> None:
    for path in (f"/l/{make_link()}", "/l/nothing-here/at/all"):
        headers = client.get(path).headers
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_the_style_sheet_and_the_zone_script_are_served(client: Client) -> None:
    with client.get("/l/_static/guest.css") as css, client.get("/l/_static/zone.js") as script:
        assert css.status_code == script.status_code == 200
        assert css.mimetype == "text/css"
        assert "resolvedOptions().timeZone" in script.get_data(as_text=True)


def test_an_unknown_path_gets_a_friendly_not_found_page(client: Client) -> None:
    response = client.get("/l/a/b/c")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.get_data(as_text=True)


def test_pages_declare_their_language_and_label_every_field(
    client: Client, make_link: MakeLink
) -> None:
    token = make_link(event_type="intro")
    times = client.get(f"/l/{token}").get_data(as_text=True)
    form_url = Page(times).slot_urls()[0]
    form_html = client.get(form_url).get_data(as_text=True)

    assert '<html lang="en">' in times
    assert '<label for="tz">Time zone</label>' in times
    for name in Page(form_html).inputs:
        assert f'<label for="{name}">' in form_html
        assert f'id="{name}" name="{name}"' in form_html


def test_a_link_whose_booking_takes_a_room_asks_how_many_people(
    client: Client, make_link: MakeLink, with_rooms: Services
) -> None:
    token = make_link(event_type="intro")
    html = client.get(f"/l/{token}").get_data(as_text=True)

    assert '<label for="attendees">How many people?</label>' in html
    assert 'name="attendees" type="number" min="1" max="1000" value="1"' in html
    assert all("attendees=1" in url for url in Page(html).slot_urls())
    six = client.get(f"/l/{token}", query_string={"attendees": "6"}).get_data(as_text=True)
    assert ">09:00</a>" not in six, "only Room B seats six, from 10:00"
    assert ">10:00</a>" in six
    assert 'value="6"' in six
    full = client.get(f"/l/{token}", query_string={"attendees": "9"}).get_data(as_text=True)
    assert "No free times in this week." in full


def test_the_number_of_people_travels_to_the_booking_and_picks_a_room_big_enough(
    client: Client, make_link: MakeLink, with_rooms: Services
) -> None:
    token = make_link(event_type="intro")
    times = client.get(f"/l/{token}", query_string={"attendees": "6"})
    response = client.get(_page(times).slot_urls()[0])
    form = _page(response)
    assert form.fields["attendees"] == "6"
    assert "<dt>People</dt><dd>6</dd>" in response.get_data(as_text=True)

    done = _submit(client, form, name="Gus", email="gus@example.com", **{"answer-topic": "Six"})

    assert done.status_code == 303
    [booking] = upcoming_bookings(with_rooms.engine, "T0001", "U0ALICE", now=NOW)
    assert booking.attendees == 6
    assert [p.page for p in booking.participants] == ["alice", "room-b"]


@pytest.mark.parametrize("count", ["0", "abc", "1001", "-2"])
def test_a_bad_number_of_people_is_a_400_that_names_it(
    client: Client, make_link: MakeLink, with_rooms: Services, count: str
) -> None:
    response = client.get(f"/l/{make_link(event_type='intro')}", query_string={"attendees": count})

    assert response.status_code == 400
    assert "How many people" in response.get_data(as_text=True)


def test_a_link_whose_booking_takes_no_room_does_not_ask_how_many_people(
    client: Client, make_link: MakeLink
) -> None:
    html = client.get(f"/l/{make_link()}").get_data(as_text=True)
    assert "How many people?" not in html
    assert not any("attendees" in url for url in Page(html).slot_urls())
