"""The guest confirmation and its ``.ics`` file show where the meeting is."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar
from werkzeug.test import Client

from services.config import apply_config
from services.context import Services
from tests.web.conftest import CONFIG
from tests.web.test_views import _open_form, _submit


def _locate(services: Services, tmp_path: Path, location: str) -> None:
    text = CONFIG.replace(
        'hours: {mon-fri: ["09:00-12:00"]}}',
        f'hours: {{mon-fri: ["09:00-12:00"]}}, location: "{location}"}}',
    )
    assert text != CONFIG
    path = tmp_path / "located.yml"
    path.write_text(text)
    apply_config(services.engine, path)


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (
            "https://meet.example.com/ann?a=1&b=2",
            '<a href="https://meet.example.com/ann?a=1&amp;b=2" rel="noopener noreferrer">'
            "https://meet.example.com/ann?a=1&amp;b=2</a>",
        ),
        ("Room <b>4</b> & lobby", "<dd>Room &lt;b&gt;4&lt;/b&gt; &amp; lobby</dd>"),
        ("javascript:alert(1)", "<dd>javascript:alert(1)</dd>"),
    ],
)
def test_the_confirmation_and_the_calendar_file_show_the_location(
    client: Client,
    services: Services,
    personal_link: str,
    tmp_path: Path,
    location: str,
    shown: str,
) -> None:
    _locate(services, tmp_path, location)
    booked = client.get(_submit(client, _open_form(client, personal_link)).location)
    html = booked.get_data(as_text=True)
    assert "<dt>Where</dt>" in html
    assert shown in html

    event = Calendar.from_ical(client.get(f"/l/{personal_link}/booked.ics").get_data())
    assert str(event.walk("VEVENT")[0]["LOCATION"]) == location


def test_without_a_location_the_confirmation_has_no_where(
    client: Client, personal_link: str
) -> None:
    html = client.get(_submit(client, _open_form(client, personal_link)).location).get_data(
        as_text=True
    )
    assert "Where" not in html
    event = Calendar.from_ical(client.get(f"/l/{personal_link}/booked.ics").get_data())
    assert "LOCATION" not in event.walk("VEVENT")[0]
