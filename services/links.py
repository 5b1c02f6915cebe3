"""One-time links: create, revoke, resolve, and the check every use of a link passes.

The secret is ``secrets.token_urlsafe(32)`` (256 bits), drawn again when it starts with
``-`` (so a shell command like ``link revoke TOKEN`` never reads it as an option); only its
SHA-256 is stored, so the database alone cannot open a link. A link is consumed by
``services.booking.book`` in the booking's own transaction (``LinkRepository.mark_used`` is
one conditional UPDATE).

A link that cannot be used is refused with a ``LinkRefused`` of one of four kinds
(``services.errors``: ``LinkUnknown``, ``LinkUsed``, ``LinkRevoked``, ``LinkExpired``); the
messages are the same for every link and name no page, pool or person, so a guest holding
a stale or guessed token learns nothing but the kind.

Choices made here:

* ``expires_in=None`` makes a link that never expires; a zero or negative one is bad input.
* Without a fixed event type, personalized form answers may answer the form of any event type
  the master page offers; with one, only that event type's form.
* Revoking needs the same role as creating (or being the link's creator); a used or already
  revoked link cannot be revoked, an expired one can.
* A link may name the member of a flexible round-robin seat (``member``) only when every
  event type it books has such a seat with that page as an active member of its pool
  (``engine.seats.flexible_members``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from engine.bounds import check_text
from engine.errors import BadInput, NotFound
from engine.model import EventType, MasterMode, MasterPage, Schedule
from engine.records import OneTimeLink
from engine.seats import flexible_members
from services import roles
from services.context import Actor
from services.errors import LinkExpired, LinkRevoked, LinkUnknown, LinkUsed
from storage.uow import UnitOfWork

DEFAULT_EXPIRY = timedelta(days=30)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True, slots=True)
class CreatedLink:
    """A new link: the secret token is shown once, here, and never stored."""

    token: str
    url: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class LinkView:
    """What the guest page and the Slack DM button need to open a link's booking modal."""

    workspace_id: str
    master_page: str
    master_page_name: str
    event_types: tuple[str, ...]
    guest_name: str | None = None
    guest_email: str | None = None
    form_answers: Mapping[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None


def token_hash(token: str) -> str:
    """Return the stored form of a link's secret: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(public_url: str, token: str) -> str:
    """Return the guest page URL of a token."""
    return f"{public_url.rstrip('/')}/l/{token}"


def check_link(link: OneTimeLink | None, now: datetime) -> OneTimeLink:
    """Return ``link`` if it may still be used at ``now``.

    Raises:
        LinkRefused: the link is unknown, used, revoked or expired (checked in that order).
    """
    if link is None:
        raise LinkUnknown()
    if link.used_at is not None:
        raise LinkUsed()
    if link.revoked_at is not None:
        raise LinkRevoked()
    if link.expires_at is not None and link.expires_at <= now:
        raise LinkExpired()
    return link


def usable_link(uow: UnitOfWork, workspace_id: str, token: str, now: datetime) -> OneTimeLink:
    """Return the workspace's link for ``token`` if it may be used at ``now``.

    Raises:
        LinkRefused: as for ``check_link``; a link of another workspace is unknown here.
    """
    return check_link(uow.links.get(workspace_id, token_hash(token)), now)


def check_typed(text: str, field_name: str) -> str:
    """Return ``text`` if it holds no control character (NUL above all; see engine.bounds).

    Raises:
        BadInput: it does (the field is ``field_name``).
    """
    try:
        return check_text(text)
    except ValueError as error:
        raise BadInput(str(error), field=field_name) from None


def check_email(email: str, field_name: str = "email") -> str:
    """Return ``email`` stripped if it looks like an address.

    Raises:
        BadInput: it does not (the field is ``field_name``).
    """
    email = check_typed(email, field_name).strip()
    if not _EMAIL.fullmatch(email):
        raise BadInput(f"'{email}' is not an email address like ann@example.com", field=field_name)
    return email


def check_form_answers(
    answers: Mapping[str, str], forms: list[EventType], *, complete: bool
) -> dict[str, str]:
    """Return the answers stripped, refusing fields none of ``forms`` asks for.

    With ``complete`` every required field of every form must be answered (non-blank).

    Raises:
        BadInput: an unknown field or a missing required answer; the field names it.
    """
    known = {item.id: item for kind in forms for item in kind.form}
    cleaned = {key: check_typed(value, f"form.{key}").strip() for key, value in answers.items()}
    for key in cleaned:
        if key not in known:
            raise BadInput(f"the booking form has no field '{key}'", field=f"form.{key}")
    if complete:
        for item in known.values():
            if item.required and not cleaned.get(item.id):
                raise BadInput(f"'{item.label}' needs an answer", field=f"form.{item.id}")
    return {key: value for key, value in cleaned.items() if value}


def new_token() -> str:
    """Return a new link secret: 256 random bits, URL-safe, never starting with ``-``."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def create_link(
    engine: Engine,
    workspace_id: str,
    master_page: str,
    *,
    event_type: str | None = None,
    name: str | None = None,
    email: str | None = None,
    form_answers: Mapping[str, str] | None = None,
    expires_in: timedelta | None = DEFAULT_EXPIRY,
    member: str | None = None,
    actor: Actor,
    now: datetime,
    public_url: str,
) -> CreatedLink:
    """Create a one-time link to a dynamic master page, optionally fixed and personalized.

    ``member`` names the page a flexible round-robin seat gives the link's booking.

    Raises:
        NotFound: the workspace, master page or event type does not exist.
        BadInput: the master page is not dynamic, does not offer the event type, the email
            or a form answer is wrong, ``expires_in`` is not positive, or ``member`` is not
            a member of a flexible round-robin seat of every event type the link books.
        Forbidden: the actor is neither an admin nor a manager of the master page's pools.
    """
    with UnitOfWork(engine) as uow:
        config = uow.config.load(workspace_id)
        master = config.master_page(master_page)
        roles.require_master_page_manager(
            config.workspace,
            master,
            config.pools.values(),
            actor,
            "create links to this master page",
        )
        if master.mode is not MasterMode.DYNAMIC:
            raise BadInput(
                f"one-time links open only master pages with dynamic rules; "
                f"'{master_page}' is {master.mode.value}",
                field="master_page",
            )
        offered = master.offered_event_types()
        if event_type is not None and event_type not in offered:
            raise BadInput(
                f"master page '{master_page}' does not offer event type '{event_type}'",
                field="event_type",
            )
        forms = [config.event_types[kind] for kind in ([event_type] if event_type else offered)]
        answers = check_form_answers(form_answers or {}, forms, complete=False)
        if expires_in is not None and expires_in <= timedelta(0):
            raise BadInput("a link must expire in the future", field="expires_in")
        booked = [event_type] if event_type else list(offered)
        if member is not None and member not in flexible_members(
            Schedule(config), master.id, booked, now
        ):
            raise BadInput(
                f"'{member}' is not an active member of a flexible round-robin pool of "
                f"every event type this link books",
                field="member",
            )
        token = new_token()
        expires_at = None if expires_in is None else now + expires_in
        uow.links.add(
            workspace_id,
            OneTimeLink(
                id=str(uuid.uuid4()),
                token_hash=token_hash(token),
                master_page=master_page,
                created_at=now,
                event_type=event_type,
                guest_name=check_typed(name or "", "name").strip() or None,
                guest_email=None if not email else check_email(email),
                form_answers=answers or None,
                member=member,
                expires_at=expires_at,
                created_by=actor.slack_user,
            ),
        )
        uow.commit()
    return CreatedLink(token, link_url(public_url, token), expires_at)


def revoke_link(
    engine: Engine, workspace_id: str, token: str, *, actor: Actor, now: datetime
) -> None:
    """Withdraw an unused link so that it books nothing.

    Raises:
        LinkRefused: the link is unknown (``link_unknown``), used or already revoked.
        Forbidden: the actor did not create it and may not create links to its master page.
    """
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        link = uow.links.get(workspace_id, token_hash(token))
        if link is None:
            raise LinkUnknown()
        if actor.slack_user is None or link.created_by != actor.slack_user:
            config = uow.config.load(workspace_id)
            master = config.master_page(link.master_page)
            roles.require_master_page_manager(
                config.workspace,
                master,
                config.pools.values(),
                actor,
                "revoke links to this master page",
            )
        if link.used_at is not None:
            raise LinkUsed()
        if not uow.links.revoke(workspace_id, link.token_hash, at=now):
            raise LinkRevoked()
        uow.commit()


def resolve_link(engine: Engine, token: str, *, now: datetime) -> LinkView:
    """Return what a usable link opens, for the guest page and the Slack DM button.

    Raises:
        LinkRefused: the link is unknown, used, revoked or expired.
    """
    digest = token_hash(token)
    with UnitOfWork(engine) as uow:
        workspace_id = uow.links.workspace_of(digest)
        if workspace_id is None:
            raise LinkUnknown()
        link = check_link(uow.links.get(workspace_id, digest), now)
        config = uow.config.load(workspace_id)
    try:
        master = config.master_page(link.master_page)
    except NotFound:
        # The master page was archived after the link was made: nothing left to open.
        raise LinkUnknown() from None
    return LinkView(
        workspace_id=workspace_id,
        master_page=master.id,
        master_page_name=master.name,
        event_types=link_event_types(master, link),
        guest_name=link.guest_name,
        guest_email=link.guest_email,
        form_answers=dict(link.form_answers or {}),
        expires_at=link.expires_at,
    )


def link_event_types(master: MasterPage, link: OneTimeLink) -> tuple[str, ...]:
    """Return the event types a link may book on its master page."""
    offered = master.offered_event_types()
    if link.event_type is None:
        return offered
    return tuple(kind for kind in offered if kind == link.event_type)
