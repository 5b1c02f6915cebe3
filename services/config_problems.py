"""What is wrong with a configuration: each problem where it is and what it is.

A ``Problem`` is a location inside the file's data (``("pools", 1, "members", 0, "page")``)
and a message; nothing formats it until it is shown. ``ConfigInvalid`` carries every problem
of one file and shows them, one per line, as ``FILE: PATH: PROBLEM``::

    acme.yml: pools[1].members[0].page: unknown booking page 'zed'
    acme.yml: booking_pages[0].hours.mon: mon already listed under 'mon-fri'
    acme.yml: line 7, column 12: mapping values are not allowed here

The admin modals read the locations instead (``services.admin``), and put each message on
the field it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from engine.errors import BadInput

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem at ``location`` in a configuration's data; ``()`` is the file itself."""

    location: Loc
    message: str

    @property
    def path(self) -> str:
        """The location as the file's author reads it: ``pools[1].members[0].page``."""
        return path_text(self.location)

    def line(self, source: str) -> str:
        """The problem as one line of a file named ``source``."""
        return (
            f"{source}: {self.path}: {self.message}" if self.path else f"{source}: {self.message}"
        )


def path_text(location: Loc) -> str:
    """Write a location like ``pools[1].members[0].page`` (leaving out a key's ``[key]``)."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return text


class ConfigInvalid(BadInput):
    """A configuration that cannot be applied: ``problems`` from the file named ``source``."""

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> tuple[str, ...]:
        """Each problem as one ``FILE: PATH: PROBLEM`` line."""
        return tuple(problem.line(self.source) for problem in self.problems)


class Problems(ValueError):
    """Problems a validator found, each at a location below the value it validated."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


def refuse(problems: list[Problem]) -> None:
    """Raise ``Problems`` when there are any."""
    if problems:
        raise Problems(problems)


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


def explain(error: Mapping[str, Any]) -> list[Problem]:
    """Turn one pydantic error into problems worded for the author of the file."""
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx", {})
    if kind == "value_error" and isinstance(ctx["error"], Problems):
        return [Problem(loc + below.location, below.message) for below in ctx["error"].problems]
    if kind == "value_error":
        return [Problem(loc, str(ctx["error"]))]
    if kind == "missing":
        return [Problem(loc, "missing required key")]
    if kind == "extra_forbidden":
        return [Problem(loc, "unknown key")]
    if kind == "enum":
        return [Problem(loc, f"expected {ctx['expected']}, got {shown(error['input'])}")]
    if kind == "timezone_aware":
        return [Problem(loc, "needs a UTC offset, like 2026-12-01T14:00:00Z")]
    if kind == "greater_than":
        return [Problem(loc, f"must be more than {ctx['gt']}")]
    if kind == "string_too_short":
        return [Problem(loc, "must not be empty")]
    if kind in _EXPECTED:
        return [Problem(loc, f"expected {_EXPECTED[kind]}, got {shown(error['input'])}")]
    return [Problem(loc, str(error["msg"]))]


def shown(value: object) -> str:
    """Show a YAML value the way its author wrote it."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'"
    return yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n").strip()
