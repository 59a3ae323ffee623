"""Serve the project (and its platform sandbox) for the benchmark: Django's threaded dev server
with Nagle's algorithm off.

``runserver`` writes a response's headers and body in two sends; on a kept-alive connection
Nagle's algorithm holds the body back until the client acknowledges the headers, and the
client's delayed ACK makes that about 40 ms per request. That is an artefact of the dev server's
socket, not of the sandbox or of the engine, and it would cap both sides of the benchmark at
~25 requests per second per connection. ``python -m bench.serve HOST:PORT``.
"""

from __future__ import annotations

import sys

import django


def main() -> None:
    django.setup()
    from django.core.servers.basehttp import (
        ThreadedWSGIServer,
        WSGIRequestHandler,
        get_internal_wsgi_application,
    )

    class Handler(WSGIRequestHandler):
        disable_nagle_algorithm = True  # socketserver sets TCP_NODELAY on each connection

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would cost the sandbox more than the request

    host, port = sys.argv[1].rsplit(":", 1)
    server = ThreadedWSGIServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.set_app(get_internal_wsgi_application())
    server.serve_forever()


if __name__ == "__main__":
    main()
