"""The configuration file: YAML in, ``WorkspaceConfig`` out, and back.

``read_config`` and ``parse_config`` read a file's YAML safely (no key twice in one mapping,
no deep nesting, no alias bombs) and hand its data to ``services.config_schema``, which
validates the whole of it before anything uses it; a file that cannot be read or parsed is
one ``ConfigInvalid`` problem at the file itself (with its line and column when YAML knows
them).

``config_data`` writes a configuration back as the file's plain data and ``dump_config`` as
its YAML text. Export leaves out every value equal to its default in ``engine.model``, so an
exported file is as short as it can be; runs of equal days in hours are joined into ranges
like ``mon-fri``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import MISSING, fields, is_dataclass
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn, cast

import yaml

from engine.durations import format_duration
from engine.model import LocalRange, WorkspaceConfig
from engine.zones import zulu
from services.config_problems import ConfigInvalid, Problem
from services.config_schema import validate_config
from services.config_values import DAYS, range_text

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
        raise ConfigInvalid(str(path), [Problem((), f"cannot read the file: {reason}")]) from exc
    return parse_config(text, str(path))


def parse_config(text: str, source: str) -> WorkspaceConfig:
    """Validate the YAML text of a whole configuration file; ``source`` names it in errors.

    Raises:
        ConfigInvalid: every problem found.
    """
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigInvalid(source, [Problem((), f"{where}{exc.problem or exc.context}")]) from exc
    except yaml.YAMLError as exc:
        raise ConfigInvalid(source, [Problem((), str(exc))]) from exc
    if raw is None:
        raise ConfigInvalid(
            source, [Problem((), "the file is empty; it needs at least a workspace")]
        )
    return validate_config(raw, source)


# --- writing ---------------------------------------------------------------------------


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
            data[key] = [range_text(item) for item in week[day]]
        day = last + 1
    return data


def _plain(value: object) -> Any:
    """Turn an engine value into YAML-ready data."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return zulu(value)
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
                    day.isoformat(): [range_text(item) for item in page.overrides[day]]
                    for day in sorted(page.overrides)
                },
            )
            for page in config.pages.values()
        ],
        "event_types": [_data(event_type) for event_type in config.event_types.values()],
        "pools": [
            _data(
                pool, members=[_data(member, joined=None) for member in pool.members], former=None
            )
            for pool in config.pools.values()
        ],
        "master_pages": [_data(master) for master in config.master_pages.values()],
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
