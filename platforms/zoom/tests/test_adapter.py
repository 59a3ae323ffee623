"""What the Zoom adapter does beyond the shared contract, through the sandbox over HTTP."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from platforms.errors import PlatformError
from platforms.messages import Action, Message
from platforms.registry import get_adapter
from platforms.sandbox import core
from platforms.sandbox.models import SandboxToken, SandboxUser
from platforms.zoom.tests.conftest import consent, redirect_params
from tokens.models import Credential, Installation, PlatformAccount
from tokens.secret import reveal

MESSAGE = Message(
    title="Your Zoom connection needs you",
    text="Mio can no longer relay your messages.",
    facts=[("Platform", "Zoom")],
    actions=[Action("Re-sync your account", "https://heal.example.com/r/abc")],
    tone="warning",
    idempotency_key="prompt-42",
)


def _callback(sandbox) -> str:
    return f"{sandbox.base.rsplit('/sandbox', 1)[0]}/resync/callback/"


def _credential(account: PlatformAccount) -> Credential:
    return Credential.objects.get(pk=account.credential_id)


def _expire(account: PlatformAccount) -> None:
    Credential.objects.filter(pk=account.credential_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    core.expire_access_tokens("zoom", account.person.email)


def _installation(account: PlatformAccount) -> Installation:
    return Installation.objects.select_related("credential").get(
        tenant=account.person.tenant, platform="zoom"
    )


def _jwt(claims: dict) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzUxMiJ9.{part}.c2lnbmF0dXJl"


# --- refresh tokens ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("refresh_token", "issued_days_ago", "expected"),
    [
        (_jwt({"tokenType": "refresh_token", "exp": 1_600_000_000}), 1, "refresh_token_inactive"),
        ("opaque-refresh-token", 91, "refresh_token_inactive"),
        ("opaque-refresh-token", 10, "grant_revoked"),
    ],
)
def test_it_tells_an_expired_refresh_token_from_a_revoked_one(
    sandbox, zoom_account, refresh_token, issued_days_ago, expected
) -> None:
    _expire(zoom_account)
    credential = _credential(zoom_account)
    credential.refresh_token = refresh_token
    credential.refresh_token_issued_at = timezone.now() - timedelta(days=issued_days_ago)
    credential.save()
    outcome = get_adapter("zoom").check(_credential(zoom_account))
    assert outcome.situation == expected, outcome.evidence
    assert outcome.evidence.error == "invalid_grant"


def test_it_spends_a_rotated_refresh_token_once(sandbox, zoom_account) -> None:
    adapter = get_adapter("zoom")
    old = reveal(_credential(zoom_account).refresh_token)
    grant = adapter.redeem_refresh_token(_credential(zoom_account), old)
    assert grant.refresh_token
    assert grant.refresh_token != old
    assert grant.expires_in == 3599
    with pytest.raises(PlatformError) as spent:
        adapter.redeem_refresh_token(_credential(zoom_account), old)
    assert spent.value.situation == "grant_revoked"
    assert adapter.redeem_refresh_token(_credential(zoom_account), grant.refresh_token).access_token


def test_it_reads_a_grant_voided_by_a_newer_authorization(sandbox, zoom_account, browser) -> None:
    adapter = get_adapter("zoom")
    start = adapter.begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    adapter.finish_oauth(
        start.flow, redirect_params(consent(browser, start.url)), redirect_uri=_callback(sandbox)
    )
    _expire(zoom_account)
    outcome = adapter.check(_credential(zoom_account))
    assert outcome.situation == "grant_revoked"
    assert outcome.evidence.error_codes == ["4741"]


# --- OAuth --------------------------------------------------------------------------------------
def test_it_asks_for_a_code_with_pkce_and_no_scopes(sandbox, zoom_account) -> None:
    start = get_adapter("zoom").begin_oauth(redirect_uri=_callback(sandbox))
    assert start.url.startswith(f"{sandbox.base.rsplit('/api', 1)[0]}/zoom/oauth/authorize?")
    assert "code_challenge_method=S256" in start.url
    assert "scope=" not in start.url
    assert start.flow["code_verifier"] not in start.url


def test_it_refuses_a_code_without_the_right_verifier(sandbox, zoom_account, browser) -> None:
    adapter = get_adapter("zoom")
    start = adapter.begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    params = redirect_params(consent(browser, start.url))
    forged = {**start.flow, "code_verifier": "x" * 86}
    with pytest.raises(PlatformError) as refused:
        adapter.finish_oauth(forged, params, redirect_uri=_callback(sandbox))
    assert refused.value.evidence.error == "invalid_grant"


def test_it_uses_a_code_once(sandbox, zoom_account, browser) -> None:
    adapter = get_adapter("zoom")
    start = adapter.begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    params = redirect_params(consent(browser, start.url))
    assert adapter.finish_oauth(start.flow, params, redirect_uri=_callback(sandbox)).access_token
    with pytest.raises(PlatformError) as again:
        adapter.finish_oauth(start.flow, params, redirect_uri=_callback(sandbox))
    assert again.value.situation == "grant_revoked"


def test_it_binds_the_code_to_its_redirect_uri(sandbox, zoom_account, browser) -> None:
    adapter = get_adapter("zoom")
    start = adapter.begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    params = redirect_params(consent(browser, start.url))
    with pytest.raises(PlatformError) as mismatch:
        adapter.finish_oauth(start.flow, params, redirect_uri=_callback(sandbox) + "other/")
    assert mismatch.value.situation == "operator_config"


def test_it_reads_a_declined_consent(sandbox, zoom_account, browser) -> None:
    adapter = get_adapter("zoom")
    start = adapter.begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    params = redirect_params(consent(browser, start.url, decision="deny"))
    assert params["error"] == "access_denied"
    with pytest.raises(PlatformError) as declined:
        adapter.finish_oauth(start.flow, params, redirect_uri=_callback(sandbox))
    assert declined.value.situation == "consent_missing"


def test_it_lets_a_person_pick_the_account_without_a_login_hint(
    sandbox, zoom_account, browser
) -> None:
    adapter = get_adapter("zoom")
    start = adapter.begin_oauth(redirect_uri=_callback(sandbox))
    params = redirect_params(consent(browser, start.url, email=zoom_account.person.email))
    grant = adapter.finish_oauth(start.flow, params, redirect_uri=_callback(sandbox))
    assert grant.upstream_user_id == zoom_account.upstream_user_id
    assert grant.workspace_id == zoom_account.workspace_id


@pytest.mark.parametrize(
    ("situation", "code"), [("app_disabled", "4717"), ("consent_missing", "4738")]
)
def test_it_stops_at_the_authorize_step_when_an_admin_must_act(
    sandbox, zoom_account, browser, situation, code
) -> None:
    sandbox.situation("zoom", zoom_account.person.email, situation)
    start = get_adapter("zoom").begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    answer = consent(browser, start.url)
    assert answer.status_code == 403
    assert code in answer.text


def test_it_heals_a_revoked_grant_with_a_new_sign_in(sandbox, zoom_account, browser) -> None:
    adapter = get_adapter("zoom")
    sandbox.situation("zoom", zoom_account.person.email, "grant_revoked")
    assert adapter.check(_credential(zoom_account)).situation == "grant_revoked"
    start = adapter.begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    grant = adapter.finish_oauth(
        start.flow, redirect_params(consent(browser, start.url)), redirect_uri=_callback(sandbox)
    )
    assert SandboxUser.objects.get(platform="zoom", email=zoom_account.person.email).situation == ""
    assert adapter.probe(None, grant.access_token).upstream_user_id == zoom_account.upstream_user_id


# --- the chatbot --------------------------------------------------------------------------------
def test_it_delivers_one_message_per_idempotency_key(sandbox, zoom_account) -> None:
    adapter = get_adapter("zoom")
    first = adapter.send(_installation(zoom_account), zoom_account, MESSAGE)
    again = adapter.send(_installation(zoom_account), zoom_account, MESSAGE)
    assert first.message_id
    assert again.message_id == first.message_id
    delivered = sandbox.inbox("zoom", zoom_account.person.email)
    assert len(delivered) == 1
    assert delivered[0]["content_type"].endswith("idempotency-key=prompt-42")
    payload = json.loads(delivered[0]["payload"])
    assert payload["to_jid"] == zoom_account.chat_address
    assert payload["account_id"] == zoom_account.workspace_id


def test_it_keeps_the_chatbot_token_between_sends(sandbox, zoom_account) -> None:
    adapter = get_adapter("zoom")
    installation = _installation(zoom_account)
    adapter.send(installation, zoom_account, Message(title="one", text="1"))
    # The same objects again, as a caller sending several messages in a row would.
    adapter.send(installation, zoom_account, Message(title="one again", text="1b"))
    cached = _installation(zoom_account).credential
    assert cached.access_token
    assert cached.expires_at > timezone.now() + timedelta(minutes=50)
    # Were a second token requested, this would refuse it.
    sandbox.script(
        "zoom", "bot_token", status=400, body={"reason": "no", "error": "invalid_client"}
    )
    adapter.send(_installation(zoom_account), zoom_account, Message(title="two", text="2"))
    assert len(sandbox.inbox("zoom", zoom_account.person.email)) == 3


def test_it_takes_a_new_chatbot_token_when_zoom_refuses_the_kept_one(sandbox, zoom_account) -> None:
    credential = _installation(zoom_account).credential
    credential.access_token = "a-token-zoom-no-longer-knows"
    credential.expires_at = timezone.now() + timedelta(minutes=30)
    credential.save()
    get_adapter("zoom").send(_installation(zoom_account), zoom_account, MESSAGE)
    assert len(sandbox.inbox("zoom", zoom_account.person.email)) == 1
    assert (
        reveal(_installation(zoom_account).credential.access_token)
        != "a-token-zoom-no-longer-knows"
    )


def test_it_reads_a_chatbot_that_is_not_installed(sandbox, zoom_account) -> None:
    SandboxToken.objects.filter(platform="zoom", meta__installation=True).update(revoked=True)
    with pytest.raises(PlatformError) as refused:
        get_adapter("zoom").send(_installation(zoom_account), zoom_account, MESSAGE)
    assert refused.value.situation == "app_uninstalled"
    assert refused.value.evidence.error_codes == ["7004"]
    assert sandbox.inbox("zoom") == []


def test_it_reads_a_disabled_app_when_the_chatbot_asks_for_a_token(sandbox, zoom_account) -> None:
    sandbox.script(
        "zoom",
        "bot_token",
        status=400,
        body={"status": False, "errorCode": 4717, "errorMessage": "The app has been disabled"},
    )
    with pytest.raises(PlatformError) as refused:
        get_adapter("zoom").send(_installation(zoom_account), zoom_account, MESSAGE)
    assert refused.value.situation == "app_disabled"


def test_it_checks_the_chatbot_credential_with_client_credentials(sandbox, zoom_account) -> None:
    adapter = get_adapter("zoom")
    bot = _installation(zoom_account).credential
    assert adapter.check(bot).healthy
    sandbox.script(
        "zoom",
        "bot_token",
        status=400,
        body={"reason": "Invalid client", "error": "invalid_client"},
    )
    assert adapter.check(Credential.objects.get(pk=bot.pk)).situation == "operator_config"


# --- storage and the inbox ----------------------------------------------------------------------
def test_it_never_keeps_zoom_tokens_in_plaintext(sandbox, zoom_account) -> None:
    credential = _credential(zoom_account)
    tokens = [reveal(credential.access_token), reveal(credential.refresh_token)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM tokens_credential WHERE id = %s",
            [credential.pk],
        )
        stored = " ".join(cursor.fetchone())
        cursor.execute("SELECT token_hash, meta FROM sandbox_sandboxtoken")
        sandbox_rows = " ".join(str(value) for row in cursor.fetchall() for value in row)
    for token in tokens:
        assert token.startswith("eyJ")  # JWT-shaped, like Zoom's
        assert token not in stored
        assert token not in sandbox_rows


def test_it_shows_the_message_in_a_zoom_like_inbox(sandbox, zoom_account, browser) -> None:
    get_adapter("zoom").send(_installation(zoom_account), zoom_account, MESSAGE)
    site = sandbox.base.rsplit("/sandbox", 1)[0]
    page = browser.get(f"{site}/sandbox/inbox/zoom/{zoom_account.person.email}/", timeout=30)
    assert page.status_code == 200
    assert MESSAGE.title in page.text
    assert 'href="https://heal.example.com/r/abc"' in page.text
    assert "zm-card" in page.text
    assert "border-left-color: #E8A317" in page.text  # the warning tone
