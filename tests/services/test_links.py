"""A link's secret is never read as a command-line option."""

from __future__ import annotations

import secrets

import pytest

from services.links import new_token


def test_a_new_token_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["-starts-with-a-dash", "--two", "fine-token"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda size: next(drawn))

    assert new_token() == "fine-token"


def test_a_new_token_has_256_random_bits() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(token) == 43 and not token.startswith("-") for token in tokens)
