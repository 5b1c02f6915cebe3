"""Bookings feeds: a page's confirmed bookings as a secret iCalendar URL.

The URL is ``PUBLIC_URL/cal/<token>.ics``. The token is an HMAC-SHA256 of the feed's random
id under a key derived from the app's secret (``ROUNDTABLE_SECRET``): 256 bits nobody can
compute from the database alone. Only the token's SHA-256 is stored, and a request finds its
feed by that hash, so serving a feed needs no secret. ``calendar feed`` shows the same URL
every time (derived again) until ``--rotate`` gives the page a new feed id, which stops the
old URL at once. An unknown token gets nothing but "not found".

The feed holds the page's confirmed bookings (as owner or participant) that ended at most
``FEED_PAST`` ago or have not ended, each as ``services.booking_events`` draws it.
Who: a member for their own page, admins for any page (``roles.require_page_keeper``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine

from engine.errors import BadInput
from services import roles
from services.context import Actor
from services.secret import SECRET_VARIABLE, app_secret
from storage.uow import UnitOfWork

PREFIX = "/cal/"
FEED_PAST = timedelta(days=90)
_LABEL = b"roundtable bookings feeds"


def feed_token(secret: bytes, feed_id: str) -> str:
    """Return the secret token of a feed (URL-safe, 43 characters)."""
    key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
    mac = hmac.new(key, uuid.UUID(feed_id).bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """Return the stored form of a feed token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(
    engine: Engine,
    workspace_id: str,
    page: str,
    *,
    rotate: bool,
    actor: Actor,
    now: datetime,
    public_url: str,
    environ: Mapping[str, str],
) -> str:
    """Return the page's feed URL, making the feed first (or anew, with ``rotate``).

    Raises:
        NotFound: no such workspace or page.
        Forbidden: the actor is neither an admin nor the page's member.
        BadInput: no app secret is set (``ROUNDTABLE_SECRET``), so no stable URL can be made.
    """
    secret = app_secret(environ)
    if secret is None:
        raise BadInput(
            "is not set; set it (the same value in every process) to give pages a bookings feed",
            field=SECRET_VARIABLE,
        )
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        config = uow.config.load(workspace_id)
        found = config.page(page)
        roles.require_page_keeper(config.workspace, found, actor, "see its bookings feed")
        feed_id = None if rotate else uow.feeds.of_page(workspace_id, found.id)
        if feed_id is None:
            feed_id = str(uuid.uuid4())
            uow.feeds.replace(
                workspace_id, found.id, feed_id, token_hash(feed_token(secret, feed_id)), at=now
            )
            uow.commit()
    return f"{public_url.rstrip('/')}{PREFIX}{feed_token(secret, feed_id)}.ics"


def feed_calendar(engine: Engine, token: str, *, now: datetime) -> bytes | None:
    """Return the iCalendar file of the feed ``token`` opens, or None for an unknown token."""
    # Imported here: icalendar is needed only when a feed is read, not by every command.
    from services.booking_events import booking_event, calendar_file

    with UnitOfWork(engine) as uow:
        found = uow.feeds.page_of(token_hash(token))
        if found is None:
            return None
        workspace_id, page = found
        config = uow.config.load(workspace_id)
        bookings = uow.bookings.confirmed_of_page(workspace_id, page, ending_after=now - FEED_PAST)
    events = (booking_event(booking, config, now=now) for booking in bookings)
    return calendar_file(events, name=f"{config.pages[page].name} · Roundtable")
