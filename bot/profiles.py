"""Slack profiles (time zone, name, email, admin) from ``users.info``, cached in-process.

Every /book-room modal needs the requester's time zone before ``views.open``, inside the
3-second life of its ``trigger_id``; a cache spares most of those round trips. A profile
changed in Slack is seen again after ``ttl``.

``SlackRoles`` answers the role checks of ``services.roles`` (is this user an owner or admin
of the Slack workspace?) from the same cache, with the request's own Web API client, but
trusts an answer for ``ROLE_MAX_AGE_SECONDS`` only: a demoted Slack admin loses the role
within a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

DEFAULT_TTL_SECONDS = 600.0
ROLE_MAX_AGE_SECONDS = 60.0
UNKNOWN_USER_ERRORS = frozenset({"user_not_found", "users_not_found", "user_not_visible"})
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Profile:
    """What the app uses of a Slack user."""

    user_id: str
    timezone: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    workspace_admin: bool = False
    """An owner or admin of the Slack workspace (``is_owner``, ``is_admin``)."""


def parse_profile(user: dict[str, object]) -> Profile:
    """Turn the ``user`` object of ``users.info`` into a ``Profile``."""
    raw = user.get("profile")
    profile: dict[str, object] = raw if isinstance(raw, dict) else {}

    def text(value: object) -> str | None:
        return value.strip() or None if isinstance(value, str) else None

    return Profile(
        user_id=str(user.get("id", "")),
        timezone=text(user.get("tz")),
        name=text(profile.get("real_name"))
        or text(profile.get("display_name"))
        or text(user.get("real_name"))
        or text(user.get("name")),
        email=text(profile.get("email")),
        phone=text(profile.get("phone")),
        title=text(profile.get("title")),
        workspace_admin=any(
            user.get(flag) is True for flag in ("is_primary_owner", "is_owner", "is_admin")
        ),
    )


class Profiles:
    """A thread-safe cache of profiles keyed by workspace and user."""

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}  # (fetched at, profile)

    def get(
        self,
        client: WebClient,
        workspace_id: str,
        user_id: str,
        *,
        max_age: float | None = None,
    ) -> Profile | None:
        """Return a user's profile, or ``None`` when Slack does not know the user.

        A cached profile serves when it is younger than ``max_age`` seconds (default: ``ttl``).

        Raises:
            SlackApiError: ``users.info`` failed for another reason.
        """
        key = (workspace_id, user_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < (self._ttl if max_age is None else max_age):
            return cached[1]
        try:
            answer = client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in UNKNOWN_USER_ERRORS:
                return None
            raise
        user = answer.get("user")
        profile = parse_profile(user if isinstance(user, dict) else {"id": user_id})
        with self._lock:
            self._cache[key] = (now, profile)
        return profile


@dataclass(frozen=True, slots=True)
class SlackRoles:
    """``services.context.SlackRoles`` through one request's Web API client and the cache."""

    profiles: Profiles
    client: WebClient

    def is_workspace_admin(self, workspace_id: str, user_id: str) -> bool:
        """Tell whether Slack names the user an owner or admin of the workspace.

        When Slack cannot be asked (an error, no answer) the user is taken for no admin.
        """
        try:
            profile = self.profiles.get(
                self.client, workspace_id, user_id, max_age=ROLE_MAX_AGE_SECONDS
            )
        except (SlackApiError, OSError) as error:
            _log.warning("users.info failed, so %s counts as no Slack admin: %s", user_id, error)
            return False
        return profile is not None and profile.workspace_admin
