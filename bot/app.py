"""The Bolt app: the one place that connects settings, services and every Slack feature.

``build_app`` makes the app for a single bot token, or for multi-workspace installs over
OAuth when ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` are set (installations and OAuth
states live in the app's own database, in slack_sdk's tables). A middleware hands every
listener what it needs through Bolt's context, so a listener simply names it:

    caller        bot.caller.Caller: who acts (a services.context.SlackUser whose ``slack``
                  asks Slack, through the request's client, whether the user is a Slack
                  admin), the workspace (the request's Slack team id, i.e. the configured
                  ``workspace.id``), the requester's time zone (looked up on first use) and
                  the use cases bound to them; a request that names no user is refused
                  (403) before any listener runs
    defer         bot.work.Defer: runs work on the work pool after the ack; a failure is
                  told like a listener's (``_on_error``)
    modals        bot.handlers.modals.Modals: arms the modal a trigger opens, with a loading
                  view at a deadline counted from when the request reached ``_attach``

Bolt's own arguments (``ack``, ``body``, ``respond``, ``command``, …) come beside them.

Acks never wait for work: listeners run on the request's thread and only ack there
(``bot.work``).

A workspace Slack sends a request for, or that installs the app over OAuth, is recorded
empty the first time (``services.config.start_workspace``): its Slack owners and admins
are its Roundtable admins, so they set it up from ``/book-admin`` without a file.

Each module of ``bot/handlers`` exposes ``register(app)``; ``HANDLERS`` lists them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from types import ModuleType
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.blocks.common import SOMETHING_WENT_WRONG, build_notice_message
from bot.caller import Caller
from bot.handlers import admin, booking, calendars, home, links, reassign, timeoff
from bot.handlers.modals import Deadlines, Modals, timers
from bot.profiles import Profiles, SlackRoles
from bot.settings import Settings
from bot.work import WORK_THREADS, deferring
from engine.errors import RoundtableError
from services.config import start_workspace
from services.context import Services, SlackUser

HANDLERS: tuple[ModuleType, ...] = (booking, links, admin, home, reassign, calendars, timeoff)
"""Every feature module; each adds its listeners with ``register(app)``."""

OAUTH_STATE_SECONDS = 600
SLACK_TIMEOUT_SECONDS = 2
"""How long a listener waits for Slack (the Web API, a ``response_url``): well under the 3 s
Slack allows a request, so a slow or hanging URL holds a thread for 2 s at most (Bolt's own
``respond`` waits 30 s). The dispatcher, off the request threads, keeps slack_sdk's 30 s."""
_log = logging.getLogger(__name__)


def build_app(
    settings: Settings,
    services: Services,
    *,
    profiles: Profiles | None = None,
    work: Executor | None = None,
    deadlines: Deadlines = timers,
) -> App:
    """Make the Bolt app with every listener registered.

    ``profiles`` may be handed in to share the users.info cache; ``work`` runs what
    listeners defer after their ack (``WORK_THREADS`` threads unless given; tests pass one
    they can wait on); ``deadlines`` open the loading views of slow modals (tests pass
    ones they fire by hand).
    """
    client = WebClient(
        token=settings.bot_token,
        base_url=settings.api_url or WebClient.BASE_URL,
        timeout=SLACK_TIMEOUT_SECONDS,
    )
    logging.getLogger("slack_bolt.App").addFilter(_same_token_notice)
    pool = work or ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="work")
    common: dict[str, Any] = {
        "signing_secret": settings.signing_secret,
        "client": client,
        # Listeners run on the request's thread and only ack there; their work is deferred.
        "process_before_response": True,
        "listener_executor": pool,  # Bolt's own use: lazy listeners, which we have none of
    }
    if settings.oauth is None:
        app = App(**common)  # the client carries the bot token
    else:
        app = App(oauth_settings=_oauth_settings(settings, services), **common)
    app.middleware(_attach(services, profiles or Profiles(), pool, deadlines))
    app.middleware(_start_workspace(services))
    app.error(_on_error)
    for module in HANDLERS:
        module.register(app)
    return app


def _same_token_notice(record: logging.LogRecord) -> bool:
    """Drop Bolt's notice that SLACK_BOT_TOKEN goes unused: ``client`` carries that token."""
    # Bolt reads SLACK_BOT_TOKEN from the environment itself and, given a client too, warns
    # that the token is ignored; build_app's client holds the same token (and SLACK_API_URL).
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _oauth_settings(settings: Settings, services: Services) -> OAuthSettings:
    assert settings.oauth is not None
    installations = SQLAlchemyInstallationStore(
        client_id=settings.oauth.client_id, engine=services.engine
    )
    states = SQLAlchemyOAuthStateStore(
        expiration_seconds=OAUTH_STATE_SECONDS, engine=services.engine
    )
    # slack_sdk's tables live on their own MetaData, beside (not inside) the migrated schema.
    installations.metadata.create_all(services.engine)
    states.metadata.create_all(services.engine)
    return OAuthSettings(
        client_id=settings.oauth.client_id,
        client_secret=settings.oauth.client_secret,
        scopes=list(settings.oauth.scopes),
        redirect_uri=settings.redirect_uri,
        installation_store=installations,
        state_store=states,
        callback_options=CallbackOptions(success=_installed(services), failure=_install_failed),
    )


def _installed(services: Services) -> Callable[[SuccessArgs], BoltResponse]:
    """Record the workspace that just installed the app, then show Slack's success page."""

    def success(args: SuccessArgs) -> BoltResponse:
        team = args.installation.team_id
        if team:
            start_workspace(services.engine, team)
        return args.default.success(args)

    return success


def _install_failed(args: FailureArgs) -> BoltResponse:
    return args.default.failure(args)  # Slack's own page: CallbackOptions needs both


def _attach(
    services: Services, profiles: Profiles, pool: Executor, deadlines: Deadlines
) -> Callable[..., BoltResponse | None]:
    def attach(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        received = time.monotonic()
        if not context.user_id:  # every role check needs to know who acts
            _log.warning("refused a Slack request that names no user")
            return BoltResponse(status=403, body="the request names no Slack user")
        actor = SlackUser(context.user_id, slack=SlackRoles(profiles, context.client))
        workspace_id = context.team_id or _team_of(body) or ""
        context["caller"] = Caller(services, profiles, context.client, actor, workspace_id)
        if context.response_url is not None:
            context["respond"] = _BoundedRespond(response_url=context.response_url)
        respond = context.get("respond")
        context["defer"] = deferring(pool, lambda error: _on_error(error, body, respond))
        context["modals"] = Modals(context.client, respond, received, deadlines)
        next()
        return None

    return attach


def _team_of(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict):
        return str(team.get("id"))
    user = body.get("user")
    return str(user["team_id"]) if isinstance(user, dict) and "team_id" in user else None


def _start_workspace(services: Services) -> Callable[..., None]:
    """Record the request's workspace, empty, the first time Slack sends one for it."""
    known: set[str] = set()  # workspaces are never deleted, so one look per process will do

    def start(context: BoltContext, next: Callable[[], None]) -> None:
        team = context["caller"].workspace_id
        if team and team not in known:
            start_workspace(services.engine, team)
            known.add(team)
        next()

    return start


class _BoundedRespond(Respond):
    """Bolt's ``respond`` waiting at most ``SLACK_TIMEOUT_SECONDS`` for the response_url."""

    def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        assert self.response_url is not None  # _attach makes one only with a response_url
        webhook = WebhookClient(url=self.response_url, timeout=SLACK_TIMEOUT_SECONDS)
        return webhook.send_dict(_build_message(*args, **kwargs))


def _on_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
    """Tell the user what went wrong; a domain error in its own words, a bug in general ones.

    Only a request that passed Bolt's signature check reached ``_attach``, which puts the
    bounded ``respond`` in the context; any other (an unverified request failing its check,
    say with a timestamp that is not a number) is never answered at a URL it names.
    """
    if isinstance(error, RoundtableError):
        text = error.message
        _log.info("refused: %s", error.message)
    else:
        text = SOMETHING_WENT_WRONG
        _log.error("listener failed on %s", body.get("type"), exc_info=error)
    if isinstance(respond, _BoundedRespond):
        respond(
            replace_original=False,
            response_type="ephemeral",
            **build_notice_message(text).as_kwargs(),
        )


def workspace_clients(settings: Settings, app: App) -> Callable[[str], WebClient]:
    """Return how background jobs reach a workspace's Web API: its bot token's client.

    With one bot token every workspace id gets that token's client; with OAuth, the client of
    the workspace's installation (``LookupError`` when the team has not installed the app).
    """
    base_url = app.client.base_url
    if settings.oauth is None:
        client = WebClient(token=settings.bot_token, base_url=base_url)  # slack_sdk's timeout
        return lambda workspace_id: client
    store = app.installation_store
    assert store is not None

    def client_for(workspace_id: str) -> WebClient:
        bot = store.find_bot(enterprise_id=None, team_id=workspace_id)
        if bot is None:
            raise LookupError(f"Roundtable is not installed in workspace {workspace_id}")
        return WebClient(token=bot.bot_token, base_url=base_url)

    return client_for
