"""Manage links: the secret URL of each guest booking, derived from its id.

A token is the booking's id (16 bytes) followed by the first 16 bytes of an HMAC-SHA256 of
that id under a key derived from the app's secret (``ROUNDTABLE_SECRET``). So every message
names the same URL, nothing is stored, and a token is checked with one constant-time
comparison: a forged or altered token names no booking. 128 bits of the token are secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

_LABEL = b"roundtable manage links"
_MAC_BYTES = 16


def _mac(secret: bytes, booking: bytes) -> bytes:
    key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
    return hmac.new(key, booking, hashlib.sha256).digest()[:_MAC_BYTES]


def manage_token(secret: bytes, booking_id: str) -> str:
    """Return the manage token of ``booking_id``: URL-safe and the same every time."""
    raw = uuid.UUID(booking_id).bytes
    return base64.urlsafe_b64encode(raw + _mac(secret, raw)).rstrip(b"=").decode()


def manage_url(public_url: str, secret: bytes, booking_id: str) -> str:
    """Return the guest's manage URL of ``booking_id`` under ``public_url``."""
    return f"{public_url.rstrip('/')}/m/{manage_token(secret, booking_id)}"


def booking_of(secret: bytes, token: str) -> str | None:
    """Return the booking id that ``token`` names, or None when it is not a valid token."""
    if len(token) != 43:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return None
    booking, mac = raw[:16], raw[16:]
    if len(raw) != 16 + _MAC_BYTES or not hmac.compare_digest(mac, _mac(secret, booking)):
        return None
    return str(uuid.UUID(bytes=booking))
