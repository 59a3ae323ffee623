"""A reference relay for Mio Auto Heal: sends people's messages with tokens it takes from Mio.

Standard library, ``requests`` and ``standardwebhooks`` only; it talks to Mio through the public
relay API alone (docs/relay.md):

- a message a person posted is sent onward *as that person*, with the access token
  ``POST /api/v1/tokens/`` hands out (the relay never refreshes tokens itself: with rotating
  refresh tokens two refreshers would break each other);
- ``409`` (the account is broken): the message is **held**, in order, on disk;
- ``503``: tried again after ``Retry-After``;
- each send's outcome is reported to ``POST /api/v1/relay-events/`` (``ok`` spares Mio a probe;
  the platform's raw error makes Mio check the account);
- the ``account.healed`` webhook (Standard Webhooks, verified, de-duplicated by webhook-id)
  replays that person's held messages, in order, once.

Sending is implemented for Slack (``chat.postMessage`` with the person's user token), the
platform whose user-token send the sandbox serves. Run ``python relay.py --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Message:
    platform: str  # where it goes (and the sender's account used to send it)
    sender: str  # the sender's email
    to: str  # the recipient on that platform (a Slack user or channel id)
    text: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "new"  # new, held, sent, failed
    detail: str = ""
    at: float = field(default_factory=time.time)


class Store:
    """Messages and handled webhook ids, kept in one JSON file (rewritten atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        data = json.loads(path.read_text()) if path.exists() else {}
        self.messages = [Message(**m) for m in data.get("messages", [])]
        self.webhooks: list[str] = data.get("webhooks", [])

    def save(self) -> None:
        with self.lock:
            tmp = self.path.with_suffix(".tmp")
            body = {
                "messages": [asdict(m) for m in self.messages],
                "webhooks": self.webhooks[-5000:],
            }
            tmp.write_text(json.dumps(body, indent=1))
            os.replace(tmp, self.path)

    def held(self, platform: str, sender: str) -> list[Message]:
        with self.lock:
            return [
                m
                for m in self.messages
                if m.status == "held"
                and m.platform == platform
                and m.sender.lower() == sender.lower()
            ]


class Relay:
    def __init__(self, mio: str, key: str, secret: str, slack_api: str, store: Store) -> None:
        self.mio = mio.rstrip("/")
        self.slack_api = slack_api.rstrip("/")
        self.webhook = Webhook(secret)
        self.store = store
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {key}"
        self.platform_http = requests.Session()
        self.platform_http.trust_env = False
        self.replaying = threading.Lock()

    # --- the token API -----------------------------------------------------------------------
    def token(self, platform: str, user: str) -> tuple[int, dict[str, Any], float]:
        answer = self.http.post(
            f"{self.mio}/api/v1/tokens/", json={"platform": platform, "user": user}, timeout=30
        )
        retry = float(answer.headers.get("Retry-After") or 0)
        return answer.status_code, answer.json(), retry

    def report(self, platform: str, user: str, outcome: str, **error: Any) -> None:
        event = {"platform": platform, "user": user, "outcome": outcome, **error}
        # An outcome report is a hint, not the message: never let it block sending.
        with contextlib.suppress(requests.RequestException):
            self.http.post(f"{self.mio}/api/v1/relay-events/", json={"events": [event]}, timeout=30)

    # --- sending -----------------------------------------------------------------------------
    def send(self, message: Message) -> str:
        """Try to send ``message`` now; returns its new status (``sent``, ``held``, ``failed``)."""
        for _ in range(5):
            status, body, retry = self.token(message.platform, message.sender)
            if status == 503:
                time.sleep(min(max(retry, 1.0), 30.0))
                continue
            break
        if status == 409:
            return self._set(message, "held", f"account {body.get('situation')}: waiting")
        if status != 200:
            return self._set(message, "failed", body.get("error", f"token API answered {status}"))
        answer = self.platform_http.post(
            f"{self.slack_api}/chat.postMessage",
            headers={"Authorization": f"Bearer {body['access_token']}"},
            json={"channel": message.to, "text": message.text},
            timeout=30,
        )
        result = (
            answer.json()
            if answer.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if answer.ok and result.get("ok"):
            self.report(message.platform, message.sender, "ok")
            return self._set(message, "sent", "")
        # The raw platform error goes to Mio, which checks the account; keep the message.
        self.report(
            message.platform, message.sender, "error", status=answer.status_code, body=answer.text
        )
        return self._set(
            message, "held", f"platform said {result.get('error') or answer.status_code}"
        )

    def _set(self, message: Message, status: str, detail: str) -> str:
        with self.store.lock:
            message.status, message.detail = status, detail
            self.store.save()
        return status

    def post(self, message: Message) -> str:
        """A person posted ``message``: send it, unless earlier ones of theirs are held."""
        with self.store.lock:
            self.store.messages.append(message)
            earlier = [
                m for m in self.store.held(message.platform, message.sender) if m is not message
            ]
            self.store.save()
        if earlier:  # keep their order: it waits behind them
            return self._set(message, "held", "waiting behind earlier held messages")
        return self.send(message)

    def replay(self, platform: str, sender: str) -> int:
        """Send what ``sender`` had held on ``platform``, oldest first; stop at the first hold."""
        sent = 0
        with self.replaying:
            for message in self.store.held(platform, sender):
                if self.send(message) != "sent":
                    break
                sent += 1
        return sent

    def replay_ready(self) -> None:
        """At start: held messages whose account healed while the relay was down."""
        keys = {(m.platform, m.sender.lower()) for m in self.store.messages if m.status == "held"}
        for platform, sender in sorted(keys):
            self.replay(platform, sender)

    # --- webhooks ----------------------------------------------------------------------------
    def on_webhook(self, raw: bytes, headers: dict[str, str]) -> int:
        try:
            event = self.webhook.verify(raw, headers)
        except WebhookVerificationError:
            return 401
        msg_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
        with self.store.lock:
            if msg_id in self.store.webhooks:
                return 204  # delivered before: at least once means maybe twice
            self.store.webhooks.append(msg_id)
            self.store.save()
        if event.get("type") == "account.healed":
            data = event.get("data", {})
            threading.Thread(
                target=self.replay,
                args=(data.get("platform", ""), data.get("email", "")),
                daemon=True,
            ).start()
        return 204


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Reference relay</title></head><body><h1>Reference relay</h1>
<form method="post" action="/messages">
<label>From (email) <input name="sender" required></label>
<label>Send on <select name="platform"><option value="slack">Slack</option></select></label>
<label>To (user or channel id) <input name="to" required></label>
<label>Message <input name="text" required></label>
<button type="submit">Relay</button></form>
<h2>Messages</h2><table><thead><tr><th>Sender</th><th>To</th><th>Message</th><th>Status</th><th>Detail</th></tr></thead>
<tbody>{rows}</tbody></table></body></html>"""
ROW = (
    '<tr data-status="{status}"><td>{sender}</td><td>{to}</td><td>{text}</td>'
    "<td>{status}</td><td>{detail}</td></tr>"
)


def handler_for(relay: Relay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/messages":
                rows = [asdict(m) for m in relay.store.messages]
                return self._answer(200, json.dumps(rows).encode())
            if self.path != "/":
                return self._answer(404)
            rows = "".join(
                ROW.format(**{k: html.escape(str(v)) for k, v in asdict(m).items()})
                for m in relay.store.messages
            )
            self._answer(200, PAGE.format(rows=rows).encode(), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            raw = self.rfile.read(min(int(self.headers.get("content-length") or 0), 1 << 20))
            if self.path == "/hooks/mio":
                return self._answer(relay.on_webhook(raw, dict(self.headers)))
            if self.path != "/messages":
                return self._answer(404)
            if self.headers.get("content-type", "").startswith("application/json"):
                fields = json.loads(raw or b"{}")
            else:
                fields = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            message = Message(
                platform=fields.get("platform", "slack"),
                sender=fields.get("sender", ""),
                to=fields.get("to", ""),
                text=fields.get("text", ""),
            )
            status = relay.post(message)
            if "json" in self.headers.get("content-type", ""):
                return self._answer(202, json.dumps({"id": message.id, "status": status}).encode())
            self.send_response(303)
            self.send_header("location", "/")
            self.end_headers()

    return Handler


def main() -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mio", default=env("MIO_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--key", default=env("MIO_RELAY_KEY", ""), help="a relay API key")
    parser.add_argument("--secret", default=env("MIO_WEBHOOK_SECRET", ""), help="whsec_…")
    parser.add_argument("--slack-api", default=env("SLACK_API_URL", "https://slack.com/api"))
    parser.add_argument("--port", type=int, default=int(env("RELAY_PORT", "8010")))
    parser.add_argument("--state", default=env("RELAY_STATE", "relay-state.json"))
    args = parser.parse_args()
    if not args.key or not args.secret:
        parser.error("--key (MIO_RELAY_KEY) and --secret (MIO_WEBHOOK_SECRET) are required")
    relay = Relay(args.mio, args.key, args.secret, args.slack_api, Store(Path(args.state)))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(relay))
    threading.Thread(target=relay.replay_ready, daemon=True).start()
    print(f"relay listening on http://127.0.0.1:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
