"""The guest pages against what an attacker types: absurd times and NUL bytes, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from werkzeug.test import Client

from services.config import apply_config
from services.context import Services
from storage.tables import BookingRow
from tests.web.conftest import CONFIG, NOW, PUBLIC_URL, MakeLink
from tests.web.pages import Page


@pytest.fixture
def services(db_engine: Engine, tmp_path: Path) -> Services:
    """The guest pages' workspace on SQLite, then on PostgreSQL."""
    config = tmp_path / "guest.yml"
    config.write_text(CONFIG)
    apply_config(db_engine, config)
    return Services(engine=db_engine, public_url=PUBLIC_URL, clock=lambda: NOW)


def _bookings(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(BookingRow)).scalar_one()


def _form(client: Client, token: str) -> Page:
    times = client.get(f"/l/{token}")
    form = client.get(Page(times.get_data(as_text=True)).slot_urls()[0])
    assert form.status_code == 200
    return Page(form.get_data(as_text=True))


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:00:00Z"]
)
def test_a_start_out_of_the_years_2000_to_2100_is_a_bad_request_not_an_error(
    client: Client, make_link: MakeLink, services: Services, start: str
) -> None:
    token = make_link(event_type="intro")
    form = _form(client, token)
    assert form.form_action is not None

    shown = client.get(
        f"/l/{token}/book", query_string={"event_type": "intro", "start": start, "tz": "Asia/Tokyo"}
    )
    posted = client.post(
        form.form_action,
        data={
            **form.fields,
            "start": start,
            "tz": "Asia/Tokyo",
            "name": "Bo",
            "email": "bo@example.com",
            "answer-topic": "Pricing",
        },
    )

    assert shown.status_code == 400
    assert posted.status_code == 400
    assert "That is not a time this link offers." in posted.get_data(as_text=True)
    assert _bookings(services.engine) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Bo\x00Diaz"), ("email", "bo\x00@example.com"), ("answer-topic", "Pri\x00cing")],
)
def test_a_nul_byte_in_a_form_field_comes_back_on_that_field_and_books_nothing(
    client: Client, make_link: MakeLink, services: Services, field: str, value: str
) -> None:
    form = _form(client, make_link(event_type="intro"))
    assert form.form_action is not None
    answers = {"name": "Bo", "email": "bo@example.com", "answer-topic": "Pricing", field: value}

    response = client.post(form.form_action, data={**form.fields, **answers})
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert "must not contain control characters such as U+0000" in html
    assert f'aria-describedby="{field}-error"' in html
    assert _bookings(services.engine) == 0
