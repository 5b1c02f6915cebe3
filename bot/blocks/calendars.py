"""Calendars on the App Home: each connection's state, the connect modal and its parser.

A member sees the calendars of their own page with a *Connect a calendar* button per page;
an admin sees every connection and may connect one to any page, rooms included (the modal
then asks which page). No secret is ever shown: a connection is named by its ``shown_url``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    InputInteractiveElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import (
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    MAX_SECTION_TEXT,
    clip,
    context,
    format_moment,
    mrkdwn_escape,
    plain,
    section,
)
from engine.errors import BadInput
from engine.model import Page, PageKind
from engine.records import CalendarConnection
from services.calendars import CALDAV, ICS, CalendarHome

ANY_PAGE = "*"
"""The connect button's value that lets an admin choose the page (no page id looks like it)."""
MAX_ERROR = 300
MAX_SHOWN = 30
FIELDS = ("page", "kind", "url", "username", "password", "write")
_KINDS = {ICS: "ICS feed (read only)", CALDAV: "CalDAV calendar"}


def field_id(name: str) -> str:
    """The block_id and action_id of a connect modal input."""
    return f"{ids.CALENDAR_FIELD}{name}"


def build_calendar_section(home: CalendarHome, *, tz: str) -> list[Block]:
    """The Home's calendars: connect buttons, then each connection with its state."""
    if not home.admin and not home.own_pages:
        return []
    blocks: list[Block] = [
        HeaderBlock(text=plain("Calendars", 150)),
        context(
            "Events in connected calendars keep those times free of bookings; they are read "
            "every few minutes. Events shown as free, cancelled ones and Roundtable's own "
            "are left out."
        ),
    ]
    buttons = [
        ButtonElement(
            text=plain(f"Connect a calendar to {page.name}"),
            action_id=f"{ids.CALENDAR_CONNECT}{index}",
            value=page.id,
        )
        for index, page in enumerate(home.own_pages[:4])
    ]
    if home.admin:
        buttons.append(
            ButtonElement(
                text=plain("Connect a calendar to any page"),
                action_id=f"{ids.CALENDAR_CONNECT}any",
                value=ANY_PAGE,
            )
        )
    blocks.append(ActionsBlock(block_id=f"{ids.CALENDAR_CONNECT}buttons", elements=buttons))
    names = {page.id: page.name for page in home.pages}
    for index, connection in enumerate(home.connections[:MAX_SHOWN]):
        blocks.append(build_connection_row(connection, index, names, tz=tz))
    if len(home.connections) > MAX_SHOWN:
        blocks.append(
            context(
                f"…and {len(home.connections) - MAX_SHOWN} more: see `roundtable calendar list`."
            )
        )
    if not home.connections:
        blocks.append(context("No calendar connected yet."))
    return blocks


def build_connection_row(
    connection: CalendarConnection, index: int, names: Mapping[str, str], *, tz: str
) -> SectionBlock:
    """One connection: kind, address, pages, busy blocks, last success and last error."""
    pages = ", ".join(names.get(page, page) for page in connection.pages) or "no page"
    state = f"{connection.busy} busy block{'s' if connection.busy != 1 else ''}"
    state += f" · last synced {_when(connection.last_success, tz)}"
    lines = [
        f"*{_KINDS.get(connection.kind, connection.kind)}* for {mrkdwn_escape(pages)}"
        f"{' · bookings written here' if connection.write else ''}",
        f"`{mrkdwn_escape(connection.shown_url)}`",
        state,
    ]
    if connection.last_error:
        lines.append(f":warning: {mrkdwn_escape(clip(connection.last_error, MAX_ERROR))}")
    return SectionBlock(
        block_id=f"{ids.CALENDAR_DISCONNECT}row:{index}",
        text=clip("\n".join(lines), MAX_SECTION_TEXT),
        accessory=ButtonElement(
            text=plain("Disconnect"),
            action_id=f"{ids.CALENDAR_DISCONNECT}{index}",
            value=connection.id,
            style="danger",
            confirm=ConfirmObject(
                title="Disconnect this calendar?",
                text="Its busy times stop counting at once.",
                confirm="Disconnect",
                deny="Keep it",
            ),
        ),
    )


def build_connect_modal(page: Page | None, choices: Sequence[Page]) -> View:
    """The connect modal: for ``page``, or (``page`` None) for one of ``choices``."""
    blocks: list[Block] = []
    if page is None:
        blocks.append(
            InputBlock(
                block_id=field_id("page"),
                label=plain("Booking page", 2000),
                element=_page_select(choices),
            )
        )
    else:
        blocks.append(section(f"A calendar for *{mrkdwn_escape(page.name)}*"))
    options = [
        Option(text=plain(label, MAX_OPTION_TEXT), value=kind) for kind, label in _KINDS.items()
    ]
    blocks += [
        InputBlock(
            block_id=field_id("kind"),
            label=plain("Kind", 2000),
            element=RadioButtonsElement(
                action_id=field_id("kind"), options=options, initial_option=options[0]
            ),
        ),
        InputBlock(
            block_id=field_id("url"),
            label=plain("Calendar address", 2000),
            element=PlainTextInputElement(
                action_id=field_id("url"),
                placeholder=plain("https://… or webcal://…", 150),
                max_length=2048,
            ),
            hint=plain(
                "An ICS feed: Google's secret address in iCal format, an Outlook published "
                "calendar, a holiday calendar. CalDAV: the calendar's CalDAV URL "
                "(iCloud, Fastmail, Nextcloud).",
                2000,
            ),
        ),
        InputBlock(
            block_id=field_id("username"),
            label=plain("CalDAV username", 2000),
            element=PlainTextInputElement(action_id=field_id("username"), max_length=256),
            optional=True,
        ),
        InputBlock(
            block_id=field_id("password"),
            label=plain("CalDAV password", 2000),
            element=PlainTextInputElement(action_id=field_id("password"), max_length=256),
            optional=True,
            hint=plain("Use an app-specific password where your provider offers one.", 2000),
        ),
        InputBlock(
            block_id=field_id("write"),
            label=plain("Bookings", 2000),
            element=CheckboxesElement(
                action_id=field_id("write"),
                options=[
                    Option(
                        text=plain("Also add bookings to this calendar (CalDAV only)", 75),
                        value="write",
                    )
                ],
            ),
            optional=True,
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.CALENDAR_VIEW,
        private_metadata=page.id if page is not None else "",
        title=plain("Connect a calendar", 24),
        submit=plain("Connect", 24),
        close=plain("Cancel", 24),
        blocks=blocks,
    )


def page_options(pages: Sequence[Page], query: str = "") -> list[Option]:
    """The pages as select options (rooms marked), those matching ``query``, at most 100."""
    wanted = query.strip().lower()
    return [
        Option(text=plain(_page_label(page), MAX_OPTION_TEXT), value=page.id)
        for page in pages
        if not wanted or wanted in page.name.lower() or wanted in page.id
    ][:MAX_OPTIONS]


@dataclass(frozen=True, slots=True)
class ConnectForm:
    """A submitted connect modal."""

    page: str
    kind: str
    url: str
    username: str | None
    password: str | None
    write: bool


def parse_connect_form(view: Mapping[str, Any]) -> ConnectForm:
    """Read a submitted connect modal.

    Raises:
        BadInput: the page is missing (field ``page``).
    """
    values: Mapping[str, Any] = view.get("state", {}).get("values", {})

    def value(name: str) -> Mapping[str, Any]:
        block: Mapping[str, Any] = values.get(field_id(name), {})
        found: Mapping[str, Any] = block.get(field_id(name), {})
        return found

    def text(name: str) -> str | None:
        found = value(name).get("value")
        return str(found) if found else None

    chosen = value("page").get("selected_option") or {}
    page = str(chosen.get("value") or view.get("private_metadata") or "")
    if not page:
        raise BadInput("choose a booking page", field="page")
    kind = str((value("kind").get("selected_option") or {}).get("value") or ICS)
    write = any(o.get("value") == "write" for o in value("write").get("selected_options") or [])
    return ConnectForm(page, kind, text("url") or "", text("username"), text("password"), write)


def connect_errors(field: str | None, message: str, *, has_page: bool) -> dict[str, str]:
    """Put a refusal under the modal's input it is about (the address when none fits)."""
    name = field if field in FIELDS else "url"
    if name == "page" and not has_page:
        name = "url"
    return {field_id(name): clip(message, MAX_ERROR)}


def _page_select(pages: Sequence[Page]) -> InputInteractiveElement:
    if len(pages) > MAX_OPTIONS:
        return ExternalDataSelectElement(
            action_id=field_id("page"), min_query_length=0, placeholder=plain("Choose a page", 150)
        )
    return StaticSelectElement(
        action_id=field_id("page"),
        options=page_options(pages),
        placeholder=plain("Choose a page", 150),
    )


def _page_label(page: Page) -> str:
    return f"{page.name} (room)" if page.kind is PageKind.RESOURCE else page.name


def _when(moment: datetime | None, tz: str) -> str:
    return "never" if moment is None else format_moment(moment, tz)
