"""What the Webex adapter does beyond the shared contract (sandbox over HTTP, requests)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.utils import timezone

from platforms.errors import PlatformError
from platforms.messages import Action, Message
from platforms.registry import get_adapter
from platforms.tests.contract import PlatformContract
from platforms.webex.tests.payloads import validate_card_payload
from tokens.models import Credential, Installation
from tokens.provisioning import attach_account
from tokens.situations import Situation

INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The refresh token provided is expired, revoked, malformed, or invalid.",
    "message": "The refresh token provided is expired, revoked, malformed, or invalid.",
    "errors": [{"description": "The refresh token provided is expired, revoked, malformed."}],
    "trackingId": "ROUTER_0A1B2C3D-0000-4000-8000-000000000001",
}
PROMPT = Message(
    title="Re-sync Webex",
    text="Your Webex sign-in expired.",
    facts=[("Account", "ada")],
    actions=[Action("Re-sync", "https://heal.example.com/r/xyz")],
    tone="warning",
    idempotency_key="incident-7/prompt-1",
)


class TestWebexAdapter:
    """The contract's fixtures (a provisioned account, an installed bot) and helpers, reused."""

    platform = "webex"
    adapter = PlatformContract.adapter
    account = PlatformContract.account
    credential = PlatformContract.credential
    _expire_access_token = PlatformContract._expire_access_token
    _consent = PlatformContract._consent

    def redirect_uri(self, sandbox) -> str:
        return f"{sandbox.base.rsplit('/sandbox', 1)[0]}/resync/callback/"

    def test_it_tells_an_idle_refresh_token_from_a_revoked_one(
        self, sandbox, adapter, account
    ) -> None:
        email = account.person.email
        sandbox.script("webex", "token", user=email, status=400, body=json.dumps(INVALID_GRANT))
        self._expire_access_token(account)
        revoked = adapter.check(self.credential(account))
        assert revoked.situation == Situation.GRANT_REVOKED
        # The same answer for a refresh token unused for 91 days: it died of inactivity.
        Credential.objects.filter(pk=account.credential_id).update(
            refresh_token_last_used_at=timezone.now() - timedelta(days=91),
            refresh_token_issued_at=timezone.now() - timedelta(days=120),
        )
        sandbox.script("webex", "token", user=email, status=400, body=json.dumps(INVALID_GRANT))
        idle = adapter.check(self.credential(account))
        assert idle.situation == Situation.REFRESH_TOKEN_INACTIVE
        assert idle.evidence.correlation_id == INVALID_GRANT["trackingId"]
        assert idle.evidence.error == "invalid_grant"

    def test_it_reads_an_expired_refresh_token_as_inactive(self, sandbox, adapter, account) -> None:
        Credential.objects.filter(pk=account.credential_id).update(
            refresh_token_expires_at=timezone.now() - timedelta(minutes=1)
        )
        sandbox.script("webex", "token", user=account.person.email, status=400, body=INVALID_GRANT)
        self._expire_access_token(account)
        outcome = adapter.check(self.credential(account))
        assert outcome.situation == Situation.REFRESH_TOKEN_INACTIVE

    def test_it_refreshes_after_a_single_401_and_reads_healthy(
        self, sandbox, adapter, account
    ) -> None:
        sandbox.script("webex", "probe", user=account.person.email, status=401, body="{}")
        outcome = adapter.check(self.credential(account))
        assert outcome.healthy, outcome.evidence
        assert outcome.refreshed

    def test_it_reads_grant_revoked_when_a_fresh_token_is_refused(
        self, sandbox, adapter, account
    ) -> None:
        sandbox.script("webex", "probe", user=account.person.email, status=401, body="{}", times=2)
        outcome = adapter.check(self.credential(account))
        assert outcome.situation == Situation.GRANT_REVOKED
        assert outcome.refreshed

    def test_it_keeps_the_refresh_token_and_its_new_expiry(self, sandbox, adapter, account) -> None:
        before = self._expire_access_token(account)
        assert adapter.check(self.credential(account)).healthy
        after = self.credential(account)
        assert after.refresh_token == before.refresh_token
        assert after.access_token != before.access_token
        assert after.refresh_token_expires_at > timezone.now() + timedelta(days=89)
        assert after.expires_at > timezone.now() + timedelta(days=13)

    def test_it_stores_no_token_in_plaintext(self, sandbox, adapter, account) -> None:
        self._expire_access_token(account)
        assert adapter.check(self.credential(account)).healthy
        credential = self.credential(account)
        secrets = [credential.access_token.reveal(), credential.refresh_token.reveal()]
        with connection.cursor() as cursor:
            cursor.execute("SELECT access_token, refresh_token FROM tokens_credential")
            stored = json.dumps(cursor.fetchall())
        for secret in secrets:
            assert secret
            assert secret not in stored

    def test_it_sends_as_the_bot_with_the_idempotency_key(self, sandbox, adapter, account) -> None:
        installation = Installation.objects.get(tenant=account.person.tenant, platform="webex")
        result = adapter.send(installation, account, PROMPT)
        decoded = base64.b64decode(result.message_id + "==").decode()
        assert decoded.startswith("ciscospark://us/MESSAGE/")
        assert result.conversation_id
        [delivered] = sandbox.inbox("webex", account.person.email)
        payload = json.loads(delivered["payload"])
        validate_card_payload(payload)
        assert payload["toPersonEmail"] == account.email
        card = payload["attachments"][0]["content"]
        assert card["body"][0]["id"] == "mio-incident-7/prompt-1"

    def test_it_reports_a_bot_whose_token_is_refused(self, sandbox, adapter, account) -> None:
        sandbox.script(
            "webex",
            "send",
            user=account.person.email,
            status=401,
            body={"message": "Unauthorized", "errors": [], "trackingId": "ROUTER_X"},
        )
        installation = Installation.objects.get(tenant=account.person.tenant, platform="webex")
        with pytest.raises(PlatformError) as caught:
            adapter.send(installation, account, PROMPT)
        assert caught.value.situation == Situation.APP_UNINSTALLED
        assert caught.value.evidence.correlation_id == "ROUTER_X"
        assert caught.value.evidence.http_status == 401

    def test_it_reports_a_recipient_webex_does_not_know(self, sandbox, adapter, account) -> None:
        account.email = "left-the-company@example.org"
        installation = Installation.objects.get(tenant=account.person.tenant, platform="webex")
        with pytest.raises(PlatformError) as caught:
            adapter.send(installation, account, PROMPT)
        assert caught.value.situation == Situation.USER_DELETED
        assert sandbox.inbox("webex") == []

    def test_it_does_not_send_without_an_active_installation(
        self, sandbox, adapter, account
    ) -> None:
        installation = Installation.objects.get(tenant=account.person.tenant, platform="webex")
        installation.is_active = False
        with pytest.raises(PlatformError) as caught:
            adapter.send(installation, account, PROMPT)
        assert caught.value.situation == Situation.APP_UNINSTALLED
        assert sandbox.inbox("webex") == []

    def test_it_starts_oauth_at_the_sandbox_with_pkce_s256(self, sandbox, adapter, account) -> None:
        start = adapter.begin_oauth(redirect_uri=self.redirect_uri(sandbox), login_hint="a@b.c")
        url = urlparse(start.url)
        assert start.url.startswith(f"{sandbox.base.rsplit('/api', 1)[0]}/webex/api/authorize?")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        digest = hashlib.sha256(start.flow["code_verifier"].encode()).digest()
        assert query["code_challenge"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
        assert query["code_challenge_method"] == "S256"
        assert query["state"] == start.flow["state"]
        assert "spark:people_read" in query["scope"].split()
        json.dumps(start.flow)  # kept server-side between the two halves

    def test_it_refuses_a_callback_for_another_redirect_uri(
        self, sandbox, adapter, account
    ) -> None:
        start = adapter.begin_oauth(redirect_uri=self.redirect_uri(sandbox))
        with pytest.raises(ValueError, match="redirect_uri"):
            adapter.finish_oauth(
                start.flow, {"state": start.flow["state"], "code": "x"}, redirect_uri="http://x/"
            )

    @pytest.mark.parametrize(
        ("upstream_state", "allow", "expected"),
        [
            (None, False, Situation.GRANT_REVOKED),
            ("app_disabled", True, Situation.APP_DISABLED),
        ],
    )
    def test_it_reports_a_refused_sign_in(
        self, sandbox, adapter, account, upstream_state, allow, expected
    ) -> None:
        if upstream_state:
            sandbox.situation("webex", account.person.email, upstream_state)
        redirect_uri = self.redirect_uri(sandbox)
        start = adapter.begin_oauth(redirect_uri=redirect_uri, login_hint=account.person.email)
        params = self._consent(start.url, allow=allow)
        with pytest.raises(PlatformError) as caught:
            adapter.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
        assert caught.value.situation == expected
        assert caught.value.evidence.endpoint == "authorize"

    def test_it_heals_a_revoked_grant_through_a_fresh_sign_in(
        self, sandbox, adapter, account
    ) -> None:
        sandbox.situation("webex", account.person.email, "grant_revoked")
        assert adapter.check(self.credential(account)).situation == Situation.GRANT_REVOKED
        redirect_uri = self.redirect_uri(sandbox)
        start = adapter.begin_oauth(redirect_uri=redirect_uri, login_hint=account.person.email)
        grant = adapter.finish_oauth(
            start.flow, self._consent(start.url, allow=True), redirect_uri=redirect_uri
        )
        assert grant.upstream_user_id == account.upstream_user_id
        assert grant.workspace_id == account.workspace_id
        assert grant.email == account.person.email
        attach_account(account.person, "webex", grant)
        assert get_adapter("webex").check(self.credential(account)).healthy
