"""The project served over HTTP inside this process, for as long as the story needs it.

The health engine reaches the platforms (here: the sandbox) over real HTTP, exactly as in
production, so detecting the story's broken accounts needs the sandbox to answer. Seeding runs
before the demo's web server starts, so the story brings up its own short-lived server on a free
port (Django's threaded dev server, as the test suite's live server) and points ``SANDBOX_URL``
at it. Links in the messages it delivers still use ``SITE_URL``: the demo's own address.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.test.utils import override_settings


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # the story reports what it did; a line per request would drown it


@contextmanager
def sandbox_server() -> Iterator[str]:
    """Serve the project on 127.0.0.1:<free port>; yields the sandbox's base URL."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.daemon_threads = True
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, name="demo-sandbox", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sandbox"
    try:
        with override_settings(SANDBOX_URL=url):
            yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Mute what the story makes happen on purpose: the sandbox's 4xx answers (broken tokens
    are its point) and django-q's per-task lines when tasks run inline."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django-q")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
