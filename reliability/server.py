"""Serve the project (and its platform sandbox) on a loopback port for a rig.

``python -m reliability.server 127.0.0.1:PORT COUNTS.json``: Django's threaded WSGI server —
the one the tests' live server uses, so the sandbox's connection-reset fault works the same —
with Nagle's algorithm off (``runserver`` sends headers and body apart; with Nagle on, a
kept-alive connection waits ~40 ms on the client's delayed ACK per request). It counts the
requests it answered by status and writes the counts to COUNTS.json twice a second: the rig's
request figure, and its bound (a rig stops when the count passes its limit).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import django

COUNTS: Counter = Counter()
_lock = threading.Lock()


def _dump(path: Path) -> None:
    while True:
        time.sleep(0.5)
        with _lock:
            data = dict(COUNTS)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)


def main() -> None:
    django.setup()
    from django.core.servers.basehttp import (
        ThreadedWSGIServer,
        WSGIRequestHandler,
        get_internal_wsgi_application,
    )

    class Handler(WSGIRequestHandler):
        disable_nagle_algorithm = True

        def log_request(self, code: object = "-", size: object = "-") -> None:
            with _lock:
                COUNTS[str(code)] += 1

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would cost more than the request

    host, port = sys.argv[1].rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the rig's server listens on the loopback interface only")
    threading.Thread(target=_dump, args=(Path(sys.argv[2]),), daemon=True).start()
    server = ThreadedWSGIServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.set_app(get_internal_wsgi_application())
    server.serve_forever()


if __name__ == "__main__":
    main()
