"""How the reference relay sends one message *as its author* on each platform.

Each sender gets the person's own access token (from Mio's token API), the sender's and the
recipient's ids on that platform, and the text; it calls the platform's public API for a person
(never a bot's) and returns the platform's answer. Base URLs are the real ones unless told
otherwise (``relay.py --sandbox`` points all four at Mio's sandbox).

- Slack: ``chat.postMessage`` with the user token, ``channel`` = the recipient's user id
  (https://docs.slack.dev/reference/methods/chat.postMessage).
- Teams: Microsoft Graph ``POST /chats`` (the 1:1 chat of the two; the existing one if any),
  then ``POST /chats/{chat-id}/messages`` (https://learn.microsoft.com/graph/api/chat-post,
  https://learn.microsoft.com/graph/api/chat-post-messages).
- Zoom: ``POST /chat/users/me/messages`` with ``to_contact`` = the recipient's email
  (https://developers.zoom.us/docs/api/team-chat/).
- Webex: ``POST /messages`` with ``toPersonEmail`` and the person's integration token
  (https://developer.webex.com/docs/api/v1/messages/create-a-message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

REAL_BASES = {
    "slack": "https://slack.com/api",
    "teams": "https://graph.microsoft.com/v1.0",
    "zoom": "https://api.zoom.us/v2",
    "webex": "https://webexapis.com/v1",
}
# Where each platform lives under Mio's sandbox (``--sandbox http://127.0.0.1:8000/sandbox``).
SANDBOX_PATHS = {
    "slack": "slack/api",
    "teams": "teams/graph/v1.0",
    "zoom": "zoom/api/v2",
    "webex": "webex/api",
}


@dataclass(frozen=True)
class Person:
    """Someone on one platform: their id there and their email there (either may be blank)."""

    user: str
    email: str


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int
    body: str  # the platform's raw answer, reported to Mio as it came
    error: str  # a short name for the relay's page
    retry_after: float = 0.0  # seconds, when the platform said (429, 503)

    @property
    def transient(self) -> bool:
        """Throttled or failing for now (429, 5xx): worth trying again shortly."""
        return self.status == 429 or self.status >= 500


def _json(answer: requests.Response) -> dict:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _outcome(answer: requests.Response, ok: bool, error: str = "") -> Outcome:
    short = "" if ok else error or str(answer.status_code)
    try:
        retry_after = float(answer.headers.get("Retry-After") or 0)
    except ValueError:  # an HTTP date: wait the minimum
        retry_after = 0.0
    return Outcome(ok, answer.status_code, answer.text, short, retry_after)


def slack(
    http: requests.Session, base: str, token: str, me: Person, to: Person, text: str
) -> Outcome:
    answer = http.post(
        f"{base}/chat.postMessage",
        headers={"Authorization": f"Bearer {token}"},
        json={"channel": to.user, "text": text},
        timeout=30,
    )
    data = _json(answer)
    return _outcome(answer, answer.ok and data.get("ok") is True, str(data.get("error") or ""))


def _graph_error(answer: requests.Response) -> str:
    error = _json(answer).get("error")
    return str(error.get("code") or "") if isinstance(error, dict) else ""


def teams(
    http: requests.Session, base: str, token: str, me: Person, to: Person, text: str
) -> Outcome:
    auth = {"Authorization": f"Bearer {token}"}

    def member(who: str) -> dict:
        return {
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "roles": ["owner"],
            "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{who}')",
        }

    chat = http.post(
        f"{base}/chats",
        headers=auth,
        json={"chatType": "oneOnOne", "members": [member(me.user), member(to.user or to.email)]},
        timeout=30,
    )
    if chat.status_code != 201 or not _json(chat).get("id"):
        return _outcome(chat, False, _graph_error(chat))
    answer = http.post(
        f"{base}/chats/{_json(chat)['id']}/messages",
        headers=auth,
        json={"body": {"content": text}},
        timeout=30,
    )
    return _outcome(answer, answer.status_code == 201, _graph_error(answer))


def zoom(
    http: requests.Session, base: str, token: str, me: Person, to: Person, text: str
) -> Outcome:
    answer = http.post(
        f"{base}/chat/users/me/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"message": text, "to_contact": to.email},
        timeout=30,
    )
    return _outcome(answer, answer.status_code == 201, str(_json(answer).get("code") or ""))


def webex(
    http: requests.Session, base: str, token: str, me: Person, to: Person, text: str
) -> Outcome:
    answer = http.post(
        f"{base}/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"toPersonEmail": to.email, "text": text},
        timeout=30,
    )
    return _outcome(answer, answer.ok and bool(_json(answer).get("id")), str(answer.status_code))


Sender = Callable[[requests.Session, str, str, Person, Person, str], Outcome]
SENDERS: dict[str, Sender] = {"slack": slack, "teams": teams, "zoom": zoom, "webex": webex}
# What each sender needs to know of the recipient: an id (Slack) or an email (the others;
# Graph takes either).
NEEDS = {"slack": "user", "teams": "user or email", "zoom": "email", "webex": "email"}


def bases(sandbox: str = "", **given: str) -> dict[str, str]:
    """Each platform's API base: ``given`` (e.g. slack=...), else the sandbox's, else the real."""
    out = {}
    for platform, real in REAL_BASES.items():
        default = f"{sandbox.rstrip('/')}/{SANDBOX_PATHS[platform]}" if sandbox else real
        out[platform] = (given.get(platform) or default).rstrip("/")
    return out
