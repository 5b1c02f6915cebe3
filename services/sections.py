"""The four sections of a workspace's setup, named as in the configuration file."""

from __future__ import annotations

from enum import StrEnum


class Section(StrEnum):
    """A section of the configuration, named as in the file."""

    BOOKING_PAGES = "booking_pages"
    EVENT_TYPES = "event_types"
    POOLS = "pools"
    MASTER_PAGES = "master_pages"

    @property
    def noun(self) -> str:
        """One entity of the section, in a sentence: ``booking page``."""
        return self.value.removesuffix("s").replace("_", " ")

    @property
    def heading(self) -> str:
        """The section over a list of its entities: ``Booking pages``."""
        return self.value.replace("_", " ").capitalize()
