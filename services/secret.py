"""The app's secret, and the encryption of the secrets Roundtable must store.

The secret is env ``ROUNDTABLE_SECRET``; without it, one derived from
``SLACK_SIGNING_SECRET`` (HMAC-SHA256 with a fixed label, so the signing secret itself never
signs or encrypts anything). Every process of one installation needs the same secret, which
either variable gives. Without either, ``process_secret`` makes a random one per process:
enough to sign the guest pages' short-lived forms, never to encrypt what is stored.

``SecretBox`` encrypts values stored in the database (calendar URLs and passwords) with
Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``) under a key derived from the
secret with HKDF-SHA256, so the database alone reveals none of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.errors import BadInput

_DERIVATION_LABEL = b"roundtable guest pages"
_BOX_INFO = b"roundtable stored secrets v1"
SECRET_VARIABLE = "ROUNDTABLE_SECRET"


def app_secret(environ: Mapping[str, str]) -> bytes | None:
    """Return the installation's secret from ``environ``, or None when none is set."""
    if secret := environ.get(SECRET_VARIABLE):
        return secret.encode()
    if signing := environ.get("SLACK_SIGNING_SECRET"):
        return hmac.new(signing.encode(), _DERIVATION_LABEL, hashlib.sha256).digest()
    return None


def process_secret(environ: Mapping[str, str]) -> bytes:
    """Return the installation's secret, else a random one for this process only."""
    return app_secret(environ) or secrets.token_bytes(32)


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted: the app's secret changed since it was stored."""


class SecretBox:
    """Encrypts and decrypts small JSON values under a key derived from the app's secret."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_BOX_INFO).derive(secret)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: Mapping[str, str]) -> str:
        """Return ``value`` encrypted (a Fernet token)."""
        return self._fernet.encrypt(json.dumps(dict(value)).encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        """Return the value ``seal`` encrypted.

        Raises:
            SecretUnreadable: it was sealed under another secret, or altered.
        """
        try:
            value = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            raise SecretUnreadable(
                f"the stored secret cannot be decrypted: {SECRET_VARIABLE} changed since it "
                "was stored; connect the calendar again"
            ) from None
        return {str(k): str(v) for k, v in value.items()}


def secret_box(environ: Mapping[str, str]) -> SecretBox:
    """Return the box of the installation's secret.

    Raises:
        BadInput: no secret is set (a random one would lose what it encrypts on restart).
    """
    secret = app_secret(environ)
    if secret is None:
        raise BadInput(
            "is not set; set it (the same value in every process) to store calendar secrets",
            field=SECRET_VARIABLE,
        )
    return SecretBox(secret)
