"""The configuration file: YAML in, ``WorkspaceConfig`` out, and back.

``parse_config`` validates a whole file before anything uses it and reports every problem
it finds, one per line, as ``FILE: PATH: PROBLEM``::

    acme.yml: pools[1].members[0].page: unknown booking page 'zed'
    acme.yml: booking_pages[0].hours.mon: mon already listed under 'mon-fri'
    acme.yml: line 7, column 12: mapping values are not allowed here

Validation runs in two passes. A lenient survey of the raw YAML collects the ids of every
section (and reports duplicates) so that references can be checked while pydantic
validates the shape; checks that involve several fields of one item raise ``_Problems``,
which carry paths below the item so that messages point at the field itself.

Choices the contract leaves open:

- Ids of booking pages, event types, pools, master pages and form fields match ``ID_PATTERN``
  and are unique within their section (a page and a pool may share an id).
- A day range goes forward through the week and may wrap past Sunday: ``fri-mon`` is Friday,
  Saturday, Sunday and Monday. ``mon-mon`` is refused (write ``mon``).
- ``hours`` and ``overrides`` are optional and default to none.
- Omitted optional values take the defaults of ``engine.model``; export leaves out every value
  equal to its default, so an exported file is as short as it can be.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, NoReturn, Self, cast
from zoneinfo import available_timezones

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.bounds import (
    LONGEST_MEETING,
    LONGEST_WAIT,
    MAX_COUNT,
    MAX_DAYS_AHEAD,
    check_day,
    check_instant,
    check_text,
)
from engine.durations import format_duration, parse_duration
from engine.errors import BadInput
from engine.model import (
    MINUTES_PER_DAY,
    BusyBlock,
    Cycle,
    DynamicRule,
    EventType,
    FormField,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Page,
    PageKind,
    Pool,
    PoolMember,
    Priority,
    SeatRef,
    StaticMethod,
    Workspace,
    WorkspaceConfig,
)
from services import slack_ids

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_LOCATION = 500
"""The longest location (text or URL) a page or an event type may have, in characters."""

_RANGE = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")

Loc = tuple[str | int, ...]


class ConfigInvalid(BadInput):
    """A configuration file that cannot be applied; ``problems`` holds one line per problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class _Problems(ValueError):
    """Problems a validator found, each at a path below the value it validated."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


# --- scalar values ---------------------------------------------------------------------


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if pattern.fullmatch(value) is None:
            raise ValueError(f"'{value}' is not {what}")
        return value

    return check


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(name: str) -> str:
    if name not in _zones():
        raise ValueError(f"unknown time zone '{name}' (use an IANA name like Europe/London)")
    return name


def _duration(longest: timedelta) -> Callable[[object], timedelta]:
    def parse(value: object) -> timedelta:
        return parse_duration(str(value), longest=longest)

    return parse


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be more than 0m")
    return value


def _time(hours: str, minutes: str) -> int | None:
    if int(hours) > 24 or int(minutes) > 59 or (int(hours) == 24 and int(minutes) > 0):
        return None
    return int(hours) * 60 + int(minutes)


def _local_range(value: object) -> LocalRange:
    match = _RANGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{_shown(value)} is not a range like 09:00-17:00")
    start, end = _time(*match.group(1, 2)), _time(*match.group(3, 4))
    if start is None or end is None or start == MINUTES_PER_DAY:
        raise ValueError(f"'{value}' is not a range of times from 00:00 to 24:00")
    if end < start:
        raise ValueError(
            f"'{value}' crosses midnight; write two ranges: "
            f"'{_clock(start)}-24:00' and '00:00-{_clock(end)}'"
        )
    if end == start:
        raise ValueError(f"'{value}' is empty")
    return LocalRange(start, end)


def _days(key: str) -> tuple[int, ...]:
    """Weekdays (Monday 0) of an hours key: ``mon``, or a range ``mon-fri`` that may wrap."""
    first, dash, last = key.partition("-")
    if first not in DAYS or (dash and last not in DAYS):
        raise ValueError(f"'{key}' is not a day (mon … sun) or a range of days like mon-fri")
    if not dash:
        return (DAYS.index(first),)
    start, end = DAYS.index(first), DAYS.index(last)
    if start == end:
        raise ValueError(f"'{key}' starts and ends on the same day; write '{first}'")
    return tuple((start + offset) % 7 for offset in range((end - start) % 7 + 1))


def _day_key(key: str) -> str:
    _days(key)
    return key


def check_location(value: str) -> str:
    """Return a location (text or URL) without surrounding blanks.

    Raises:
        ValueError: it is empty, longer than ``MAX_LOCATION`` or not one line.
    """
    text = value.strip()
    if not text:
        raise ValueError("must not be empty (leave it out for no location)")
    if len(text) > MAX_LOCATION:
        raise ValueError(f"is {len(text)} characters long; at most {MAX_LOCATION}")
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text):
        raise ValueError("must be one line of text or a URL")
    return text


ConfigId = Annotated[
    str,
    AfterValidator(_matching(ID_PATTERN, "an id (a-z, 0-9, '-' and '_', starting a-z or 0-9)")),
]
Name = Annotated[str, Field(min_length=1), AfterValidator(check_text)]
TeamId = Annotated[str, AfterValidator(slack_ids.TEAM.check)]
UserId = Annotated[str, AfterValidator(slack_ids.USER.check)]
ChannelId = Annotated[str, AfterValidator(slack_ids.CHANNEL.check)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Wait = Annotated[timedelta, BeforeValidator(_duration(LONGEST_WAIT))]
Duration = Annotated[timedelta, BeforeValidator(_duration(LONGEST_MEETING))]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
PositiveWait = Annotated[Wait, AfterValidator(_positive)]
Count = Annotated[int, Field(gt=0, le=MAX_COUNT)]
Horizon = Annotated[int, Field(gt=0, le=MAX_DAYS_AHEAD)]
Instant = Annotated[AwareDatetime, AfterValidator(check_instant)]
Day = Annotated[date, AfterValidator(check_day)]
TimeRange = Annotated[LocalRange, PlainValidator(_local_range)]
DayKey = Annotated[str, AfterValidator(_day_key)]
Location = Annotated[str, AfterValidator(check_location)]


# --- references ------------------------------------------------------------------------

_SECTIONS = {
    "booking_pages": "booking page",
    "event_types": "event type",
    "pools": "pool",
    "master_pages": "master page",
}


@dataclass(frozen=True, slots=True)
class _Survey:
    """What the lenient first pass learnt: the ids each section declares."""

    ids: Mapping[str, frozenset[str]]
    event_types_with_pages: frozenset[str]


def _survey_of(info: ValidationInfo) -> _Survey:
    survey = info.context
    assert isinstance(survey, _Survey), "validate with the survey as context"
    return survey


def _reference(section: str) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        if value not in _survey_of(info).ids[section]:
            raise ValueError(f"unknown {_SECTIONS[section]} '{value}'")
        return value

    return AfterValidator(check)


PageRef = Annotated[str, _reference("booking_pages")]
EventTypeRef = Annotated[str, _reference("event_types")]
PoolRef = Annotated[str, _reference("pools")]


def _survey(raw: object) -> tuple[_Survey, list[tuple[Loc, str]]]:
    """Collect each section's ids from the raw file, and report the duplicates."""
    ids: dict[str, frozenset[str]] = {}
    with_pages: set[str] = set()
    problems: list[tuple[Loc, str]] = []
    sections = raw if isinstance(raw, dict) else {}
    for section in _SECTIONS:
        items = sections.get(section)
        first: dict[str, int] = {}
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            item_id = item["id"]
            if item_id in first:
                problems.append(
                    (
                        (section, index, "id"),
                        f"duplicate id '{item_id}', first used by {section}[{first[item_id]}]",
                    )
                )
                continue
            first[item_id] = index
            if section == "event_types" and item.get("pages"):
                with_pages.add(item_id)
        ids[section] = frozenset(first)
    return _Survey(ids, frozenset(with_pages)), problems


# --- the file's shape ------------------------------------------------------------------


def _given(**values: Any) -> dict[str, Any]:
    """Keep the values the file gave, so that ``engine.model`` defaults apply to the rest."""
    return {name: value for name, value in values.items() if value is not None}


def _repeats(values: Iterable[str], loc: Callable[[int], Loc], what: str) -> list[tuple[Loc, str]]:
    seen: dict[str, int] = {}
    problems: list[tuple[Loc, str]] = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append((loc(index), f"{what} '{value}' is listed twice"))
        seen.setdefault(value, index)
    return problems


def _overlaps(ranges: Iterable[LocalRange]) -> list[str]:
    problems: list[str] = []
    furthest: LocalRange | None = None
    for item in sorted(ranges):
        if furthest is not None and item.start < furthest.end:
            problems.append(f"'{_range_text(furthest)}' overlaps '{_range_text(item)}'")
        if furthest is None or item.end > furthest.end:
            furthest = item
    return problems


def _raise(problems: list[tuple[Loc, str]]) -> None:
    if problems:
        raise _Problems(problems)


def _week(hours: Mapping[str, list[LocalRange]]) -> tuple[tuple[LocalRange, ...], ...]:
    """Turn an hours map into seven days of ranges, Monday first.

    Raises:
        _Problems: a day appears under two keys, or a key's ranges overlap.
    """
    week: list[tuple[LocalRange, ...]] = [()] * 7
    owner: dict[int, str] = {}
    problems: list[tuple[Loc, str]] = []
    for key, ranges in hours.items():
        repeated: dict[str, list[str]] = {}
        for day in _days(key):
            if day in owner:
                repeated.setdefault(owner[day], []).append(DAYS[day])
                continue
            owner[day] = key
            week[day] = tuple(sorted(ranges))
        problems += [
            ((key,), f"{', '.join(days)} already listed under '{other}'")
            for other, days in repeated.items()
        ]
        problems += [((key,), overlap) for overlap in _overlaps(ranges)]
    _raise(problems)
    return tuple(week)


class _Shape(BaseModel):
    """A mapping of the file; a key it does not declare is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _WorkspaceModel(_Shape):
    id: TeamId
    timezone: TimeZone
    admins: list[UserId] = Field(default_factory=list)
    slack_admins: bool = True

    def to_engine(self) -> Workspace:
        return Workspace(
            id=self.id,
            timezone=self.timezone,
            admins=tuple(self.admins),
            slack_admins=self.slack_admins,
        )


class _PageModel(_Shape):
    id: ConfigId
    kind: PageKind
    name: Name
    timezone: TimeZone
    hours: dict[DayKey, list[TimeRange]] = Field(default_factory=dict)
    overrides: dict[Day, list[TimeRange]] = Field(default_factory=dict)
    slack_user: UserId | None = None
    capacity: Count | None = None
    max_per_day: Count | None = None
    max_per_week: Count | None = None
    location: Location | None = None

    @field_validator("hours")
    @classmethod
    def _hours_fit_a_week(cls, hours: dict[str, list[LocalRange]]) -> dict[str, list[LocalRange]]:
        _week(hours)
        return hours

    @field_validator("overrides")
    @classmethod
    def _overrides_do_not_overlap(
        cls, overrides: dict[date, list[LocalRange]]
    ) -> dict[date, list[LocalRange]]:
        _raise(
            [
                ((day.isoformat(),), overlap)
                for day, ranges in overrides.items()
                for overlap in _overlaps(ranges)
            ]
        )
        return overrides

    @model_validator(mode="after")
    def _kind_fits(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        if self.kind is PageKind.MEMBER and self.slack_user is None:
            problems.append((("slack_user",), "a member page needs the Slack user it books"))
        if self.kind is PageKind.MEMBER and self.capacity is not None:
            problems.append((("capacity",), "only a resource page has a capacity"))
        if self.kind is PageKind.RESOURCE and self.slack_user is not None:
            problems.append((("slack_user",), "only a member page has a Slack user"))
        _raise(problems)
        return self

    def to_engine(self) -> Page:
        return Page(
            id=self.id,
            kind=self.kind,
            name=self.name,
            timezone=self.timezone,
            hours=_week(self.hours),
            overrides={day: tuple(sorted(ranges)) for day, ranges in self.overrides.items()},
            **_given(
                slack_user=self.slack_user,
                capacity=self.capacity,
                max_per_day=self.max_per_day,
                max_per_week=self.max_per_week,
                location=self.location,
            ),
        )


class _FormFieldModel(_Shape):
    id: ConfigId
    label: Name
    required: bool | None = None

    def to_engine(self) -> FormField:
        return FormField(id=self.id, label=self.label, **_given(required=self.required))


class _EventTypeModel(_Shape):
    id: ConfigId
    name: Name
    duration: PositiveDuration
    step: PositiveDuration | None = None
    buffer_before: Duration | None = None
    buffer_after: Duration | None = None
    min_notice: Wait | None = None
    max_days_ahead: Horizon | None = None
    reminders: list[PositiveDuration] | None = None
    pages: list[PageRef] = Field(default_factory=list)
    form: list[_FormFieldModel] = Field(default_factory=list)
    location: Location | None = None

    @model_validator(mode="after")
    def _nothing_twice(self) -> Self:
        _raise(
            _repeats(self.pages, lambda i: ("pages", i), "booking page")
            + _repeats((f.id for f in self.form), lambda i: ("form", i, "id"), "form field")
        )
        return self

    def to_engine(self) -> EventType:
        return EventType(
            id=self.id,
            name=self.name,
            duration=self.duration,
            pages=tuple(self.pages),
            form=tuple(field.to_engine() for field in self.form),
            **_given(
                step=self.step,
                buffer_before=self.buffer_before,
                buffer_after=self.buffer_after,
                min_notice=self.min_notice,
                max_days_ahead=self.max_days_ahead,
                reminders=None if self.reminders is None else tuple(self.reminders),
                location=self.location,
            ),
        )


class _MemberModel(_Shape):
    page: PageRef
    priority: Priority | None = None
    active: bool | None = None

    def to_engine(self, joined: int) -> PoolMember:
        return PoolMember(
            page=self.page, joined=joined, **_given(priority=self.priority, active=self.active)
        )


class _PoolModel(_Shape):
    id: ConfigId
    name: Name
    method: Method
    cycle: Cycle | None = None
    automatic_correction: bool | None = None
    members: list[_MemberModel] = Field(default_factory=list)
    managers: list[UserId] = Field(default_factory=list)
    channel: ChannelId | None = None
    lookahead: PositiveWait | None = None
    flexible: bool | None = None

    @model_validator(mode="after")
    def _members_once(self) -> Self:
        members = (member.page for member in self.members)
        problems = _repeats(members, lambda i: ("members", i, "page"), "booking page")
        if self.method is not Method.ROUND_ROBIN:
            problems += [
                ((name,), f"{name} applies to round_robin pools only")
                for name in ("lookahead", "flexible")
                if getattr(self, name) not in (None, False)
            ]
        _raise(problems)
        return self

    def to_engine(self) -> Pool:
        return Pool(
            id=self.id,
            name=self.name,
            method=self.method,
            members=tuple(member.to_engine(joined) for joined, member in enumerate(self.members)),
            managers=tuple(self.managers),
            **_given(
                cycle=self.cycle,
                automatic_correction=self.automatic_correction,
                channel=self.channel,
                lookahead=self.lookahead,
                flexible=self.flexible,
            ),
        )


class _SeatModel(_Shape):
    page: PageRef | None = None
    pool: PoolRef | None = None

    @model_validator(mode="after")
    def _one_of_page_or_pool(self) -> Self:
        if self.page is None and self.pool is None:
            raise ValueError("name a page or a pool")
        if self.page is not None and self.pool is not None:
            raise ValueError("name a page or a pool, not both")
        return self

    def to_engine(self) -> SeatRef:
        return SeatRef(page=self.page, pool=self.pool)


class _RuleModel(_Shape):
    event_type: EventTypeRef
    primary: _SeatModel
    additional: list[_SeatModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _seats_can_be_filled(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        if self.primary.pool is not None:
            problems += [
                (
                    ("additional", index, "pool"),
                    f"pool '{seat.pool}' is already the primary; "
                    "a pool may not be both primary and additional",
                )
                for index, seat in enumerate(self.additional)
                if seat.pool == self.primary.pool
            ]
        pages = [seat.page for seat in (self.primary, *self.additional)]
        problems += [
            (("additional", index - 1, "page"), f"booking page '{page}' already fills a seat")
            for index, page in enumerate(pages)
            if page is not None and page in pages[:index]
        ]
        _raise(problems)
        return self

    def to_engine(self) -> DynamicRule:
        return DynamicRule(
            event_type=self.event_type,
            primary=self.primary.to_engine(),
            additional=tuple(seat.to_engine() for seat in self.additional),
        )


class _MasterPageModel(_Shape):
    id: ConfigId
    name: Name
    mode: MasterMode
    rules: list[_RuleModel] = Field(default_factory=list)
    event_types: list[EventTypeRef] = Field(default_factory=list)
    method: StaticMethod | None = None
    one_time_links_only: bool | None = None

    @model_validator(mode="after")
    def _mode_fits(self, info: ValidationInfo) -> Self:
        if self.mode is MasterMode.DYNAMIC:
            _raise(self._dynamic_problems())
        else:
            _raise(self._listing_problems(_survey_of(info)))
        return self

    def _dynamic_problems(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        if not self.rules:
            problems.append((("rules",), "a dynamic page needs at least one rule"))
        if self.event_types:
            problems.append(
                (("event_types",), "a dynamic page offers the event types of its rules")
            )
        if self.method is not None:
            problems.append((("method",), "only a static page has a method"))
        rules = (rule.event_type for rule in self.rules)
        return problems + [
            (loc, f"{message}; a dynamic page has one rule per event type")
            for loc, message in _repeats(rules, lambda i: ("rules", i, "event_type"), "event type")
        ]

    def _listing_problems(self, survey: _Survey) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        mode = self.mode.value
        if self.rules:
            problems.append((("rules",), "only a dynamic page has rules"))
        if not self.event_types:
            problems.append((("event_types",), f"a {mode} page needs at least one event type"))
        if self.mode is MasterMode.STATIC and self.method is None:
            methods = ", ".join(method.value for method in StaticMethod)
            problems.append((("method",), f"a static page needs a method: one of {methods}"))
        if self.mode is not MasterMode.STATIC and self.method is not None:
            problems.append((("method",), "only a static page has a method"))
        if self.one_time_links_only:
            problems.append((("one_time_links_only",), "one-time links are only for dynamic pages"))
        problems += [
            (("event_types", index), f"event type '{event_type}' lists no booking pages")
            for index, event_type in enumerate(self.event_types)
            if event_type not in survey.event_types_with_pages
        ]
        return problems + _repeats(self.event_types, lambda i: ("event_types", i), "event type")

    def to_engine(self) -> MasterPage:
        return MasterPage(
            id=self.id,
            name=self.name,
            mode=self.mode,
            rules=tuple(rule.to_engine() for rule in self.rules),
            event_types=tuple(self.event_types),
            **_given(method=self.method, one_time_links_only=self.one_time_links_only),
        )


class _BusyModel(_Shape):
    page: PageRef
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end <= self.start:
            raise _Problems([(("end",), "must be after start")])
        return self

    def to_engine(self) -> BusyBlock:
        return BusyBlock(
            page=self.page, start=self.start.astimezone(UTC), end=self.end.astimezone(UTC)
        )


class _FileModel(_Shape):
    workspace: _WorkspaceModel
    booking_pages: list[_PageModel] = Field(default_factory=list)
    event_types: list[_EventTypeModel] = Field(default_factory=list)
    pools: list[_PoolModel] = Field(default_factory=list)
    master_pages: list[_MasterPageModel] = Field(default_factory=list)
    busy: list[_BusyModel] = Field(default_factory=list)

    def to_engine(self) -> WorkspaceConfig:
        return WorkspaceConfig(
            workspace=self.workspace.to_engine(),
            pages=tuple(page.to_engine() for page in self.booking_pages),
            event_types=tuple(event_type.to_engine() for event_type in self.event_types),
            pools=tuple(pool.to_engine() for pool in self.pools),
            master_pages=tuple(master.to_engine() for master in self.master_pages),
            busy=tuple(block.to_engine() for block in self.busy),
        )


# --- reading ---------------------------------------------------------------------------


MAX_DEPTH = 50
"""How deeply a file may nest; a real one nests about six levels (PyYAML recurses per level)."""
MAX_NODES = 100_000
"""How many values a file may hold once every alias is expanded (an alias bomb holds billions)."""


class _Loader(yaml.SafeLoader):
    """A safe loader that refuses a key written twice in one mapping (PyYAML keeps the last),
    nesting deeper than ``MAX_DEPTH`` and more than ``MAX_NODES`` values after aliases expand.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id of a composed node: its size, aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self._sizes:
                _refuse(f"alias *{event.anchor} is used inside its own anchor", event)
            return node  # counted again by whoever holds it: that is what it expands to
        if self._depth >= MAX_DEPTH:
            _refuse(f"nested more than {MAX_DEPTH} levels deep", event)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        size = 1 + sum(self._sizes[id(child)] for child in children)
        if size > MAX_NODES:
            _refuse(f"holds more than {MAX_NODES:,} values once its aliases are expanded", event)
        self._sizes[id(node)] = size
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _refuse(problem: str, event: yaml.Event) -> NoReturn:
    mark = cast("yaml.Mark", event.start_mark)
    raise yaml.composer.ComposerError(None, None, problem, mark)


def read_config(path: str | Path) -> WorkspaceConfig:
    """Read and validate a configuration file.

    Raises:
        ConfigInvalid: the file cannot be read or holds any problem; nothing was used.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigInvalid([f"{path}: cannot read the file: {reason}"]) from exc
    return parse_config(text, str(path))


def parse_config(text: str, source: str) -> WorkspaceConfig:
    """Validate the YAML text of a whole configuration file; ``source`` names it in errors.

    Raises:
        ConfigInvalid: every problem found, one per line.
    """
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigInvalid([f"{source}: {where}{exc.problem or exc.context}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigInvalid([f"{source}: {exc}"]) from exc
    if raw is None:
        raise ConfigInvalid([f"{source}: the file is empty; it needs at least a workspace"])
    survey, problems = _survey(raw)
    try:
        model = _FileModel.model_validate(raw, context=survey)
    except ValidationError as exc:
        problems += [problem for error in exc.errors() for problem in _explain(error)]
    if problems:
        order = [None, *_FileModel.model_fields]
        problems.sort(key=lambda problem: order.index(_section(problem[0])))
        raise ConfigInvalid(f"{source}: {_path(loc)}{message}" for loc, message in problems)
    return model.to_engine()


def _section(loc: Loc) -> str | None:
    """The file's section a problem is in; None for the file itself or an unknown key."""
    known = loc and isinstance(loc[0], str) and loc[0] in _FileModel.model_fields
    return str(loc[0]) if known else None


def _path(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return f"{text}: " if text else ""


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date like 2026-12-24",
    "date_parsing": "a date like 2026-12-24",
    "date_from_datetime_parsing": "a date like 2026-12-24",
    "datetime_type": "a time like 2026-12-01T14:00:00Z",
    "datetime_parsing": "a time like 2026-12-01T14:00:00Z",
    "datetime_from_date_parsing": "a time like 2026-12-01T14:00:00Z",
}


def _explain(error: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Turn one pydantic error into problems worded for the author of the file."""
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx", {})
    if kind == "value_error" and isinstance(ctx["error"], _Problems):
        return [(loc + below, message) for below, message in ctx["error"].problems]
    if kind == "value_error":
        return [(loc, str(ctx["error"]))]
    if kind == "missing":
        return [(loc, "missing required key")]
    if kind == "extra_forbidden":
        return [(loc, "unknown key")]
    if kind == "enum":
        return [(loc, f"expected {ctx['expected']}, got {_shown(error['input'])}")]
    if kind == "timezone_aware":
        return [(loc, "needs a UTC offset, like 2026-12-01T14:00:00Z")]
    if kind == "greater_than":
        return [(loc, f"must be more than {ctx['gt']}")]
    if kind == "string_too_short":
        return [(loc, "must not be empty")]
    if kind in _EXPECTED:
        return [(loc, f"expected {_EXPECTED[kind]}, got {_shown(error['input'])}")]
    return [(loc, str(error["msg"]))]


def _shown(value: object) -> str:
    """Show a YAML value the way its author wrote it."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'"
    return yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n").strip()


# --- writing ---------------------------------------------------------------------------


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _range_text(value: LocalRange) -> str:
    return f"{_clock(value.start)}-{_clock(value.end)}"


def _hours_data(week: tuple[tuple[LocalRange, ...], ...]) -> dict[str, list[str]]:
    """Write seven days of hours with runs of equal days joined into ranges like ``mon-fri``."""
    data: dict[str, list[str]] = {}
    day = 0
    while day < 7:
        last = day
        while last + 1 < 7 and week[last + 1] == week[day]:
            last += 1
        if week[day]:
            key = DAYS[day] if last == day else f"{DAYS[day]}-{DAYS[last]}"
            data[key] = [_range_text(item) for item in week[day]]
        day = last + 1
    return data


def _plain(value: object) -> Any:
    """Turn an engine value into YAML-ready data."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return _data(value)
    return value


def _data(item: Any, **written: Any) -> dict[str, Any]:
    """Write a dataclass's fields that differ from their defaults, in field order.

    ``written`` supplies the data of fields that need more than ``_plain``; ``None`` there
    leaves a field out.
    """
    data: dict[str, Any] = {}
    for spec in fields(item):
        value = getattr(item, spec.name)
        if spec.default is not MISSING and value == spec.default:
            continue
        if spec.default_factory is not MISSING and value == spec.default_factory():
            continue
        text = written[spec.name] if spec.name in written else _plain(value)
        if text is not None:
            data[spec.name] = text
    return data


def config_data(config: WorkspaceConfig) -> dict[str, Any]:
    """Write a workspace configuration as the plain data of a configuration file."""
    sections: dict[str, list[dict[str, Any]]] = {
        "booking_pages": [
            _data(
                page,
                hours=_hours_data(page.hours),
                overrides={
                    day.isoformat(): [_range_text(item) for item in page.overrides[day]]
                    for day in sorted(page.overrides)
                },
            )
            for page in config.pages
        ],
        "event_types": [_data(event_type) for event_type in config.event_types],
        "pools": [
            _data(pool, members=[_data(member, joined=None) for member in pool.members])
            for pool in config.pools
        ],
        "master_pages": [_data(master) for master in config.master_pages],
        "busy": [_data(block) for block in config.busy],
    }
    return {"workspace": _data(config.workspace)} | {
        name: items for name, items in sections.items() if items
    }


class _Dumper(yaml.SafeDumper):
    """Writes lists of plain values, and small mappings of them, on one line, as people do."""


_FLOW_KEYS = 3


def _flat(value: object) -> bool:
    if isinstance(value, list):
        return all(not isinstance(item, dict | list) for item in value)
    return not isinstance(value, dict)


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=_flat(items))


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = len(data) <= _FLOW_KEYS and all(_flat(value) for value in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def dump_config(config: WorkspaceConfig) -> str:
    """Write a workspace configuration as the YAML text of a configuration file."""
    return yaml.dump(
        config_data(config),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
