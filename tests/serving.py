"""Serve a WSGI app with waitress on 127.0.0.1 in a thread, as ``roundtable serve`` does."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from waitress.server import create_server

from bot.verify import MAX_BODY_BYTES

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


@contextmanager
def served(app: WSGIApplication) -> Iterator[str]:
    """Serve ``app`` on a free port for the block; yield its base URL."""
    # Its own socket map: by default every server in the process shares waitress's global
    # one, and closing it below would close the other servers' sockets too.
    server = create_server(
        app,
        map={},
        host="127.0.0.1",
        port=0,
        threads=4,
        max_request_body_size=MAX_BODY_BYTES,
    )
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Empty the loop's map (it polls a copy of it): the loop returns after its current
        # poll, which the trigger cuts short. Only then are the sockets closed, here, so no
        # socket is closed while the loop polls it. The trigger may be gone already (a
        # descriptor of its number closed elsewhere in the process): the poll's timeout
        # then ends the loop instead.
        dispatchers = list(server._map.values())
        server._map.clear()
        with contextlib.suppress(OSError):
            server.trigger.pull_trigger()
        thread.join(timeout=10)
        for dispatcher in dispatchers:
            with contextlib.suppress(OSError):
                dispatcher.close()
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "waitress did not stop"
