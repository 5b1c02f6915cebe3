"""The guest pages' secret, their CSRF tokens and the signed confirmation they hand back.

The secret is the app's (``services.secret``: env ``ROUNDTABLE_SECRET``, else one derived
from ``SLACK_SIGNING_SECRET``). Every process behind one URL needs the same secret. Without
either, a random secret is made per process: fine for one developer process, but forms then
break on restart.

CSRF is a signed double submit: the booking form carries ``csrf``, a token signed with the
secret that names the link (a digest of its token) and a random nonce; the same nonce is in
the ``rt_csrf`` cookie, scoped to the link's path. A POST is accepted only when the signature
holds, the token names this link, it is at most ``CSRF_MAX_AGE`` old and the cookie carries
its nonce. The nonce also makes the booking's idempotency key, so submitting one form twice
books once. The token also carries the link's workspace and master page, so that a repeated
submit can still be answered once the first one has used the link up.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

from services.secret import process_secret

CSRF_MAX_AGE = timedelta(hours=12)
CONFIRMATION_MAX_AGE = timedelta(days=1)


def default_secret() -> bytes:
    """Return the guest pages' secret from this process's environment."""
    return process_secret(os.environ)


def link_digest(token: str) -> str:
    """Return a short digest naming a link inside signed values (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CsrfToken:
    """A form's CSRF token: ``signed`` goes into the form, ``nonce`` into the cookie."""

    nonce: str
    signed: str
    workspace_id: str
    master_page: str

    @property
    def idempotency_key(self) -> str:
        """The booking's idempotency key: one per rendered form."""
        return f"guest-form-{self.nonce}"


class Signer:
    """Signs and checks what the guest pages give the browser to bring back."""

    def __init__(self, secret: bytes) -> None:
        self._csrf = URLSafeTimedSerializer(secret, salt="roundtable.guest.csrf")
        self._confirmation = URLSafeTimedSerializer(secret, salt="roundtable.guest.booked")

    def issue_csrf(self, token: str, *, workspace_id: str, master_page: str) -> CsrfToken:
        """Make a fresh CSRF token for the booking form of the link ``token``."""
        nonce = secrets.token_urlsafe(16)
        payload = {
            "link": link_digest(token),
            "nonce": nonce,
            "workspace": workspace_id,
            "master_page": master_page,
        }
        return CsrfToken(nonce, self._csrf.dumps(payload), workspace_id, master_page)

    def check_csrf(self, token: str, signed: str | None, cookie: str | None) -> CsrfToken | None:
        """Return the CSRF token of a POST to the link ``token`` if it holds, else ``None``."""
        if not signed or not cookie:
            return None
        try:
            payload = self._csrf.loads(signed, max_age=int(CSRF_MAX_AGE.total_seconds()))
        except BadData:
            return None
        if not isinstance(payload, dict) or payload.get("link") != link_digest(token):
            return None
        nonce = payload.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, cookie):
            return None
        return CsrfToken(nonce, signed, str(payload["workspace"]), str(payload["master_page"]))

    def seal_confirmation(self, token: str, details: Mapping[str, Any]) -> str:
        """Sign a booking's details for the browser that made it, tied to the link."""
        return self._confirmation.dumps({"link": link_digest(token), "booking": dict(details)})

    def open_confirmation(self, token: str, sealed: str | None) -> dict[str, Any] | None:
        """Return the details sealed for the link ``token``, or ``None``."""
        if not sealed:
            return None
        try:
            payload = self._confirmation.loads(
                sealed, max_age=int(CONFIRMATION_MAX_AGE.total_seconds())
            )
        except BadData:
            return None
        if not isinstance(payload, dict) or payload.get("link") != link_digest(token):
            return None
        booking = payload.get("booking")
        return booking if isinstance(booking, dict) else None
