"""Refusals of the service layer: who may act, and what a one-time link still allows.

They join ``engine.errors``'s tree under ``Refused`` (the command line exits 3), each with
its stable ``code``:

    Refused
    ├── Forbidden           code "forbidden": the actor's role does not allow it
    │                       (``services.roles``)
    └── LinkRefused         a one-time link cannot be used; its class says why, its
        │                   message says so to the guest
        ├── LinkUnknown     code "link_unknown": no such link (or a forged token)
        ├── LinkUsed        code "link_used": it already booked
        ├── LinkRevoked     code "link_revoked": its creator or an admin withdrew it
        └── LinkExpired     code "link_expired": past its expiry
"""

from __future__ import annotations

from typing import ClassVar

from engine.errors import Refused


class Forbidden(Refused):
    code = "forbidden"


class LinkRefused(Refused):
    """A one-time link that cannot be used; the subclass says why, ``told`` to the guest."""

    code = "link_refused"
    told: ClassVar[str] = "This link cannot be used."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.told)


class LinkUnknown(LinkRefused):
    code = "link_unknown"
    told = "This link is not valid."


class LinkUsed(LinkRefused):
    code = "link_used"
    told = "This link has already been used to book."


class LinkRevoked(LinkRefused):
    code = "link_revoked"
    told = "This link has been withdrawn."


class LinkExpired(LinkRefused):
    code = "link_expired"
    told = "This link has expired."
