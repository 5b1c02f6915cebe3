"""Errors of the scheduling domain.

Every error the engine or a service raises for a reason a user can act on derives from
``RoundtableError`` and carries a stable ``code`` (the CLI's JSON ``error.code``):

    RoundtableError
    ├── BadInput            code "bad_input": a field's value is wrong (CLI exit 2)
    │   └── NotFound        code "not_found": an id names nothing in this workspace
    └── Refused             refused by the rules (CLI exit 3)
        ├── SlotUnavailable code "slot_unavailable"
        ├── TargetBusy      code "target_busy"
        ├── NotInPool       code "not_in_pool"
        ├── BookingCancelled code "booking_cancelled": the booking was already cancelled
        ├── BookingNoShow   code "booking_no_show": the booking was marked a no-show
        ├── BookingStarted  code "booking_started": too late, the meeting has started
        ├── NotStarted      code "booking_not_started": too early, it has not started yet
        └── the service layer's refusals (``services.errors``): Forbidden, LinkRefused

Surfaces meet a few more ``BadInput`` kinds: ``services.config_file.ConfigInvalid`` (a
configuration file's problems, each naming its place) and ``services.admin.AdminInvalid``
(a setup modal's problems, by field).

A race the database refereed is no error a user is told as is: storage raises a
``Conflict`` and the service that wrote says what it means (the slot was just taken, the
booking was already made):

    Conflict
    ├── Overlap             the no-overlap constraint refused a seat (PostgreSQL)
    ├── Duplicate           a unique key is taken (an idempotency key, a workspace's team id)
    └── Aborted             the database aborted the transaction: a serialization failure
                            or a deadlock (PostgreSQL)
"""

from __future__ import annotations


class RoundtableError(Exception):
    """Base of every error a user can be told about."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadInput(RoundtableError):
    code = "bad_input"


class NotFound(BadInput):
    code = "not_found"


class Refused(RoundtableError):
    code = "refused"


class SlotUnavailable(Refused):
    code = "slot_unavailable"


class TargetBusy(Refused):
    code = "target_busy"


class NotInPool(Refused):
    code = "not_in_pool"


class BookingCancelled(Refused):
    code = "booking_cancelled"


class BookingNoShow(Refused):
    code = "booking_no_show"


class BookingStarted(Refused):
    code = "booking_started"


class NotStarted(Refused):
    code = "booking_not_started"


class Conflict(Exception):
    """A concurrent transaction won a race the database refereed; storage raises it."""


class Overlap(Conflict):
    """Another booking holds one of the pages at that time (the no-overlap constraint)."""


class Duplicate(Conflict):
    """A row with the same unique key exists (another request wrote it first)."""


class Aborted(Conflict):
    """The database aborted the transaction (a serialization failure or a deadlock)."""
