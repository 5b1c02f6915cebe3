"""The guest pages' CSRF tokens and sealed confirmations."""

from __future__ import annotations

import time

import pytest

from web.security import CSRF_MAX_AGE, Signer

TOKEN = "the-link-token"


def _csrf(signer: Signer, token: str = TOKEN):
    return signer.issue_csrf(token, workspace_id="T0001", master_page="demo")


def test_a_csrf_token_holds_with_its_own_nonce_for_its_own_link() -> None:
    signer = Signer(b"k")
    csrf = _csrf(signer)

    checked = signer.check_csrf(TOKEN, csrf.signed, csrf.nonce)

    assert checked == csrf
    assert checked is not None
    assert checked.idempotency_key == f"guest-form-{csrf.nonce}"


@pytest.mark.parametrize(
    ("token", "cookie"),
    [
        pytest.param("another-link", None, id="another link"),
        pytest.param(TOKEN, "another-nonce", id="another nonce"),
        pytest.param(TOKEN, "", id="no cookie"),
    ],
)
def test_a_csrf_token_fails_for_another_link_or_without_its_cookie(
    token: str, cookie: str | None
) -> None:
    signer = Signer(b"k")
    csrf = _csrf(signer)

    assert signer.check_csrf(token, csrf.signed, csrf.nonce if cookie is None else cookie) is None


def test_a_csrf_token_signed_with_another_secret_fails() -> None:
    csrf = _csrf(Signer(b"other"))

    assert Signer(b"k").check_csrf(TOKEN, csrf.signed, csrf.nonce) is None


def test_a_csrf_token_older_than_its_lifetime_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer(b"k")
    issued = time.time() - CSRF_MAX_AGE.total_seconds() - 60
    monkeypatch.setattr(time, "time", lambda: issued)
    csrf = _csrf(signer)
    monkeypatch.undo()

    assert signer.check_csrf(TOKEN, csrf.signed, csrf.nonce) is None


def test_two_forms_get_different_nonces() -> None:
    signer = Signer(b"k")

    assert _csrf(signer).nonce != _csrf(signer).nonce


def test_a_sealed_confirmation_opens_only_for_its_link_and_unaltered() -> None:
    signer = Signer(b"k")
    sealed = signer.seal_confirmation(TOKEN, {"booking_id": "b1"})

    assert signer.open_confirmation(TOKEN, sealed) == {"booking_id": "b1"}
    assert signer.open_confirmation("another-link", sealed) is None
    assert signer.open_confirmation(TOKEN, sealed[:-2] + "xx") is None
    assert signer.open_confirmation(TOKEN, None) is None
