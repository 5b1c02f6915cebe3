"""The Slack app's settings, read from the environment once at start-up.

| variable | meaning |
|---|---|
| ``SLACK_SIGNING_SECRET`` | verifies every request to ``/slack/events`` (required over HTTP) |
| ``SLACK_BOT_TOKEN`` | ``xoxb-…``: one workspace; required unless OAuth is configured |
| ``SLACK_CLIENT_ID`` / ``SLACK_CLIENT_SECRET`` | both set: multi-workspace install over OAuth |
| ``SLACK_SCOPES`` | bot scopes asked for at install, comma-separated (default: the manifest's) |
| ``SLACK_APP_TOKEN`` | ``xapp-…``: Socket Mode (``roundtable serve --socket-mode``) |
| ``SLACK_API_URL`` | base URL of the Web API (GovSlack, a test server); default Slack's |
| ``DATABASE_URL`` | the database; default ``sqlite:///roundtable.db`` |
| ``PUBLIC_URL`` | where this server is reachable: guest links and the OAuth redirect |
| ``PORT`` | the HTTP port, default 3000 |

When none of ``SLACK_VARIABLES`` is set, ``load_settings`` returns ``ServerSettings``
(local mode: the guest pages and ``/healthz``, no Slack). Once any of them is set, the Slack
app's ``Settings`` are required in full: a missing or malformed value raises
``SettingsError`` naming the variable; ``roundtable serve`` prints it as one line and exits
with code 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from storage.db import database_url, url_problem

DEFAULT_PORT = 3000
BOT_SCOPES = (
    "chat:write",
    "chat:write.public",
    "commands",
    "im:write",
    "users:read",
    "users:read.email",
    # The dispatcher reads history to find a message it may already have posted before a
    # crash (bot/dispatch.py), so a retry does not post it twice.
    "channels:history",
    "groups:history",
    "im:history",
)
"""The bot scopes the app uses; ``manifest.yml`` lists the same (a test keeps them equal)."""
SLACK_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_APP_TOKEN",
)
"""Any of these set means Slack is meant to be connected, and must then be set up in full."""


class SettingsError(ValueError):
    """A setting is missing or malformed; ``variable`` names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


@dataclass(frozen=True, slots=True)
class OAuthCredentials:
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = BOT_SCOPES


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    """What ``roundtable serve`` needs with or without Slack: database, public URL, port."""

    database_url: str
    public_url: str
    port: int = DEFAULT_PORT


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings(ServerSettings):
    """Everything the Slack app needs from its environment."""

    signing_secret: str
    bot_token: str | None = None
    oauth: OAuthCredentials | None = None
    app_token: str | None = None
    api_url: str | None = None

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/slack/oauth_redirect"


def load_settings(
    environ: Mapping[str, str], *, socket_mode: bool = False
) -> Settings | ServerSettings:
    """Read the settings from ``environ``: the Slack app's, or the server's alone (local mode).

    Without any of ``SLACK_VARIABLES`` (and not in Socket Mode) the result is plain
    ``ServerSettings``. Otherwise it is ``Settings``: over HTTP the signing secret is
    required; in Socket Mode the app token is, and the signing secret is not used.

    Raises:
        SettingsError: a variable is missing or malformed (the first one found).
    """
    env = {key: value.strip() for key, value in environ.items() if value.strip()}
    server = ServerSettings(
        database_url=_database(env.get("DATABASE_URL")),
        public_url=public_url(env),
        port=_port(env.get("PORT")),
    )
    if socket_mode or any(name in env for name in SLACK_VARIABLES):
        return _slack_settings(env, server, socket_mode=socket_mode)
    return server


def _slack_settings(
    env: Mapping[str, str], server: ServerSettings, *, socket_mode: bool
) -> Settings:
    oauth = _oauth(env)
    bot_token = env.get("SLACK_BOT_TOKEN")
    if bot_token is None and oauth is None:
        raise SettingsError(
            "SLACK_BOT_TOKEN",
            "missing; set the app's Bot User OAuth Token (xoxb-…), or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET to install over OAuth",
        )
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN", "is not a bot token; it starts with xoxb-")
    app_token = env.get("SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN", "is not an app-level token; it starts with xapp-")
    if socket_mode and app_token is None:
        raise SettingsError(
            "SLACK_APP_TOKEN", "missing; Socket Mode needs an app-level token (xapp-…)"
        )
    signing_secret = env.get("SLACK_SIGNING_SECRET", "")
    if not signing_secret and not socket_mode:
        raise SettingsError(
            "SLACK_SIGNING_SECRET",
            "missing; set it to the Signing Secret of the Slack app (Basic Information)",
        )
    return Settings(
        database_url=server.database_url,
        public_url=server.public_url,
        port=server.port,
        signing_secret=signing_secret,
        bot_token=bot_token,
        oauth=oauth,
        app_token=app_token,
        api_url=_api_url(env.get("SLACK_API_URL")),
    )


def public_url(environ: Mapping[str, str]) -> str:
    """Return where guests and Slack reach ``roundtable serve``: ``PUBLIC_URL``, else
    ``http://localhost:PORT`` with the port it serves on (``PORT``, else 3000).

    Raises:
        SettingsError: ``PUBLIC_URL`` is not an http(s) URL, or ``PORT`` not a port.
    """
    port = _port(environ.get("PORT", "").strip() or None)
    return _url("PUBLIC_URL", environ.get("PUBLIC_URL", "").strip() or f"http://localhost:{port}")


def _oauth(env: Mapping[str, str]) -> OAuthCredentials | None:
    client_id, client_secret = env.get("SLACK_CLIENT_ID"), env.get("SLACK_CLIENT_SECRET")
    if client_id is None and client_secret is None:
        return None
    if client_id is None:
        raise SettingsError("SLACK_CLIENT_ID", "missing; OAuth needs it with SLACK_CLIENT_SECRET")
    if client_secret is None:
        raise SettingsError("SLACK_CLIENT_SECRET", "missing; OAuth needs it with SLACK_CLIENT_ID")
    scopes = tuple(s.strip() for s in env.get("SLACK_SCOPES", "").split(",") if s.strip())
    return OAuthCredentials(client_id, client_secret, scopes or BOT_SCOPES)


def _port(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError("PORT", f"'{raw}' is not a port number (1-65535)")
    return int(raw)


def _database(raw: str | None) -> str:
    url = database_url(raw)
    problem = url_problem(url)
    if problem is not None:
        raise SettingsError("DATABASE_URL", problem)
    try:
        make_url(url)
    except ArgumentError:
        raise SettingsError("DATABASE_URL", f"'{raw}' is not a database URL") from None
    return url


def _url(variable: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(variable, f"'{raw}' is not an http(s) URL")
    return raw.rstrip("/")


def _api_url(raw: str | None) -> str | None:
    # slack_sdk joins "base_url + method", so the base must end with a slash.
    return None if raw is None else _url("SLACK_API_URL", raw) + "/"
