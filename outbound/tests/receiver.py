"""A webhook receiver for tests: a real HTTP server that fails as told, then accepts.

It verifies every delivery with the ``standardwebhooks`` package (the same library a relay
uses) and records what it acknowledged, keyed by ``webhook-id``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


class Receiver:
    def __init__(self, secret: str = "", script: list[Any] | None = None) -> None:
        self.secret = secret
        # What to do with the next requests: an int status, or ("sleep", seconds).
        self.script = list(script or [])
        self.acknowledged: list[str] = []  # webhook-ids answered 2xx, in order
        self.bodies: dict[str, dict] = {}
        self.requests = 0
        self.seen: list[str] = []  # webhook-id of every request, handled or not
        self.bad_signatures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.requests += 1
                    step = receiver.script.pop(0) if receiver.script else 200
                receiver.seen.append(self.headers.get("webhook-id", ""))
                if isinstance(step, tuple):
                    time.sleep(step[1])  # hangs past the sender's timeout, handles nothing
                    step = 504
                if 200 <= step < 300:
                    try:
                        body = Webhook(receiver.secret).verify(raw, dict(self.headers))
                    except Exception:
                        with receiver._lock:
                            receiver.bad_signatures += 1
                        step = 401
                    else:
                        with receiver._lock:
                            msg_id = self.headers["webhook-id"]
                            receiver.acknowledged.append(msg_id)
                            receiver.bodies[msg_id] = body
                self.send_response(step)
                self.send_header("content-type", "application/json")
                self.end_headers()
                with contextlib.suppress(OSError):  # the sender may have hung up (timeout)
                    self.wfile.write(json.dumps({"status": step}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/mio"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
