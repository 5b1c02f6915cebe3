"""The shape of a configuration: which sections and keys it has, checked as a whole.

``validate_config`` takes a file's data (as YAML reads it, or as ``config_data`` writes it)
and returns the ``WorkspaceConfig`` it describes, or raises ``ConfigInvalid`` with every
problem it found. Validation runs in two passes. A lenient survey of the raw data collects the
ids of every section (and reports duplicates) so that references can be checked while
pydantic validates the shape; checks that involve several fields of one item raise
``Problems``, which carry locations below the item so that messages point at the field itself.

Choices the contract leaves open:

- Ids of booking pages, event types, pools, master pages and form fields match ``ID_PATTERN``
  and are unique within their section (a page and a pool may share an id).
- ``hours`` and ``overrides`` are optional and default to none.
- Omitted optional values take the defaults of ``engine.model``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.model import (
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
    by_id,
)
from services.config_problems import ConfigInvalid, Loc, Problem, Problems, explain, refuse
from services.config_values import (
    ChannelId,
    ConfigId,
    Count,
    Day,
    DayKey,
    Duration,
    EventTypeRef,
    Horizon,
    Instant,
    Location,
    Name,
    PageRef,
    PoolRef,
    PositiveDuration,
    PositiveWait,
    Survey,
    TeamId,
    TimeRange,
    TimeZone,
    UserId,
    Wait,
    overlaps,
    survey_ids,
    survey_of,
    week_of,
)

# --- the file's shape ------------------------------------------------------------------


def _given(**values: Any) -> dict[str, Any]:
    """Keep the values the file gave, so that ``engine.model`` defaults apply to the rest."""
    return {name: value for name, value in values.items() if value is not None}


def _repeats(values: Iterable[str], loc: Callable[[int], Loc], what: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append(Problem(loc(index), f"{what} '{value}' is listed twice"))
        seen.setdefault(value, index)
    return problems


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
    def _hours_fit_aweek_of(cls, hours: dict[str, list[LocalRange]]) -> dict[str, list[LocalRange]]:
        week_of(hours)
        return hours

    @field_validator("overrides")
    @classmethod
    def _overrides_do_not_overlap(
        cls, overrides: dict[date, list[LocalRange]]
    ) -> dict[date, list[LocalRange]]:
        refuse(
            [
                Problem((day.isoformat(),), overlap)
                for day, ranges in overrides.items()
                for overlap in overlaps(ranges)
            ]
        )
        return overrides

    @model_validator(mode="after")
    def _kind_fits(self) -> Self:
        problems: list[Problem] = []
        if self.kind is PageKind.MEMBER and self.slack_user is None:
            problems.append(Problem(("slack_user",), "a member page needs the Slack user it books"))
        if self.kind is PageKind.MEMBER and self.capacity is not None:
            problems.append(Problem(("capacity",), "only a resource page has a capacity"))
        if self.kind is PageKind.RESOURCE and self.slack_user is not None:
            problems.append(Problem(("slack_user",), "only a member page has a Slack user"))
        refuse(problems)
        return self

    def to_engine(self) -> Page:
        return Page(
            id=self.id,
            kind=self.kind,
            name=self.name,
            timezone=self.timezone,
            hours=week_of(self.hours),
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
        refuse(
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
                Problem((name,), f"{name} applies to round_robin pools only")
                for name in ("lookahead", "flexible")
                if getattr(self, name) not in (None, False)
            ]
        refuse(problems)
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
        problems: list[Problem] = []
        if self.primary.pool is not None:
            problems += [
                Problem(
                    ("additional", index, "pool"),
                    f"pool '{seat.pool}' is already the primary; "
                    "a pool may not be both primary and additional",
                )
                for index, seat in enumerate(self.additional)
                if seat.pool == self.primary.pool
            ]
        pages = [seat.page for seat in (self.primary, *self.additional)]
        problems += [
            Problem(
                ("additional", index - 1, "page"), f"booking page '{page}' already fills a seat"
            )
            for index, page in enumerate(pages)
            if page is not None and page in pages[:index]
        ]
        refuse(problems)
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
            refuse(self._dynamic_problems())
        else:
            refuse(self._listing_problems(survey_of(info)))
        return self

    def _dynamic_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        if not self.rules:
            problems.append(Problem(("rules",), "a dynamic page needs at least one rule"))
        if self.event_types:
            problems.append(
                Problem(("event_types",), "a dynamic page offers the event types of its rules")
            )
        if self.method is not None:
            problems.append(Problem(("method",), "only a static page has a method"))
        rules = (rule.event_type for rule in self.rules)
        return problems + [
            Problem(
                problem.location, f"{problem.message}; a dynamic page has one rule per event type"
            )
            for problem in _repeats(rules, lambda i: ("rules", i, "event_type"), "event type")
        ]

    def _listing_problems(self, survey: Survey) -> list[Problem]:
        problems: list[Problem] = []
        mode = self.mode.value
        if self.rules:
            problems.append(Problem(("rules",), "only a dynamic page has rules"))
        if not self.event_types:
            problems.append(
                Problem(("event_types",), f"a {mode} page needs at least one event type")
            )
        if self.mode is MasterMode.STATIC and self.method is None:
            methods = ", ".join(method.value for method in StaticMethod)
            problems.append(Problem(("method",), f"a static page needs a method: one of {methods}"))
        if self.mode is not MasterMode.STATIC and self.method is not None:
            problems.append(Problem(("method",), "only a static page has a method"))
        if self.one_time_links_only:
            problems.append(
                Problem(("one_time_links_only",), "one-time links are only for dynamic pages")
            )
        problems += [
            Problem(("event_types", index), f"event type '{event_type}' lists no booking pages")
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
            raise Problems([Problem(("end",), "must be after start")])
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
            pages=by_id(page.to_engine() for page in self.booking_pages),
            event_types=by_id(event_type.to_engine() for event_type in self.event_types),
            pools=by_id(pool.to_engine() for pool in self.pools),
            master_pages=by_id(master.to_engine() for master in self.master_pages),
            busy=tuple(block.to_engine() for block in self.busy),
        )


def validate_config(raw: object, source: str) -> WorkspaceConfig:
    """Validate a whole configuration's data; ``source`` names it in the problems' lines.

    Raises:
        ConfigInvalid: every problem found, in the order of the file's sections.
    """
    survey, problems = survey_ids(raw)
    try:
        model = _FileModel.model_validate(raw, context=survey)
    except ValidationError as exc:
        problems += [problem for error in exc.errors() for problem in explain(error)]
    if problems:
        order = [None, *_FileModel.model_fields]
        problems.sort(key=lambda problem: order.index(_section(problem.location)))
        raise ConfigInvalid(source, problems)
    return model.to_engine()


def _section(loc: Loc) -> str | None:
    """The file's section a problem is in; None for the file itself or an unknown key."""
    known = loc and isinstance(loc[0], str) and loc[0] in _FileModel.model_fields
    return str(loc[0]) if known else None
