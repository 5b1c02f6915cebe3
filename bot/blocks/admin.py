"""The admin modals: a menu, and one modal per entity kind, with the parsers of what they send.

Each entity modal writes the entity back as configuration-file data (``parse_admin_form``) for
``services.admin.save_entity``, which validates it with the configuration file's own rules;
nothing here validates values. Hours are typed per weekday as in the file
(``09:00-12:00, 13:00-17:00``), durations as ``30m``; lists that may grow past Slack's 100
options (pages, event types, pools, seats) switch to external selects, answered by
``build_suggestions``.

Every input's ``block_id`` and ``action_id`` is ``ADMIN_FIELD + field`` where ``field`` is the
entity's field (``hours.mon``, ``pages``) or a form slot (``members.high``, ``rule2.primary``).
``AdminForm.blocks`` maps the paths of the submitted data back to those blocks, so a problem
the validator finds at ``members[3].page`` lands on the select that listed that member.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    InputInteractiveElement,
    InteractiveElement,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import (
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    MAX_TITLE,
    MAX_VIEW_BLOCKS,
    clip,
    context,
    mrkdwn_escape,
    plain,
    section,
)
from engine.bounds import MAX_COUNT, MAX_DAYS_AHEAD
from engine.durations import format_duration
from engine.errors import BadInput
from engine.model import (
    Cycle,
    EventType,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Page,
    PageKind,
    Pool,
    Priority,
    SeatRef,
    StaticMethod,
    WorkspaceConfig,
)
from services.admin import FieldProblem, Section, entities
from services.config_values import MAX_LOCATION

WEEKDAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
PRIORITIES = tuple(Priority)
EXTRA_RULE_SLOTS = 2
"""Empty rule slots a master page modal offers below its rules."""
MAX_ERROR = 300
"""Longest error message put under one field."""
_NO_RULE = "-"
_EntityT = TypeVar("_EntityT", Page, EventType, Pool, MasterPage)
_OFF = frozenset({"off", "closed", "none", "-"})
_SPLIT = re.compile(r"[,;\n]")
_OVERRIDE = re.compile(r"\s*(\d{4}-\d{2}-\d{2}|[^\s:]+)\s*:?\s*(.*)")
_SEATS_FIELD = re.compile(r"rule\d+\.(primary|additional)")
_EVENT_TYPES_FIELD = re.compile(r"event_types|rule\d+\.event_type")
_PAGES_FIELD = re.compile(r"pages|paused|members\.\w+")

_TITLES = {
    Section.BOOKING_PAGES: "Booking page",
    Section.EVENT_TYPES: "Event type",
    Section.POOLS: "Pool",
    Section.MASTER_PAGES: "Master page",
}
_HEADINGS = {
    Section.BOOKING_PAGES: "Booking pages",
    Section.EVENT_TYPES: "Event types",
    Section.POOLS: "Pools",
    Section.MASTER_PAGES: "Master pages",
}
_NEW = {
    Section.BOOKING_PAGES: (("member", "New person"), ("resource", "New room or resource")),
    Section.EVENT_TYPES: (("", "New event type"),),
    Section.POOLS: (("", "New pool"),),
    Section.MASTER_PAGES: (("", "New master page"),),
}
_METHODS = {
    Method.ROUND_ROBIN: "Round robin",
    Method.POOLED: "Pooled availability",
    Method.POOLED_PRIORITY: "Pooled availability with priority",
}
_CYCLES = {
    Cycle.WEEKLY: "Weekly (Monday)",
    Cycle.MONTHLY: "Monthly (1st)",
    Cycle.QUARTERLY: "Quarterly",
    Cycle.CONTINUOUS: "Continuous (never resets)",
}
_MODES = {
    MasterMode.DYNAMIC: "Dynamic rules",
    MasterMode.STATIC: "Static rules",
    MasterMode.PAGES_FIRST: "Customer picks a page first",
    MasterMode.EVENT_TYPES_FIRST: "Customer picks an event type first",
}
_STATIC_METHODS = {
    StaticMethod.POOLED: "Pooled availability",
    StaticMethod.POOLED_PRIORITY: "Pooled availability with priority",
    StaticMethod.FIND_MEMBER_BY_TIME: "Customer picks a time, then a page",
}


# --- what a submission says ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdminForm:
    """A submitted entity modal.

    ``data`` is the entity as configuration-file data; ``blocks`` maps a path of ``data`` (``name``,
    ``members[2]``) to the block it came from; ``fallback`` takes problems of no one field.
    """

    section: Section
    replaces: str | None
    data: dict[str, Any]
    blocks: Mapping[str, str] = field(default_factory=dict)
    fallback: str = ""


@dataclass(frozen=True, slots=True)
class _Metadata:
    section: Section
    replaces: str | None = None
    kind: PageKind | None = None
    order: tuple[str, ...] = ()

    def dump(self) -> str:
        data: dict[str, Any] = {"section": self.section.value, "id": self.replaces}
        if self.kind is not None:
            data["kind"] = self.kind.value
        if self.order:
            data["order"] = list(self.order)
        text = json.dumps(data, separators=(",", ":"))
        # A very long member list only loses its remembered order, never the modal.
        return (
            text if len(text) <= 3000 else _Metadata(self.section, self.replaces, self.kind).dump()
        )


def block_id(name: str) -> str:
    """Return the block_id (and action_id) of an entity modal's field."""
    return ids.ADMIN_FIELD + name


def form_errors(form: AdminForm, problems: Iterable[FieldProblem]) -> dict[str, str]:
    """Put each problem under the block its field came from, as ``response_action: errors``."""
    messages: dict[str, list[str]] = {}
    for problem in problems:
        target, below = _owner(form, problem.field)
        messages.setdefault(target, []).append(
            f"{below}: {problem.message}" if below else problem.message
        )
    return {target: clip("; ".join(texts), MAX_ERROR) for target, texts in messages.items()}


def _owner(form: AdminForm, path: str) -> tuple[str, str]:
    """Return the block of the longest prefix of ``path`` that the form knows, and the rest."""
    best = ""
    for prefix in form.blocks:
        if (path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))) and len(prefix) > len(
            best
        ):
            best = prefix
    if not best:
        return form.fallback, path
    rest = re.sub(r"^(\[\d+\])*\.?", "", path[len(best) :])
    return form.blocks[best], rest


# --- menu ------------------------------------------------------------------------------


def build_admin_menu(config: WorkspaceConfig, *, notice: str | None = None) -> View:
    """The /book-admin menu: per section, buttons to create and a select to edit."""
    workspace = config.workspace
    admins = ", ".join(f"<@{user}>" for user in workspace.admins) or "none listed"
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice))
    blocks.append(context(f"Workspace time zone {workspace.timezone} · admins {admins}"))
    for part in Section:
        items = entities(config, part)
        elements: list[InteractiveElement] = [
            ButtonElement(
                text=plain(label),
                action_id=ids.ADMIN_NEW + (kind or part.value),
                value=f"{part.value}/{kind}",
            )
            for kind, label in _NEW[part]
        ]
        options = [_option(f"{item.name} ({item.id})", f"{part.value}/{item.id}") for item in items]
        if options:
            elements.append(
                _single(ids.ADMIN_PICK + part.value, options, None, f"Edit a {part.noun}…")
            )
        blocks.append(DividerBlock())
        blocks.append(section(f"*{_HEADINGS[part]}* · {len(items)}"))
        blocks.append(ActionsBlock(block_id=ids.ADMIN_PICK + part.value, elements=elements))
    return View(
        type="modal",
        callback_id=ids.ADMIN_MENU,
        title=plain("Roundtable setup", MAX_TITLE),
        close=plain("Done", MAX_TITLE),
        blocks=blocks,
    )


def parse_menu_value(value: str) -> tuple[Section, str]:
    """Read a menu button's or select's value: ``section/kind`` or ``section/id``.

    Raises:
        BadInput: the value names no section.
    """
    name, _, rest = value.partition("/")
    if name not in {part.value for part in Section}:
        raise BadInput(f"'{value}' names no section of the setup", field="section")
    return Section(name), rest


def build_refusal_view() -> View:
    """What a non-admin sees instead of an admin view."""
    return View(
        type="modal",
        title=plain("Roundtable setup", MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=[section("Only the workspace's admins can change the setup.")],
    )


# --- the entity modals -----------------------------------------------------------------


def build_entity_modal(
    config: WorkspaceConfig, part: Section, entity_id: str | None, *, kind: str = ""
) -> View:
    """The modal that creates (``entity_id`` None) or edits one entity of ``config``.

    Raises:
        BadInput: ``entity_id`` names nothing in the section, or ``kind`` is no page kind.
    """
    if part is Section.BOOKING_PAGES:
        page = _find(config.pages, entity_id, part)
        page_kind = page.kind if page else _page_kind(kind)
        return build_page_modal(page, kind=page_kind, default_timezone=config.workspace.timezone)
    if part is Section.EVENT_TYPES:
        return build_event_type_modal(_find(config.event_types, entity_id, part), config.pages)
    if part is Section.POOLS:
        return build_pool_modal(_find(config.pools, entity_id, part), config.pages)
    return build_master_page_modal(
        _find(config.master_pages, entity_id, part), config.event_types, config.pages, config.pools
    )


def build_page_modal(page: Page | None, *, kind: PageKind, default_timezone: str) -> View:
    """Create or edit a booking page: a person (a Slack user) or a resource (a room)."""
    blocks: list[Block] = [*_identity(page, kind.value)]
    if kind is PageKind.MEMBER:
        blocks.append(
            _input(
                "slack_user",
                "Slack user",
                UserSelectElement(
                    action_id=block_id("slack_user"),
                    initial_user=page.slack_user if page else None,
                    placeholder="Whose calendar is this?",
                ),
            )
        )
    else:
        blocks.append(
            _input(
                "capacity",
                "Capacity (people)",
                _number("capacity", page.capacity if page else None),
                optional=True,
            )
        )
    blocks.append(
        _input(
            "timezone",
            "Time zone",
            _text("timezone", page.timezone if page else default_timezone, max_length=64),
            hint="An IANA name like Europe/London; the hours below are in this zone.",
        )
    )
    for index, (day, label) in enumerate(WEEKDAYS):
        ranges = page.hours[index] if page else ()
        blocks.append(
            _input(
                f"hours.{day}",
                f"{label} hours",
                _text(
                    f"hours.{day}",
                    ", ".join(_range_text(item) for item in ranges),
                    placeholder="09:00-12:00, 13:00-17:00",
                ),
                optional=True,
            )
        )
    overrides = page.overrides if page else {}
    blocks.append(
        _input(
            "overrides",
            "Date overrides",
            _text(
                "overrides",
                "\n".join(
                    f"{day.isoformat()}: "
                    + (", ".join(_range_text(item) for item in overrides[day]) or "off")
                    for day in sorted(overrides)
                ),
                multiline=True,
                placeholder="2026-12-24: off",
            ),
            optional=True,
            hint="One local date a line, replacing that day's hours: "
            "'2026-12-24: off' or '2026-12-27: 10:00-14:00'.",
        )
    )
    blocks.append(
        _input(
            "max_per_day",
            "At most bookings a day",
            _number("max_per_day", page.max_per_day if page else None),
            optional=True,
        )
    )
    blocks.append(
        _input(
            "max_per_week",
            "At most bookings a week",
            _number("max_per_week", page.max_per_week if page else None),
            optional=True,
        )
    )
    blocks.append(
        _location_input(page.location if page else None, "https://meet.example.com/alice")
    )
    what = "Person" if kind is PageKind.MEMBER else "Room or resource"
    return _modal(_Metadata(Section.BOOKING_PAGES, page.id if page else None, kind), what, blocks)


def build_event_type_modal(event_type: EventType | None, pages: Sequence[Page]) -> View:
    """Create or edit an event type: durations, limits, reminders, pages and booking form."""
    et = event_type
    blocks: list[Block] = [*_identity(et, "event type")]
    durations = (
        ("duration", "Duration", et.duration if et else None, False, "30m"),
        ("step", "Start times every", et.step if et else None, True, "same as the duration"),
        ("buffer_before", "Buffer before", et.buffer_before if et else None, True, "0m"),
        ("buffer_after", "Buffer after", et.buffer_after if et else None, True, "0m"),
        ("min_notice", "Minimum notice", et.min_notice if et else None, True, "0m"),
    )
    for name, label, value, optional, placeholder in durations:
        initial = format_duration(value) if value is not None else ""
        blocks.append(
            _input(
                name,
                label,
                _text(name, initial, placeholder=placeholder, max_length=20),
                optional=optional,
            )
        )
    blocks.append(
        _input(
            "max_days_ahead",
            "Bookable days ahead",
            _number("max_days_ahead", et.max_days_ahead if et else None, MAX_DAYS_AHEAD),
            optional=True,
        )
    )
    reminders = "" if et is None else ", ".join(format_duration(r) for r in et.reminders) or "none"
    blocks.append(
        _input(
            "reminders",
            "Reminders before the start",
            _text("reminders", reminders, placeholder="24h, 15m", max_length=200),
            optional=True,
            hint="Empty for the default (24h, 15m); 'none' for no reminders.",
        )
    )
    page_options = [_option(f"{page.name} ({page.id})", page.id) for page in pages]
    if page_options:
        chosen = set(et.pages if et else ())
        blocks.append(
            _input(
                "pages",
                "Booking pages (static rules and picking a page)",
                _multi(
                    "pages", page_options, [o for o in page_options if o.value in chosen], "Pages"
                ),
                optional=True,
            )
        )
    form = (
        ""
        if et is None
        else "\n".join(
            f"{item.id} | {item.label}" + (" | required" if item.required else "")
            for item in et.form
        )
    )
    blocks.append(
        _input(
            "form",
            "Booking form questions",
            _text("form", form, multiline=True, placeholder="topic | Topic | required"),
            optional=True,
            hint="One question a line: id | label, adding '| required' when it must be answered.",
        )
    )
    blocks.append(_location_input(et.location if et else None, "Room 4B, or a video link"))
    return _modal(_Metadata(Section.EVENT_TYPES, et.id if et else None), "Event type", blocks)


def build_pool_modal(pool: Pool | None, pages: Sequence[Page]) -> View:
    """Create or edit a pool: method, cycle, correction, members by priority, managers."""
    blocks: list[Block] = [*_identity(pool, "pool")]
    methods = [_option(label, method.value) for method, label in _METHODS.items()]
    cycles = [_option(label, cycle.value) for cycle, label in _CYCLES.items()]
    blocks.append(
        _input(
            "method",
            "Distribution method",
            _single(
                "method", methods, _pick(methods, pool.method.value if pool else None), "Method"
            ),
        )
    )
    blocks.append(
        _input(
            "cycle",
            "Reporting cycle",
            _single(
                "cycle",
                cycles,
                _pick(cycles, (pool.cycle if pool else Cycle.MONTHLY).value),
                "Cycle",
            ),
        )
    )
    correction = _option("Automatic correction (count removed bookings against the score)", "on")
    blocks.append(
        _input(
            "automatic_correction",
            "Round robin score",
            CheckboxesElement(
                action_id=block_id("automatic_correction"),
                options=[correction],
                initial_options=[correction] if pool is None or pool.automatic_correction else None,
            ),
            optional=True,
        )
    )
    lookahead = pool.lookahead if pool else None
    blocks.append(
        _input(
            "lookahead",
            "Round robin lookahead",
            _text(
                "lookahead",
                format_duration(lookahead) if lookahead is not None else "",
                placeholder="the event type's horizon",
                max_length=20,
            ),
            optional=True,
            hint="A member with nothing bookable this far ahead loses the turn, like 14d.",
        )
    )
    flexible = _option("Flexible (a one-time link may name the member)", "on")
    blocks.append(
        _input(
            "flexible",
            "Round robin links",
            CheckboxesElement(
                action_id=block_id("flexible"),
                options=[flexible],
                initial_options=[flexible] if pool and pool.flexible else None,
            ),
            optional=True,
        )
    )
    page_options = [_option(f"{page.name} ({page.id})", page.id) for page in pages]
    members = pool.members if pool else ()
    if page_options:
        for priority in PRIORITIES:
            chosen = {m.page for m in members if m.priority is priority}
            blocks.append(
                _input(
                    f"members.{priority.value}",
                    f"Members, {priority.value} priority",
                    _multi(
                        f"members.{priority.value}",
                        page_options,
                        [o for o in page_options if o.value in chosen],
                        "Pages",
                    ),
                    optional=True,
                )
            )
        paused = {m.page for m in members if not m.active}
        blocks.append(
            _input(
                "paused",
                "Paused members",
                _multi(
                    "paused", page_options, [o for o in page_options if o.value in paused], "Pages"
                ),
                optional=True,
                hint="Paused members keep their history but get no new bookings.",
            )
        )
    blocks.append(
        _input(
            "managers",
            "Managers (may reassign and see the report)",
            UserMultiSelectElement(
                action_id=block_id("managers"),
                initial_users=list(pool.managers) if pool and pool.managers else None,
                placeholder="People",
            ),
            optional=True,
        )
    )
    blocks.append(
        _input(
            "channel",
            "Notice channel (else managers get a DM)",
            ConversationSelectElement(
                action_id=block_id("channel"),
                initial_conversation=pool.channel if pool else None,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                placeholder="Channel",
            ),
            optional=True,
        )
    )
    order = tuple(m.page for m in members)
    return _modal(_Metadata(Section.POOLS, pool.id if pool else None, order=order), "Pool", blocks)


def build_master_page_modal(
    master: MasterPage | None,
    event_types: Sequence[EventType],
    pages: Sequence[Page],
    pools: Sequence[Pool],
) -> View:
    """Create or edit a master page: its mode, and its rules or event types."""
    blocks: list[Block] = [*_identity(master, "master page")]
    modes = [_option(label, mode.value) for mode, label in _MODES.items()]
    methods = [_option(label, method.value) for method, label in _STATIC_METHODS.items()]
    blocks.append(
        _input(
            "mode",
            "How bookings are assigned",
            _single("mode", modes, _pick(modes, master.mode.value if master else None), "Mode"),
        )
    )
    blocks.append(
        _input(
            "method",
            "Method (static rules only)",
            _single(
                "method",
                methods,
                _pick(methods, master.method.value if master and master.method else None),
                "Method",
            ),
            optional=True,
        )
    )
    links_only = _option("Only for holders of a one-time link", "on")
    blocks.append(
        _input(
            "one_time_links_only",
            "Visibility (dynamic rules only)",
            CheckboxesElement(
                action_id=block_id("one_time_links_only"),
                options=[links_only],
                initial_options=[links_only] if master and master.one_time_links_only else None,
            ),
            optional=True,
        )
    )
    type_options = [_option(f"{et.name} ({et.id})", et.id) for et in event_types]
    if type_options:
        chosen = set(master.event_types if master else ())
        blocks.append(
            _input(
                "event_types",
                "Event types offered (all but dynamic rules)",
                _multi(
                    "event_types",
                    type_options,
                    [o for o in type_options if o.value in chosen],
                    "Event types",
                ),
                optional=True,
            )
        )
        blocks += _rule_blocks(master, type_options, _seat_options(pages, pools), len(blocks))
    return _modal(
        _Metadata(Section.MASTER_PAGES, master.id if master else None), "Master page", blocks
    )


def _rule_blocks(
    master: MasterPage | None,
    type_options: list[Option],
    seats: list[Option],
    used: int,
) -> list[Block]:
    rules = master.rules if master else ()
    room = (MAX_VIEW_BLOCKS - used - 1) // 4
    slots = min(len(rules) + EXTRA_RULE_SLOTS, room)
    no_rule = _option("(no rule)", _NO_RULE)
    blocks: list[Block] = [
        context(
            "*Dynamic rules*: one per event type. The primary owns the booking; additional "
            "seats make it a panel. Choose '(no rule)' to drop a rule."
        )
    ]
    for slot in range(slots):
        rule = rules[slot] if slot < len(rules) else None
        chosen_type = _pick(type_options, rule.event_type if rule else None)
        blocks.append(DividerBlock())
        blocks.append(
            _input(
                f"rule{slot}.event_type",
                f"Rule {slot + 1}: event type",
                _single(
                    f"rule{slot}.event_type", [no_rule, *type_options], chosen_type, "Event type"
                ),
                optional=True,
            )
        )
        if not seats:
            continue
        primary = _pick(seats, _seat_value(rule.primary) if rule else None)
        extra = {_seat_value(seat) for seat in rule.additional} if rule else set()
        blocks.append(
            _input(
                f"rule{slot}.primary",
                f"Rule {slot + 1}: primary (owner)",
                _single(f"rule{slot}.primary", seats, primary, "A page or a pool"),
                optional=True,
            )
        )
        blocks.append(
            _input(
                f"rule{slot}.additional",
                f"Rule {slot + 1}: additional seats (panel)",
                _multi(
                    f"rule{slot}.additional",
                    seats,
                    [o for o in seats if o.value in extra],
                    "Pages or pools",
                ),
                optional=True,
            )
        )
    return blocks


# --- parsing ---------------------------------------------------------------------------


def parse_admin_form(view: Mapping[str, Any]) -> AdminForm:
    """Read a submitted entity modal as configuration-file data for ``services.admin.save_entity``.

    Raises:
        BadInput: the view is not an entity modal (its private_metadata says no section).
    """
    meta = _metadata(view)
    values: Mapping[str, Mapping[str, Any]] = view.get("state", {}).get("values", {})
    state = _State(values)
    data: dict[str, Any] = {"id": meta.replaces if meta.replaces else state.text("id")}
    blocks: dict[str, str] = {}
    if meta.section is Section.BOOKING_PAGES:
        _page_data(state, meta.kind or PageKind.MEMBER, data)
    elif meta.section is Section.EVENT_TYPES:
        _event_type_data(state, data)
    elif meta.section is Section.POOLS:
        _pool_data(state, meta.order, data, blocks)
    else:
        _master_page_data(state, data, blocks)
    present = [name.removeprefix(ids.ADMIN_FIELD) for name in values]
    for name in present:
        blocks.setdefault(name, block_id(name))
    fallback = block_id("id") if "id" in present else block_id("name")
    return AdminForm(meta.section, meta.replaces, _given(data), blocks, fallback)


def _page_data(state: _State, kind: PageKind, data: dict[str, Any]) -> None:
    data.update(
        kind=kind.value,
        name=state.text("name"),
        timezone=state.text("timezone"),
        slack_user=state.user("slack_user"),
        capacity=state.text("capacity"),
        max_per_day=state.text("max_per_day"),
        max_per_week=state.text("max_per_week"),
        location=state.text("location"),
    )
    hours = {day: _ranges(state.text(f"hours.{day}") or "") for day, _ in WEEKDAYS}
    data["hours"] = {day: ranges for day, ranges in hours.items() if ranges}
    overrides: dict[str, list[str]] = {}
    for line in (state.text("overrides") or "").splitlines():
        match = _OVERRIDE.fullmatch(line)
        if match is None or not line.strip():
            continue
        overrides.setdefault(match[1], []).extend(_ranges(match[2]))
    data["overrides"] = overrides


def _event_type_data(state: _State, data: dict[str, Any]) -> None:
    for name in ("name", "duration", "step", "buffer_before", "buffer_after", "min_notice"):
        data[name] = state.text(name)
    data["max_days_ahead"] = state.text("max_days_ahead")
    data["location"] = state.text("location")
    reminders = state.text("reminders")
    if reminders is not None:
        data["reminders"] = [] if reminders.strip().lower() in _OFF else _items(reminders)
    data["pages"] = state.chosen("pages")
    form: list[dict[str, Any]] = []
    for line in (state.text("form") or "").splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        question: dict[str, Any] = {"id": parts[0]}
        if len(parts) > 1 and parts[1]:
            question["label"] = parts[1]
        if len(parts) > 2 and parts[2]:
            question["required"] = True if parts[2].lower() == "required" else parts[2]
        form.append(question)
    data["form"] = form


def _pool_data(
    state: _State, order: Sequence[str], data: dict[str, Any], blocks: dict[str, str]
) -> None:
    data.update(
        name=state.text("name"),
        method=state.choice("method"),
        cycle=state.choice("cycle"),
        automatic_correction=bool(state.chosen("automatic_correction")),
        lookahead=state.text("lookahead"),
        flexible=bool(state.chosen("flexible")) or None,
        managers=state.users("managers"),
        channel=state.conversation("channel"),
    )
    paused = state.chosen("paused")
    members: list[tuple[dict[str, Any], str]] = []
    for priority in PRIORITIES:
        name = f"members.{priority.value}"
        for page in state.chosen(name):
            member: dict[str, Any] = {"page": page, "priority": priority.value}
            if page in paused:
                member["active"] = False
            members.append((member, name))
    listed = {member["page"] for member, _ in members}
    members += [
        ({"page": page, "active": False}, "paused") for page in paused if page not in listed
    ]
    known = {page: index for index, page in enumerate(order)}
    members.sort(key=lambda item: known.get(item[0]["page"], len(known)))
    data["members"] = [member for member, _ in members]
    for index, (_, name) in enumerate(members):
        blocks[f"members[{index}]"] = block_id(name)
    blocks["members"] = block_id(f"members.{Priority.MEDIUM.value}")


def _master_page_data(state: _State, data: dict[str, Any], blocks: dict[str, str]) -> None:
    mode = state.choice("mode")
    data.update(name=state.text("name"), mode=mode)
    # A static select cannot be cleared, so only the fields of the chosen mode count.
    if mode == MasterMode.STATIC.value:
        data["method"] = state.choice("method")
    if mode == MasterMode.DYNAMIC.value:
        data["one_time_links_only"] = bool(state.chosen("one_time_links_only")) or None
        data["rules"] = _rules(state, blocks)
        blocks["rules"] = block_id("rule0.event_type")
    else:
        data["event_types"] = state.chosen("event_types")


def _rules(state: _State, blocks: dict[str, str]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    slot = 0
    while state.has(f"rule{slot}.event_type"):
        event_type = state.choice(f"rule{slot}.event_type")
        primary = state.choice(f"rule{slot}.primary")
        additional = state.chosen(f"rule{slot}.additional")
        if event_type != _NO_RULE and (event_type or primary or additional):
            index = len(rules)
            rule: dict[str, Any] = {"event_type": event_type, "primary": _seat(primary)}
            rule["additional"] = [_seat(value) for value in additional]
            rules.append(_given(rule))
            for part in ("event_type", "primary", "additional"):
                blocks[f"rules[{index}].{part}"] = block_id(f"rule{slot}.{part}")
            blocks[f"rules[{index}]"] = block_id(f"rule{slot}.event_type")
        slot += 1
    return rules


# --- external selects ------------------------------------------------------------------


def build_suggestions(config: WorkspaceConfig, action_id: str, query: str) -> list[Option]:
    """Answer an external select of the admin views with the options matching ``query``."""
    text = query.strip().lower()
    name = action_id.removeprefix(ids.ADMIN_FIELD)

    def matching(options: Iterable[Option]) -> list[Option]:
        return [o for o in options if text in (o.text or "").lower()][:MAX_OPTIONS]

    if action_id.startswith(ids.ADMIN_PICK):
        part, _ = parse_menu_value(action_id.removeprefix(ids.ADMIN_PICK) + "/")
        items = entities(config, part)
        return matching(_option(f"{i.name} ({i.id})", f"{part.value}/{i.id}") for i in items)
    if _SEATS_FIELD.fullmatch(name):
        return matching(_seat_options(config.pages, config.pools))
    if _EVENT_TYPES_FIELD.fullmatch(name):
        return matching(_option(f"{e.name} ({e.id})", e.id) for e in config.event_types)
    if _PAGES_FIELD.fullmatch(name):
        return matching(_option(f"{p.name} ({p.id})", p.id) for p in config.pages)
    return []


# --- helpers ---------------------------------------------------------------------------


class _State:
    """The values of a submitted view, read by field name."""

    def __init__(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        self._values = values

    def has(self, name: str) -> bool:
        return block_id(name) in self._values

    def _element(self, name: str) -> Mapping[str, Any]:
        block = self._values.get(block_id(name), {})
        element = block.get(block_id(name))
        return element if isinstance(element, Mapping) else {}

    def text(self, name: str) -> str | None:
        value = self._element(name).get("value")
        return value.strip() or None if isinstance(value, str) else None

    def choice(self, name: str) -> str | None:
        selected = self._element(name).get("selected_option")
        return str(selected["value"]) if isinstance(selected, Mapping) else None

    def chosen(self, name: str) -> list[str]:
        selected = self._element(name).get("selected_options") or []
        return [str(option["value"]) for option in selected]

    def user(self, name: str) -> str | None:
        value = self._element(name).get("selected_user")
        return str(value) if value else None

    def users(self, name: str) -> list[str]:
        return [str(user) for user in self._element(name).get("selected_users") or []]

    def conversation(self, name: str) -> str | None:
        value = self._element(name).get("selected_conversation")
        return str(value) if value else None


def _metadata(view: Mapping[str, Any]) -> _Metadata:
    try:
        raw = json.loads(view.get("private_metadata") or "{}")
        meta = _Metadata(
            section=Section(raw["section"]),
            replaces=raw.get("id"),
            kind=PageKind(raw["kind"]) if raw.get("kind") else None,
            order=tuple(str(page) for page in raw.get("order", ())),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput("this view is not an admin form", field="view") from error
    return meta


def _given(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out what the form left empty, so that the file's defaults apply."""
    return {key: value for key, value in data.items() if value is not None}


def _items(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def _ranges(text: str) -> list[str]:
    return [] if text.strip().lower() in _OFF else _items(text)


def _seat(value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    what, _, key = value.partition(":")
    return {what: key}


def _seat_value(seat: SeatRef) -> str:
    return f"page:{seat.page}" if seat.page is not None else f"pool:{seat.pool}"


def _seat_options(pages: Sequence[Page], pools: Sequence[Pool]) -> list[Option]:
    """Pools, then pages, as the seats of a rule."""
    return [_option(f"Pool: {p.name} ({p.id})", f"pool:{p.id}") for p in pools] + [
        _option(f"Page: {p.name} ({p.id})", f"page:{p.id}") for p in pages
    ]


def _find(items: Sequence[_EntityT], entity_id: str | None, part: Section) -> _EntityT | None:
    if entity_id is None:
        return None
    for item in items:
        if item.id == entity_id:
            return item
    raise BadInput(f"unknown {part.noun} '{entity_id}'", field="id")


def _page_kind(kind: str) -> PageKind:
    try:
        return PageKind(kind)
    except ValueError as error:
        raise BadInput(f"'{kind}' is not a kind of booking page", field="kind") from error


def _identity(entity: Page | EventType | Pool | MasterPage | None, what: str) -> list[Block]:
    blocks: list[Block] = []
    if entity is None:
        blocks.append(
            _input(
                "id",
                "Id",
                _text("id", "", placeholder="sales-team", max_length=64),
                hint="Lowercase letters, digits, '-' and '_'; used in the config file. "
                "It cannot change later.",
            )
        )
    else:
        blocks.append(context(f"Editing {what} `{mrkdwn_escape(entity.id)}`"))
    blocks.append(
        _input("name", "Name", _text("name", entity.name if entity else "", max_length=200))
    )
    return blocks


def _modal(meta: _Metadata, what: str, blocks: list[Block]) -> View:
    verb = "Edit" if meta.replaces else "New"
    return View(
        type="modal",
        callback_id=ids.ADMIN_EDIT,
        private_metadata=meta.dump(),
        title=plain(f"{verb} {what.lower()}", MAX_TITLE),
        submit=plain("Save", MAX_TITLE),
        close=plain("Cancel", MAX_TITLE),
        blocks=blocks,
    )


def _input(
    name: str,
    label: str,
    element: InputInteractiveElement,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id(name),
        label=plain(label, 2000),
        element=element,
        optional=optional,
        hint=plain(hint, 2000) if hint else None,
    )


def _location_input(location: str | None, placeholder: str) -> InputBlock:
    return _input(
        "location",
        "Location",
        _text("location", location or "", placeholder=placeholder, max_length=MAX_LOCATION),
        optional=True,
        hint="Text or a URL, shown with every booking. A person's own location wins over "
        "the event type's.",
    )


def _text(
    name: str,
    initial: str,
    *,
    multiline: bool = False,
    placeholder: str | None = None,
    max_length: int = 3000,
) -> PlainTextInputElement:
    return PlainTextInputElement(
        action_id=block_id(name),
        initial_value=initial or None,
        multiline=multiline or None,
        placeholder=plain(placeholder, 150) if placeholder else None,
        max_length=max_length,
    )


def _number(name: str, initial: int | None, most: int = MAX_COUNT) -> NumberInputElement:
    return NumberInputElement(
        action_id=block_id(name),
        is_decimal_allowed=False,
        initial_value=str(initial) if initial is not None else None,
        min_value="1",
        max_value=str(most),  # Slack checks it; the save checks it again (engine.bounds)
    )


def _option(label: str, value: str) -> Option:
    return Option(text=plain(label, MAX_OPTION_TEXT), value=value)


def _pick(options: Sequence[Option], value: str | None) -> Option | None:
    return next((option for option in options if option.value == value), None)


def _single(
    name: str, options: Sequence[Option], initial: Option | None, placeholder: str
) -> InputInteractiveElement:
    action_id = name if name.startswith(ids.ADMIN_FAMILY) else block_id(name)
    if len(options) > MAX_OPTIONS:
        return ExternalDataSelectElement(
            action_id=action_id, initial_option=initial, min_query_length=0, placeholder=placeholder
        )
    return StaticSelectElement(
        action_id=action_id, options=options, initial_option=initial, placeholder=placeholder
    )


def _multi(
    name: str, options: Sequence[Option], initial: Sequence[Option], placeholder: str
) -> InputInteractiveElement:
    if len(options) > MAX_OPTIONS:
        return ExternalDataMultiSelectElement(
            action_id=block_id(name),
            initial_options=list(initial) or None,
            min_query_length=0,
            placeholder=placeholder,
        )
    return StaticMultiSelectElement(
        action_id=block_id(name),
        options=options,
        initial_options=list(initial) or None,
        placeholder=placeholder,
    )


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _range_text(item: LocalRange) -> str:
    return f"{_clock(item.start)}-{_clock(item.end)}"
