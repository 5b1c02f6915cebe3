"""Keep link tokens out of logs.

A guest page's path holds the link's secret (``/l/<token>``, or a manage link's
``/m/<token>``), a bookings feed's path the feed's (``/cal/<token>.ics``). The guest app logs
no paths itself, but the servers do: waitress logs ``Exception while serving /l/…`` and
``Client disconnected while serving /l/…``; Werkzeug's development server logs every request
line. ``install_log_redaction`` puts a filter on those loggers that rewrites such paths to
``/l/[link]`` (``/m/[link]``, ``/cal/[feed]``) before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

SERVER_LOGGERS = ("waitress", "werkzeug")
REDACTED_FEED = "/cal/[feed]"
_LINK_PATH = re.compile(r"/([lm])/[A-Za-z0-9_\-%.~]+")
_FEED_PATH = re.compile(r"/cal/[A-Za-z0-9_\-%.~]+")


def redact(text: str) -> str:
    """Return ``text`` with every token in a ``/l/…``, ``/m/…`` or ``/cal/…`` path replaced."""
    return _FEED_PATH.sub(REDACTED_FEED, _LINK_PATH.sub(lambda found: f"/{found[1]}/[link]", text))


class RedactLinkTokens(logging.Filter):
    """Rewrite a record's message and traceback so that no link token remains."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction() -> None:
    """Add the redacting filter to the servers' loggers (once per logger)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
