"""``POST /api/v1/tokens/``: a working token for a healthy account, refreshed once when due,
409 for a broken account, 503 with Retry-After for a transient refresh failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.keys import create_key
from platforms.registry import get_adapter
from platforms.sandbox.models import SandboxToken
from tokens.models import Credential, CredentialState
from tokens.services import check_now
from tokens.tests.conftest import PLATFORMS, fresh

pytestmark = pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack sandbox")


def works(credential_id: int, access_token: str) -> bool:
    """The platform (the sandbox, over HTTP) accepts this access token."""
    credential = Credential.objects.select_related("account").get(pk=credential_id)
    identity = get_adapter(credential.platform).probe(credential, access_token)
    return identity is not None


def test_it_hands_out_a_working_token_for_a_healthy_account(sandbox, enroll, relay) -> None:
    account = enroll("slack")
    _, key = create_key(account.person.tenant)
    for user in (account.upstream_user_id, account.person.email):
        answer = relay(key).token("slack", user)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["token_type"] == "Bearer"
        assert body["account"]["id"] == account.pk
        assert body["account"]["user"] == account.upstream_user_id
        assert works(account.credential_id, body["access_token"])


def test_it_refreshes_a_token_about_to_expire_once(sandbox, enroll, relay) -> None:
    account = enroll("slack")
    _, key = create_key(account.person.tenant)
    old = fresh(account).access_token.reveal()
    Credential.objects.filter(pk=account.credential_id).update(
        expires_at=timezone.now() + timedelta(minutes=1)
    )
    first = relay(key).token("slack", account.person.email).json()
    second = relay(key).token("slack", account.person.email).json()
    assert first["access_token"] != old
    assert second["access_token"] == first["access_token"]  # the refresh happened once
    assert works(account.credential_id, first["access_token"])
    refreshes = SandboxToken.objects.filter(
        platform="slack", kind="refresh", user__email=account.person.email
    )
    assert refreshes.filter(revoked=True).count() == 1


def test_it_answers_409_for_a_broken_account_so_the_relay_holds(sandbox, enroll, relay) -> None:
    account = enroll("slack")
    _, key = create_key(account.person.tenant)
    sandbox.situation("slack", account.person.email, "grant_revoked")
    check_now([account.credential_id])
    answer = relay(key).token("slack", account.person.email)
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["state"] == CredentialState.WAITING_USER
    assert body["situation"] == "grant_revoked"
    assert body["audience"] == "user"
    assert body["incident"] is not None
    assert "access_token" not in body


def test_it_answers_503_with_retry_after_when_the_refresh_fails_transiently(
    sandbox, enroll, relay
) -> None:
    account = enroll("slack")
    _, key = create_key(account.person.tenant)
    Credential.objects.filter(pk=account.credential_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    sandbox.script(
        "slack",
        "token",
        status=429,
        headers={"Retry-After": "7"},
        body={"ok": False, "error": "ratelimited"},
        times=1,
    )
    answer = relay(key).token("slack", account.person.email)
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    assert fresh(account).state != CredentialState.WAITING_USER  # nobody is prompted for it
    again = relay(key).token("slack", account.person.email)  # the platform is back
    assert again.status_code == 200, again.text


def test_it_answers_404_for_an_unknown_user_and_401_without_a_key(sandbox, enroll, relay) -> None:
    account = enroll("slack")
    _, key = create_key(account.person.tenant)
    assert relay(key).token("slack", "nobody@nowhere.example").status_code == 404
    assert relay(key).token("zoom", account.person.email).status_code == 404
    answer = relay(None).token("slack", account.person.email)
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["WWW-Authenticate"]
