"""The /book-room modal: its screens, and the parsers of the command and of each step.

``build_screen`` draws a screen of the booking modal's use case
(``services.booking_screens``), keeping its ``BookingState`` in ``private_metadata`` as
compact JSON; ``parse_step`` applies a click or a choice to it. Times show in the
requester's zone; one day at a time, at most ``SLOTS_PER_PAGE`` buttons per screen with
"More times" after them, so a view stays far below Slack's 100 blocks and 25 elements per
actions block. The form's answers are ``bot.blocks.booking_form``; the list of my
bookings is ``bot.blocks.my_bookings``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.booking_form import prefill
from bot.blocks.common import (
    MAX_ACTIONS_ELEMENTS,
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    MAX_TITLE,
    build_notice_view,
    chunks,
    clip,
    context,
    format_day,
    format_slot,
    format_time,
    local,
    mrkdwn_escape,
    plain,
    section,
)
from bot.blocks.my_bookings import Names, booking_line
from bot.profiles import Profile
from engine.durations import length_text
from engine.model import FormField, MasterMode
from engine.records import Booking
from engine.search import Slot
from services.booking_screens import (
    BookingState,
    FormScreen,
    MemberScreen,
    MoveScreen,
    RefusedScreen,
    Screen,
    SlotsScreen,
    Summary,
    event_types_for,
    pages_for,
    ready_for_times,
)
from services.slots import BookableMasterPage, Choice

TITLE = "Book a time"
MOVE_TITLE = "Reschedule"
FINDING = "Finding free times…"
"""The loading view of a booking modal that is slow to open (``bot.handlers.modals``)."""
SLOTS_PER_PAGE = 3 * MAX_ACTIONS_ELEMENTS
# "How many people?": every count up to 20, then the usual sizes of larger rooms.
HEADCOUNTS = (*range(1, 21), 25, 30, 40, 50, 75, 100)


@dataclass(frozen=True, slots=True)
class BookRoomCommand:
    """``/book-room [list | master page] [date]``."""

    list_bookings: bool = False
    master_page: str | None = None
    day: date | None = None


def parse_book_room_command(text: str, *, today: date) -> BookRoomCommand:
    """Read the text after ``/book-room``; a date is ISO, ``today`` or ``tomorrow``.

    Raises:
        ValueError: more than a master page and a date, or a date that is not one.
    """
    if asks_for_list(text):
        return BookRoomCommand(list_bookings=True)
    words = text.split()
    day = None
    if words and (parsed := _day(words[-1], today)) is not None:
        day, words = parsed, words[:-1]
    if len(words) > 1 and day is None and _looks_like_date(words[-1]):
        raise ValueError(f"'{words[-1]}' is not a date like {today.isoformat()}")
    return BookRoomCommand(master_page=" ".join(words) or None, day=day)


def asks_for_list(text: str) -> bool:
    """Whether the text after ``/book-room`` asks for the list of one's bookings."""
    return [word.lower() for word in text.split()] == ["list"]


def _day(word: str, today: date) -> date | None:
    lowered = word.lower()
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def _looks_like_date(word: str) -> bool:
    return word[:1].isdigit()


def build_screen(screen: Screen, profile: Profile | None = None) -> View:
    """Draw a screen of the booking modal.

    A form booking for the customer themselves is prefilled from their Slack ``profile``
    where a field asks for what it holds, and says whom it books as.
    """
    match screen:
        case SlotsScreen():
            state, slots = screen.state, screen.slots
            return build_slots_view(screen.catalogue, state, slots, notice=screen.notice)
        case MemberScreen():
            return build_member_view(screen.state, screen.summary, screen.free)
        case FormScreen(prefill=True) if profile is not None:
            known = {
                "name": profile.name,
                "email": profile.email,
                "phone": profile.phone,
                "title": profile.title,
            }
            who = " ".join(filter(None, (profile.name, profile.email and f"<{profile.email}>")))
            answers = prefill(screen.form, known)
            return build_form_view(
                screen.state, screen.summary, screen.form, answers, booking_as=who or None
            )
        case FormScreen():
            return build_form_view(screen.state, screen.summary, screen.form, {})
        case MoveScreen():
            return build_move_view(screen.state, screen.summary)
        case RefusedScreen():
            return build_notice_view(TITLE, screen.message)


def build_slots_view(
    catalogue: Sequence[BookableMasterPage],
    state: BookingState,
    slots: Sequence[Slot],
    *,
    notice: str | None = None,
) -> View:
    """The modal's first screen: the choices made so far, the day, and its free times."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(f":warning: {notice}", block_id="book:notice"))
    master = _master(catalogue, state.master_page)
    if state.link is None and len(catalogue) > 1:
        blocks.append(
            _select_section(
                "What would you like to book?",
                ids.BOOK_MASTER_PAGE,
                [(m.id, m.name) for m in catalogue],
                state.master_page,
            )
        )
    elif master is not None:
        blocks.append(HeaderBlock(text=plain(master.name, 150), block_id="book:title"))
    if master is None:
        if not catalogue:
            blocks.append(
                section(
                    "There is nothing to book here yet. A workspace admin sets Roundtable up "
                    "with `/book-admin`."
                )
            )
        return _modal(ids.BOOK_SLOTS_VIEW, state, blocks)
    if master.mode is MasterMode.PAGES_FIRST:
        blocks += _page_choice(master, state)
        if state.pick is not None:
            blocks += _event_type_choice(master, state)
    else:
        blocks += _event_type_choice(master, state)
        if state.event_type is not None:
            blocks += _page_choice(master, state)
    if ready_for_times(state, master):
        blocks += _headcount(master, state)
        blocks += _times(state, slots)
    return _modal(ids.BOOK_SLOTS_VIEW, state, blocks)


def _headcount(master: BookableMasterPage, state: BookingState) -> list[Block]:
    """ "How many people?" when the booking may take a room: smaller rooms are left out."""
    kind = next((k for k in master.event_types if k.id == state.event_type), None)
    if kind is None or not kind.headcount:
        return []
    counts = sorted({*HEADCOUNTS, state.attendees})
    choices = [(str(n), "1 person" if n == 1 else f"{n} people") for n in counts]
    return [_select_section("How many people?", ids.BOOK_ATTENDEES, choices, str(state.attendees))]


def _master(
    catalogue: Sequence[BookableMasterPage], master_id: str | None
) -> BookableMasterPage | None:
    return next((m for m in catalogue if m.id == master_id), None)


def _event_type_choice(master: BookableMasterPage, state: BookingState) -> list[Block]:
    kinds = event_types_for(master, state.pick)
    if len(kinds) < 2:
        return []
    return [
        _select_section(
            "Which kind of meeting?",
            ids.BOOK_EVENT_TYPE,
            [(k.id, f"{k.name} ({length_text(k.duration)})") for k in kinds],
            state.event_type,
        )
    ]


def _page_choice(master: BookableMasterPage, state: BookingState) -> list[Block]:
    pages = pages_for(master, state.event_type)
    if len(pages) < 2:
        return []
    return [
        _select_section("With whom?", ids.BOOK_PAGE, [(p.id, p.name) for p in pages], state.pick)
    ]


def _select_section(
    label: str, action_id: str, choices: Sequence[tuple[str, str]], selected: str | None
) -> SectionBlock:
    options = [
        Option(value=value, text=plain(text, MAX_OPTION_TEXT))
        for value, text in choices[:MAX_OPTIONS]
    ]
    initial = next((o for o in options if o.value == selected), None)
    select = StaticSelectElement(
        action_id=action_id,
        placeholder=plain("Choose…"),
        options=options,
        initial_option=initial,
    )
    return SectionBlock(block_id=action_id, text=plain(label, 3000), accessory=select)


def _times(state: BookingState, slots: Sequence[Slot]) -> list[Block]:
    previous, following = state.day - timedelta(days=1), state.day + timedelta(days=1)
    blocks: list[Block] = [
        DividerBlock(),
        ActionsBlock(
            block_id="book:days",
            elements=[
                ButtonElement(
                    text=plain("◀ Previous day"),
                    action_id=ids.BOOK_DAY + "prev",
                    value=previous.isoformat(),
                ),
                DatePickerElement(
                    action_id=ids.BOOK_DATE,
                    initial_date=state.day.isoformat(),
                    placeholder=plain("Pick a day"),
                ),
                ButtonElement(
                    text=plain("Next day ▶"),
                    action_id=ids.BOOK_DAY + "next",
                    value=following.isoformat(),
                ),
            ],
        ),
    ]
    shown = list(slots[state.offset : state.offset + SLOTS_PER_PAGE])
    if not shown:
        blocks.append(section(f"No free times on *{format_day(state.day)}*. Try another day."))
        return blocks
    heading = f"Free times on *{format_day(state.day)}* ({mrkdwn_escape(state.tz)})"
    if state.offset:
        heading += f", from {format_time(shown[0].start, state.tz)}"
    blocks.append(section(heading, block_id="book:times"))
    buttons = [
        ButtonElement(
            text=plain(_slot_label(slot, state.tz)),
            action_id=f"{ids.BOOK_SLOT}{state.offset + index}",
            value=slot.start.isoformat(),
        )
        for index, slot in enumerate(shown)
    ]
    for number, run in enumerate(chunks(buttons, MAX_ACTIONS_ELEMENTS)):
        blocks.append(ActionsBlock(block_id=f"book:slots:{number}", elements=list(run)))
    more: list[ButtonElement] = []
    if state.offset:
        more.append(
            ButtonElement(
                text=plain("Earlier times"),
                action_id=ids.BOOK_MORE + ":earlier",
                value=str(max(0, state.offset - SLOTS_PER_PAGE)),
            )
        )
    if state.offset + SLOTS_PER_PAGE < len(slots):
        more.append(
            ButtonElement(
                text=plain("More times"),
                action_id=ids.BOOK_MORE,
                value=str(state.offset + SLOTS_PER_PAGE),
            )
        )
    if more:
        blocks.append(ActionsBlock(block_id="book:more", elements=more))
    return blocks


def _slot_label(slot: Slot, tz: str) -> str:
    begin, end = local(slot.start, tz), local(slot.end, tz)
    label = f"{begin:%H:%M}–{end:%H:%M}"
    return label if begin.date() == end.date() else f"{label} (+1 day)"


def build_summary(summary: Summary, tz: str) -> str:
    text = f"*{mrkdwn_escape(summary.event_type)}* · {mrkdwn_escape(summary.master_page)}\n"
    text += format_slot(summary.start, summary.end, tz)
    if summary.with_whom:
        text += f"\nwith {mrkdwn_escape(summary.with_whom)}"
    return text


def build_member_view(state: BookingState, summary: Summary, free: Sequence[Choice]) -> View:
    """find_member_by_time: the pages free at the chosen time, one button each."""
    blocks: list[Block] = [section(build_summary(summary, state.tz), block_id="book:summary")]
    if free:
        blocks.append(section("Who would you like to meet?", block_id="book:who"))
        buttons = [
            ButtonElement(
                text=plain(page.name), action_id=f"{ids.BOOK_MEMBER}{index}", value=page.id
            )
            for index, page in enumerate(free[: 3 * MAX_ACTIONS_ELEMENTS])
        ]
        for number, run in enumerate(chunks(buttons, MAX_ACTIONS_ELEMENTS)):
            blocks.append(ActionsBlock(block_id=f"book:members:{number}", elements=list(run)))
    else:
        blocks.append(section("Nobody is free at that time any more. Pick another time."))
    blocks.append(_back())
    return _modal(ids.BOOK_MEMBER_VIEW, state, blocks)


def _back() -> ActionsBlock:
    return ActionsBlock(
        block_id="book:back",
        elements=[
            ButtonElement(text=plain("◀ Other times"), action_id=ids.BOOK_BACK, value="back")
        ],
    )


def build_form_view(
    state: BookingState,
    summary: Summary,
    form: Sequence[FormField],
    answers: Mapping[str, str],
    *,
    booking_as: str | None = None,
) -> View:
    """The booking form (the event type's fields, prefilled), submitted with "Book"."""
    blocks: list[Block] = [section(build_summary(summary, state.tz), block_id="book:summary")]
    if booking_as:
        blocks.append(context(f"Booking as {mrkdwn_escape(booking_as)}", block_id="book:as"))
    for item in form[:90]:
        blocks.append(
            InputBlock(
                block_id=ids.BOOK_FIELD + item.id,
                label=plain(item.label, 2000),
                optional=not item.required,
                element=PlainTextInputElement(
                    action_id=ids.BOOK_FIELD + item.id,
                    initial_value=clip(answers.get(item.id, ""), 3000) or None,
                    multiline=False,
                    max_length=3000,
                ),
            )
        )
    blocks.append(_back())
    return _modal(ids.BOOK_FORM_VIEW, state, blocks, submit="Book")


def build_move_view(state: BookingState, summary: Summary) -> View:
    """Confirm the new time of a booking being rescheduled, submitted with "Reschedule"."""
    blocks: list[Block] = [
        section(f"*New time*\n{build_summary(summary, state.tz)}", block_id="book:summary"),
        context("Everyone in the booking is told. Its old time is freed."),
        _back(),
    ]
    return _modal(ids.BOOK_FORM_VIEW, state, blocks, submit=MOVE_TITLE)


def build_booked_view(booking: Booking, names: Names, tz: str, *, moved: bool = False) -> View:
    """The confirmation: what was booked (or rescheduled), when, with whom."""
    headline = "Rescheduled." if moved else "You're booked."
    text = f":white_check_mark: *{headline}*\n{booking_line(booking, names, tz)}"
    blocks: list[Block] = [section(text, block_id="book:done")]
    blocks.append(
        context(
            "You'll get a confirmation and reminders in a direct message. "
            "`/book-room list` shows your bookings."
        )
    )
    return View(
        type="modal",
        callback_id=ids.BOOK_DONE_VIEW,
        title=plain(MOVE_TITLE if moved else TITLE, MAX_TITLE),
        close=plain("Done", MAX_TITLE),
        blocks=blocks,
    )


def _modal(
    callback_id: str, state: BookingState, blocks: list[Block], *, submit: str | None = None
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(MOVE_TITLE if state.moving else TITLE, MAX_TITLE),
        submit=plain(submit, MAX_TITLE) if submit else None,
        close=plain("Cancel", MAX_TITLE),
        private_metadata=state.to_metadata(),
        blocks=blocks,
    )


def parse_step(state: BookingState, action: Mapping[str, Any]) -> BookingState:
    """Apply one action of the modal to its state (the inverse of the buttons and selects)."""
    action_id = str(action.get("action_id", ""))
    value = action.get("value")
    selected = (action.get("selected_option") or {}).get("value")
    if action_id == ids.BOOK_MASTER_PAGE:
        return replace(
            state,
            master_page=selected,
            event_type=None,
            pick=None,
            start=None,
            member=None,
            offset=0,
        )
    if action_id == ids.BOOK_EVENT_TYPE:
        return replace(state, event_type=selected, start=None, member=None, offset=0)
    if action_id == ids.BOOK_PAGE:
        return replace(state, pick=selected, start=None, member=None, offset=0)
    if action_id == ids.BOOK_ATTENDEES and selected and selected.isdigit() and int(selected) > 0:
        return replace(state, attendees=int(selected), start=None, member=None, offset=0)
    if action_id == ids.BOOK_DATE and action.get("selected_date"):
        return replace(state, day=date.fromisoformat(action["selected_date"]), start=None, offset=0)
    if action_id.startswith(ids.BOOK_DAY) and value:
        return replace(state, day=date.fromisoformat(value), start=None, offset=0)
    if action_id.startswith(ids.BOOK_MORE) and value:
        return replace(state, offset=max(0, int(value)))
    if action_id.startswith(ids.BOOK_SLOT) and value:
        return replace(state, start=datetime.fromisoformat(value), member=None)
    if action_id.startswith(ids.BOOK_MEMBER) and value:
        return replace(state, member=value)
    if action_id == ids.BOOK_BACK:
        return replace(state, start=None, member=None)
    return state
