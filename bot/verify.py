"""Slack's requests checked on their raw bytes before anything parses them.

``signed_requests`` wraps the WSGI handler of ``/slack/events``: a body longer than
``MAX_BODY_BYTES`` is refused with 413 before it is read; then the body is read (never more
than the limit) and its ``X-Slack-Signature`` checked against the signing secret, over
``v0:{timestamp}:{body}``, with a timestamp of at most 5 minutes' age (slack_sdk's
``SignatureVerifier``). Anything else gets 401, its reason in the request's one log line
(``REFUSAL``, read by ``bot.server``), and never reaches Bolt:
no parsing, no listener, no error handler, so no outbound request to a URL it names.
Bolt's own check runs again on what passes (harmless, and kept in case the app is ever
served another way).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

MAX_BODY_BYTES = 256 * 1024
"""The largest request body accepted (Slack's payloads are a few kB; a modal's at most ~100 kB)."""
REFUSAL = "roundtable.refusal"
"""The WSGI environ key holding why a request was refused, for the request log line."""


def signed_requests(handler: WSGIApplication, signing_secret: str) -> WSGIApplication:
    """Pass a POST on to ``handler`` only when Slack signed its body; others go through."""
    verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return handler(environ, start_response)
        length = body_length(environ)
        if length is None:
            return json_answer("413 Content Too Large", {"error": "body_too_large"}, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        problem = _unsigned(verifier, environ, body)
        if problem is not None:
            environ[REFUSAL] = problem
            return json_answer("401 Unauthorized", {"error": "invalid_signature"}, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return handler(environ, start_response)

    return application


def body_length(environ: WSGIEnvironment) -> int | None:
    """The request's ``Content-Length`` (0 when absent), or None when above the limit."""
    try:
        length = max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0
    return None if length > MAX_BODY_BYTES else length


def json_answer(
    status: str, body: dict[str, str], start_response: StartResponse
) -> Iterable[bytes]:
    """Answer with ``body`` as JSON (every answer the WSGI layer gives itself)."""
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    start_response(status, headers)
    return [payload]


def _unsigned(
    verifier: SignatureVerifier | None, environ: WSGIEnvironment, body: bytes
) -> str | None:
    """Why the request is not Slack's, or None when it is."""
    if verifier is None:
        return "no signing secret is set (Socket Mode): Slack does not post here"
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "no timestamp, or not whole seconds"
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if not verifier.is_valid(text, timestamp, signature):
        return "wrong signature, or older than 5 minutes"
    return None
