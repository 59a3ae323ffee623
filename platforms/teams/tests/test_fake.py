"""The Teams fake answers in Microsoft's exact shapes (raw HTTP, no adapter in between)."""

from __future__ import annotations

import re

import pytest
import requests
from django.conf import settings

from platforms.sandbox.fakes.teams.situations import TOKEN_FAILURES

DESCRIPTION = re.compile(
    r"^AADSTS(\d+): .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\n"
    r"Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$",
    re.S,
)
ENTRA_KEYS = {
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
    "error_uri",
}


def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


@pytest.fixture
def base(sandbox, live_server) -> str:
    return f"{live_server.url}/sandbox/teams"


def refresh(base: str, tenant: str, refresh_token: str, **extra: str) -> requests.Response:
    app = settings.PLATFORM_APPS["teams"]
    return http().post(
        f"{base}/login/{tenant}/oauth2/v2.0/token",
        data={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "scope": "User.Read offline_access openid profile",
            **extra,
        },
        headers={"client-request-id": "0b6c4b4e-1d7a-4b1e-9f0a-3c2d1e0f9a8b"},
        timeout=30,
    )


def test_it_serves_the_discovery_document_msal_reads(base) -> None:
    doc = http().get(f"{base}/login/organizations/v2.0/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == (
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
    )
    assert doc["authorization_endpoint"] == f"{base}/login/organizations/oauth2/v2.0/authorize"
    assert doc["issuer"] == "https://login.microsoftonline.com/{tenantid}/v2.0"


@pytest.mark.parametrize("situation", sorted(TOKEN_FAILURES))
def test_it_answers_a_situation_with_entras_error_body(sandbox, base, situation) -> None:
    data = sandbox.provision("teams", f"{situation}@fabrikam.example")
    sandbox.situation("teams", f"{situation}@fabrikam.example", situation)
    response = refresh(base, data["user"]["workspace_id"], data["grant"]["refresh_token"])
    failure = TOKEN_FAILURES[situation]
    assert response.status_code == failure.status
    body = response.json()
    assert set(body) >= ENTRA_KEYS
    assert body["error"] == failure.error
    assert body["error_codes"] == [failure.code]
    assert DESCRIPTION.match(body["error_description"]), body["error_description"]
    assert body["error_description"].startswith(f"AADSTS{failure.code}: ")
    assert body["correlation_id"] == "0b6c4b4e-1d7a-4b1e-9f0a-3c2d1e0f9a8b"
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={failure.code}"
    assert body.get("suberror", "") == failure.suberror


def test_it_rotates_refresh_tokens_like_entra(sandbox, base) -> None:
    data = sandbox.provision("teams", "rotate@fabrikam.example")
    tenant, first = data["user"]["workspace_id"], data["grant"]["refresh_token"]
    answer = refresh(base, tenant, first).json()
    assert answer["token_type"] == "Bearer"
    assert answer["refresh_token"] != first
    assert answer["access_token"].count(".") == 2  # JWT-shaped
    assert answer["id_token"].count(".") == 2
    # Entra does not revoke the old refresh token on use (Microsoft's refresh token docs).
    assert refresh(base, tenant, first).status_code == 200
    assert refresh(base, tenant, answer["refresh_token"]).status_code == 200


def test_it_refuses_a_wrong_client_secret_and_an_unknown_app(sandbox, base) -> None:
    data = sandbox.provision("teams", "client@fabrikam.example")
    tenant, token = data["user"]["workspace_id"], data["grant"]["refresh_token"]
    wrong = refresh(base, tenant, token, client_secret="nope")
    assert wrong.status_code == 401
    assert wrong.json()["error_codes"] == [7000215]
    unknown = refresh(base, tenant, token, client_id="11111111-2222-4333-8444-555555555555")
    assert unknown.status_code == 400
    assert unknown.json()["error_codes"] == [700016]


def test_it_refuses_garbage_and_inactive_refresh_tokens(sandbox, base) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from platforms.sandbox.models import SandboxToken

    garbage = refresh(base, "organizations", "not-a-token")
    assert garbage.json()["error_codes"] == [9002313]
    data = sandbox.provision("teams", "idle@fabrikam.example")
    SandboxToken.objects.filter(platform="teams", kind="refresh").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    idle = refresh(base, data["user"]["workspace_id"], data["grant"]["refresh_token"])
    assert idle.json()["error_codes"] == [700082]


def test_it_guards_graph_and_the_connector_with_tokens(sandbox, base) -> None:
    me = http().get(f"{base}/graph/v1.0/me", timeout=30)
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "request-id" in me.json()["error"]["innerError"]
    convo = http().post(f"{base}/connector/teams/v3/conversations", json={}, timeout=30)
    assert convo.status_code == 401
    data = sandbox.provision("teams", "me@fabrikam.example", "Me Myself")
    token = data["grant"]["access_token"]
    profile = (
        http()
        .get(f"{base}/graph/v1.0/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        .json()
    )
    assert profile["id"] == data["user"]["upstream_id"]
    assert profile["userPrincipalName"] == "me@fabrikam.example"
    assert profile["displayName"] == "Me Myself"


def test_it_issues_the_bot_token_only_for_mios_bot(sandbox, base) -> None:
    app = settings.PLATFORM_APPS["teams"]
    url = f"{base}/login/botframework.com/oauth2/v2.0/token"
    good = http().post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": app["bot_app_id"],
            "client_secret": app["bot_app_secret"],
            "scope": "https://api.botframework.com/.default",
        },
        timeout=30,
    )
    assert good.status_code == 200
    assert good.json()["expires_in"] == 86399
    bad = http().post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": app["bot_app_id"],
            "client_secret": "wrong",
            "scope": "https://api.botframework.com/.default",
        },
        timeout=30,
    )
    assert bad.status_code == 401
    assert bad.json()["error_codes"] == [7000215]
