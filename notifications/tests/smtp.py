"""A real SMTP server on a local port that takes each message and hangs up before answering.

That is the ambiguous email failure: the server has the whole message (it may well deliver
it), and the client sees only a dropped connection. Django's SMTP backend and smtplib talk to
it over a real socket; ``messages`` counts the messages it received.
"""

from __future__ import annotations

import socket
import threading
from typing import Any


class HangUpSMTP:
    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.messages = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def settings(self) -> dict[str, Any]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            with conn:
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        # The socket only really closes once its file object is closed too.
        with conn.makefile("rb") as reader:
            self._talk(conn, reader)

    def _talk(self, conn: socket.socket, reader: Any) -> None:

        def say(line: str) -> None:
            conn.sendall(f"{line}\r\n".encode())

        say("220 hang-up.example ESMTP")
        for raw in reader:
            command = raw.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                say("250 hang-up.example")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                say("250 OK")
            elif command == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                for line in reader:
                    if line in (b".\r\n", b".\n"):
                        break
                self.messages += 1
                return  # the whole message is here; hang up before "250 queued"
            elif command == "QUIT":
                say("221 bye")
                return
            else:
                say("502 not implemented")


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused before anything is sent."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]
