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

A message posted on one platform goes to the same recipient on each of the others where both
people have an account (Mio's ``GET /api/v1/accounts/`` says who is where), one delivery per
platform, each held and replayed on its own. How each platform is called as the person is in
``senders.py``. Run ``python relay.py --help``.
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
from senders import NEEDS, SENDERS, Person, bases
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PLATFORMS = tuple(SENDERS)


@dataclass
class Message:
    platform: str  # where it goes (and the sender's account used to send it)
    sender: str  # the sender's email
    to: str  # the recipient: their email, or their id on that platform
    text: str
    origin: str = ""  # the platform it was posted on (blank: sent to ``platform`` only)
    post: str = ""  # the id shared by the deliveries of one posted message
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
    def __init__(self, mio: str, key: str, secret: str, apis: dict[str, str], store: Store) -> None:
        self.mio = mio.rstrip("/")
        self.apis = apis
        self.people: dict[str, tuple[float, dict[str, Person]]] = {}
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

    def directory(self, platform: str, *, fresh: bool = False) -> dict[str, Person] | None:
        """Who has an account on ``platform`` (by Mio email, platform email and id); None if the
        key may not read accounts. Kept a minute; ``fresh`` reads it again."""
        kept = self.people.get(platform)
        if kept and not fresh and time.monotonic() - kept[0] < 60:
            return kept[1]
        found: dict[str, Person] = {}
        cursor: str | None = ""
        while cursor is not None:
            params = {"platform": platform, "limit": 500, **({"cursor": cursor} if cursor else {})}
            try:
                answer = self.http.get(f"{self.mio}/api/v1/accounts/", params=params, timeout=30)
            except requests.RequestException:
                return None
            if answer.status_code != 200:
                return None
            page = answer.json()
            for account in page["items"]:
                person = Person(account["user"], account["email"] or account["person"])
                for name in (account["person"], account["email"], account["user"]):
                    if name:
                        found[name.lower()] = person
            cursor = page.get("next")
        self.people[platform] = (time.monotonic(), found)
        return found

    def whom(self, platform: str, to: str) -> Person:
        """The recipient on ``platform``: from the directory, else ``to`` taken as it is."""
        for fresh in (False, True):
            people = self.directory(platform, fresh=fresh) or {}
            if to.lower() in people:
                return people[to.lower()]
        return Person("", to) if "@" in to else Person(to, "")

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
        sender = SENDERS.get(message.platform)
        if sender is None:
            return self._set(message, "failed", f"no sender for {message.platform!r}")
        account = body.get("account") or {}
        me = Person(str(account.get("user") or ""), str(account.get("email") or message.sender))
        to = self.whom(message.platform, message.to)
        if not (to.user if NEEDS[message.platform] == "user" else to.user or to.email):
            return self._set(message, "failed", f"no {message.platform} id for {message.to}")
        base, token = self.apis[message.platform], body["access_token"]
        for attempt in range(3):
            try:
                outcome = sender(self.platform_http, base, token, me, to, message.text)
            except requests.RequestException as exc:  # the platform is unreachable: try later
                return self._set(message, "held", f"platform unreachable: {type(exc).__name__}")
            if outcome.ok or not outcome.transient or attempt == 2:
                break
            # Throttled or failing for now: the account is fine, so no webhook would replay it.
            time.sleep(min(max(outcome.retry_after, 1.0), 30.0))
        if outcome.ok:
            self.report(message.platform, message.sender, "ok")
            return self._set(message, "sent", "")
        # The raw platform error goes to Mio, which checks the account; keep the message.
        self.report(
            message.platform, message.sender, "error", status=outcome.status, body=outcome.body
        )
        return self._set(message, "held", f"platform said {outcome.error}")

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

    def post_everywhere(self, origin: str, sender: str, to: str, text: str) -> list[Message]:
        """``sender`` posted ``text`` to ``to`` on ``origin``: send it on each other platform
        where both have an account (all others when the key may not read accounts)."""
        post, out = uuid.uuid4().hex, []
        for platform in PLATFORMS:
            if platform == origin:
                continue
            people = self.directory(platform)
            if people is not None and not {sender.lower(), to.lower()} <= set(people):
                continue  # one of them has no account there
            message = Message(platform, sender, to, text, origin=origin, post=post)
            self.post(message)
            out.append(message)
        return out

    def on_healed(self, platform: str, email: str, user: str) -> None:
        """Replay what the healed account's person had held. Messages are held under the email
        they were posted with, which may not be the account's email on that platform (a Teams
        UPN), so the directory says whose account it is."""
        people = self.directory(platform) or {}
        with self.store.lock:
            held = {m.sender.lower() for m in self.store.messages if m.status == "held"}
        for name in sorted(held):
            person = people.get(name)
            if name == email.lower() or (
                person is not None
                and ((user and person.user == user) or person.email.lower() == email.lower())
            ):
                self.replay(platform, name)

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
                target=self.on_healed,
                args=(str(data.get("platform", "")), str(data.get("email", ""))),
                kwargs={"user": str(data.get("user", ""))},
                daemon=True,
            ).start()
        return 204


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Reference relay</title></head><body><h1>Reference relay</h1>
<form method="post" action="/messages">
<label>From (email) <input name="sender" required></label>
<label>Posted on <select name="origin"><option value="slack">Slack</option>
<option value="teams">Teams</option><option value="zoom">Zoom</option>
<option value="webex">Webex</option></select></label>
<label>To (email or user id) <input name="to" required></label>
<label>Message <input name="text" required></label>
<button type="submit">Relay to the other platforms</button></form>
<h2>Messages</h2><table><thead><tr><th>Sender</th><th>On</th><th>To</th><th>Message</th>
<th>Status</th><th>Detail</th></tr></thead>
<tbody>{rows}</tbody></table></body></html>"""
ROW = (
    '<tr data-status="{status}" data-platform="{platform}"><td>{sender}</td><td>{platform}</td>'
    "<td>{to}</td><td>{text}</td><td>{status}</td><td>{detail}</td></tr>"
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
            sender, to, text = (str(fields.get(k) or "") for k in ("sender", "to", "text"))
            origin, platform = str(fields.get("origin") or ""), str(fields.get("platform") or "")
            if origin not in ("", *PLATFORMS) or platform not in ("", *PLATFORMS):
                return self._answer(400, b'{"error": "unknown platform"}')
            if not (sender and to and text) or not (origin or platform):
                return self._answer(400, b'{"error": "sender, to, text and origin are required"}')
            if origin:  # posted there: relayed to every other platform
                sent = relay.post_everywhere(origin, sender, to, text)
            else:  # sent on that one platform
                sent = [Message(platform=platform, sender=sender, to=to, text=text)]
                relay.post(sent[0])
            if "json" in self.headers.get("content-type", ""):
                rows = [{"id": m.id, "platform": m.platform, "status": m.status} for m in sent]
                answer = {"messages": rows, **(rows[0] if len(rows) == 1 and not origin else {})}
                return self._answer(202, json.dumps(answer).encode())
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
    parser.add_argument(
        "--sandbox", default=env("SANDBOX_URL", ""), help="send through Mio's sandbox at this URL"
    )
    for platform in PLATFORMS:
        parser.add_argument(f"--{platform}-api", help=f"{platform}'s API base (overrides)")
    parser.add_argument("--port", type=int, default=int(env("RELAY_PORT", "8010")))
    parser.add_argument("--state", default=env("RELAY_STATE", "relay-state.json"))
    args = parser.parse_args()
    if not args.key or not args.secret:
        parser.error("--key (MIO_RELAY_KEY) and --secret (MIO_WEBHOOK_SECRET) are required")
    apis = bases(args.sandbox, **{p: getattr(args, f"{p}_api") or "" for p in PLATFORMS})
    relay = Relay(args.mio, args.key, args.secret, apis, Store(Path(args.state)))
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
