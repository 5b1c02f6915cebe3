"""The shapes of Slack ids, checked alike in configuration files and on the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IdShape:
    """One kind of Slack id: its pattern and how a message names it."""

    pattern: re.Pattern[str]
    what: str

    def check(self, value: str) -> str:
        """Return ``value`` when it has this shape.

        Raises:
            ValueError: it does not; the message says what was expected.
        """
        if self.pattern.fullmatch(value) is None:
            raise ValueError(f"'{value}' is not {self.what}")
        return value


TEAM = IdShape(re.compile(r"[TE][A-Z0-9]+"), "a Slack team id like T0123ABCD")
USER = IdShape(re.compile(r"[UW][A-Z0-9]+"), "a Slack user id like U0123ABCD")
CHANNEL = IdShape(re.compile(r"[CG][A-Z0-9]+"), "a Slack channel id like C0123ABCD")
