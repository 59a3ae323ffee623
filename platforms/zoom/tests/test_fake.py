"""The Zoom fake answers like Zoom, on the wire (requests straight at its endpoints)."""

from __future__ import annotations

import base64
import json

import pytest

from platforms.sandbox.models import SandboxToken
from tokens.secret import reveal


def _zoom(sandbox) -> str:
    return f"{sandbox.base.rsplit('/api', 1)[0]}/zoom"


def _claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_it_lists_zooms_situations_endpoints_and_events(sandbox) -> None:
    zoom = sandbox.http.get(f"{sandbox.base}/", timeout=30).json()["zoom"]
    assert {"grant_revoked", "app_disabled", "access_token_expired", "transient"} <= set(
        zoom["situations"]
    )
    assert {"token", "probe", "send", "bot_token"} <= set(zoom["endpoints"])
    assert list(zoom["events"]) == ["app_deauthorized"]


def test_it_issues_tokens_shaped_like_zooms(sandbox, zoom_account) -> None:
    from tokens.models import Credential

    credential = Credential.objects.get(pk=zoom_account.credential_id)
    access, refresh = reveal(credential.access_token), reveal(credential.refresh_token)
    assert _claims(access)["uid"] == zoom_account.upstream_user_id
    assert _claims(access)["tokenType"] == "access_token"
    assert _claims(refresh)["exp"] - _claims(refresh)["iat"] == 90 * 24 * 3600
    assert len(zoom_account.upstream_user_id) == 22
    assert not SandboxToken.objects.filter(token_hash__in=[access, refresh]).exists()


def test_it_refuses_a_client_that_does_not_authenticate(sandbox, browser) -> None:
    answer = browser.post(
        f"{_zoom(sandbox)}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=("sandboxzoomclient", "wrong-secret"),
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "reason": "Invalid client_id or client_secret",
        "error": "invalid_client",
    }


def test_it_refuses_an_unsupported_grant(sandbox, browser, settings) -> None:
    app = settings.PLATFORM_APPS["zoom"]
    answer = browser.post(
        f"{_zoom(sandbox)}/oauth/token",
        params={"grant_type": "password"},
        auth=(app["client_id"], app["client_secret"]),
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_it_answers_an_unknown_access_token_like_the_api(sandbox, browser) -> None:
    answer = browser.get(
        f"{_zoom(sandbox)}/api/v2/users/me", headers={"Authorization": "Bearer nope"}, timeout=30
    )
    assert answer.status_code == 401
    assert answer.json() == {"code": 124, "message": "Invalid access token."}
    assert answer.headers["x-zm-trackingid"].startswith("v=2.0;")


def test_it_names_the_user_and_their_chat_jid(sandbox, zoom_account, browser) -> None:
    from tokens.models import Credential

    token = reveal(Credential.objects.get(pk=zoom_account.credential_id).access_token)
    me = browser.get(
        f"{_zoom(sandbox)}/api/v2/users/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert me["id"] == zoom_account.upstream_user_id
    assert me["account_id"] == zoom_account.workspace_id
    # The JID is a field of its own, as Zoom documents it, and the one the account was given.
    assert me["jid"].endswith("@xmpp.zoom.us")
    assert me["jid"] == zoom_account.chat_address
    assert me["status"] == "active"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"client_id": "someone-else"}, "4702"),
        ({"redirect_uri": "https://evil.example/cb"}, "4709"),
        ({"response_type": "token"}, "4700"),
    ],
)
def test_it_refuses_a_bad_authorize_request(sandbox, browser, settings, query, code) -> None:
    params = {
        "response_type": "code",
        "client_id": settings.PLATFORM_APPS["zoom"]["client_id"],
        "redirect_uri": f"{settings.SITE_URL}/resync/callback/",
        "state": "s",
        **query,
    }
    page = browser.get(f"{_zoom(sandbox)}/oauth/authorize", params=params, timeout=30)
    assert page.status_code == 400
    assert code in page.text


def test_it_shows_a_consent_page_with_the_app_and_its_scopes(
    sandbox, zoom_account, browser, settings
) -> None:
    params = {
        "response_type": "code",
        "client_id": settings.PLATFORM_APPS["zoom"]["client_id"],
        "redirect_uri": f"{settings.SITE_URL}/resync/callback/",
        "state": "s",
        "login_hint": zoom_account.person.email,
    }
    page = browser.get(f"{_zoom(sandbox)}/oauth/authorize", params=params, timeout=30)
    assert page.status_code == 200
    for text in (
        "Mio Auto Heal",
        "user:read:user",
        'value="allow"',
        'value="deny"',
        zoom_account.person.email,
    ):
        assert text in page.text


def test_it_validates_a_chatbot_message(sandbox, zoom_account, browser, settings) -> None:
    app = settings.PLATFORM_APPS["zoom"]
    token = browser.post(
        f"{_zoom(sandbox)}/oauth/token",
        params={"grant_type": "client_credentials"},
        auth=(app["client_id"], app["client_secret"]),
        timeout=30,
    ).json()
    assert token["scope"] == "imchat:bot"
    assert "refresh_token" not in token
    answer = browser.post(
        f"{_zoom(sandbox)}/api/v2/im/chat/messages",
        json={"robot_jid": app["bot_jid"], "content": {"body": []}},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 300
    assert {e["field"] for e in answer.json()["errors"]} == {"to_jid", "account_id"}
    assert sandbox.inbox("zoom") == []
