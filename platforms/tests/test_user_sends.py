"""The fakes' user-token sends (what a relay calls as a person) are as strict as the platforms.

The corpus (platforms/<platform>/fixtures/chats, chat_send, user_send) holds each one's success,
an expired token and a missing field; these cover what a fixture cannot set up: a revoked token,
a chat between other people, and what the inbox shows.
"""

from __future__ import annotations

from typing import Any

import requests

from platforms.http import session_for
from platforms.sandbox.fakes.teams.chats import MEMBER_TYPE
from platforms.sandbox.models import SandboxToken, SandboxUser

GRAPH = "https://graph.microsoft.com/v1.0"


def _token(sandbox, platform: str, email: str) -> str:
    return sandbox.provision(platform, email, email.split("@")[0].title())["grant"]["access_token"]


def _member(who: str) -> dict[str, Any]:
    return {
        "@odata.type": MEMBER_TYPE,
        "roles": ["owner"],
        "user@odata.bind": f"{GRAPH}/users('{who}')",
    }


def _chat(token: str, *people: str) -> requests.Response:
    return session_for("teams").post(
        f"{GRAPH}/chats",
        headers={"Authorization": f"Bearer {token}"},
        json={"chatType": "oneOnOne", "members": [_member(p) for p in people]},
        timeout=30,
    )


SENDS = {
    "zoom": ("https://api.zoom.us/v2/chat/users/me/messages", "to_contact", "message"),
    "webex": ("https://webexapis.com/v1/messages", "toPersonEmail", "text"),
}


def _sends(platform: str, token: str, to: str, text: str) -> requests.Response:
    url, recipient, content = SENDS[platform]
    return session_for(platform).post(
        url,
        headers={"Authorization": f"Bearer {token}"},
        json={recipient: to, content: text},
        timeout=30,
    )


def test_it_refuses_a_revoked_user_token_as_each_platform_does(sandbox) -> None:
    tokens = {p: _token(sandbox, p, "alan@relay.example") for p in ("teams", "zoom", "webex")}
    for platform in tokens:
        _token(sandbox, platform, "bob@relay.example")
    SandboxToken.objects.filter(user__email="alan@relay.example").update(revoked=True)

    teams = _chat(tokens["teams"], "alan@relay.example", "bob@relay.example")
    assert teams.status_code == 401
    assert 'error="insufficient_claims"' in teams.headers["WWW-Authenticate"]  # CAE
    zoom = _sends("zoom", tokens["zoom"], "bob@relay.example", "Hi")
    assert (zoom.status_code, zoom.json()["code"]) == (401, 124)
    webex = _sends("webex", tokens["webex"], "bob@relay.example", "Hi")
    assert webex.status_code == 401
    assert sandbox.inbox(user="bob@relay.example") == []


def test_it_keeps_a_teams_chat_to_its_two_members(sandbox) -> None:
    alan = _token(sandbox, "teams", "alan@relay.example")
    _token(sandbox, "teams", "bob@relay.example")
    eve = _token(sandbox, "teams", "eve@relay.example")
    first = _chat(alan, "alan@relay.example", "bob@relay.example")
    again = _chat(alan, "alan@relay.example", "bob@relay.example")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]  # one 1:1 chat between two people
    # Eve can neither open a chat for others nor write in theirs.
    assert _chat(eve, "alan@relay.example", "bob@relay.example").status_code == 400
    intrude = session_for("teams").post(
        f"{GRAPH}/chats/{first.json()['id']}/messages",
        headers={"Authorization": f"Bearer {eve}"},
        json={"body": {"content": "Hi"}},
        timeout=30,
    )
    assert intrude.status_code == 404
    assert sandbox.inbox("teams") == []


def test_it_shows_who_sent_a_message_as_themselves_in_the_inbox(sandbox, live_server) -> None:
    alan = _token(sandbox, "teams", "alan@relay.example")
    _token(sandbox, "teams", "bob@relay.example")
    chat = _chat(alan, "alan@relay.example", "bob@relay.example").json()["id"]
    sent = session_for("teams").post(
        f"{GRAPH}/chats/{chat}/messages",
        headers={"Authorization": f"Bearer {alan}"},
        json={"body": {"content": "Lunch at <b>noon</b>?"}},
        timeout=30,
    )
    assert sent.status_code == 201
    alan_id = SandboxUser.objects.get(platform="teams", email="alan@relay.example").upstream_id
    assert sent.json()["from"]["user"]["id"] == alan_id  # the message is Alan's
    [delivered] = sandbox.inbox("teams", "bob@relay.example")
    assert delivered["sender"] == "alan@relay.example"
    page = requests.get(f"{live_server.url}/sandbox/inbox/teams/bob@relay.example/", timeout=30)
    assert 'data-sender="alan@relay.example"' in page.text
    assert "Lunch at &lt;b&gt;noon&lt;/b&gt;?" in page.text  # drawn as text, escaped
