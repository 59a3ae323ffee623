"""Slack's OAuth v2 through slack-sdk against the sandbox's consent page, over real HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from platforms.errors import PlatformError
from platforms.sandbox.models import SandboxUser
from platforms.slack.oauth import USER_SCOPES, challenge_of
from platforms.tests.contract import _hidden_fields
from tokens.models import Credential
from tokens.provisioning import attach_account


def _http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _consent(url: str, decision: str = "allow") -> dict[str, str]:
    http = _http()
    page = http.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    answer = http.post(
        url,
        data={"decision": decision, **_hidden_fields(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    return {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}


@pytest.fixture
def redirect_uri(sandbox) -> str:
    return f"{sandbox.base.rsplit('/sandbox', 1)[0]}/resync/callback/?via=slack"


def test_it_asks_for_user_scopes_with_state_and_a_pkce_challenge(
    sandbox, slack, slack_account, redirect_uri
) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    url = urlparse(start.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path.endswith("/sandbox/slack/oauth/v2/authorize")
    assert query["state"] == start.flow["state"]
    assert query["user_scope"] == ",".join(USER_SCOPES)
    assert query["redirect_uri"] == redirect_uri  # encoded, so its own query survives
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == challenge_of(start.flow["code_verifier"])


def test_it_shows_a_slack_consent_page_with_the_app_and_scopes(
    sandbox, slack, slack_account, redirect_uri
) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    page = _http().get(start.url, timeout=30)
    assert page.status_code == 200
    assert "Mio Auto Heal" in page.text
    assert "Send messages on your behalf" in page.text
    assert re.search(r'name="decision" value="allow"', page.text)
    assert re.search(r'name="decision" value="deny"', page.text)
    assert 'action=""' in page.text


def test_it_refuses_an_unknown_app_with_a_clear_page(sandbox, slack, redirect_uri) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri)
    page = _http().get(start.url.replace("client_id=", "client_id=9"), timeout=30)
    assert page.status_code == 400
    assert "invalid_client_id" in page.text


def test_it_names_the_user_and_their_email_after_consent(
    sandbox, slack, slack_account, redirect_uri
) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    grant = slack.finish_oauth(start.flow, _consent(start.url), redirect_uri=redirect_uri)
    assert grant.upstream_user_id == slack_account.upstream_user_id
    assert grant.workspace_id == slack_account.workspace_id
    assert grant.email == slack_account.person.email
    assert grant.access_token.startswith("xoxe.xoxp-1-")
    assert grant.refresh_token.startswith("xoxe-1-")
    assert grant.expires_in == 12 * 3600


def test_it_reads_a_deny_as_consent_missing(sandbox, slack, slack_account, redirect_uri) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    params = _consent(start.url, decision="deny")
    assert params["error"] == "access_denied"
    with pytest.raises(PlatformError) as caught:
        slack.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
    assert caught.value.situation == "consent_missing"
    assert caught.value.evidence.error == "access_denied"


def test_it_redeems_a_code_only_once(sandbox, slack, slack_account, redirect_uri) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    params = _consent(start.url)
    slack.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
    with pytest.raises(PlatformError) as caught:
        slack.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
    assert caught.value.evidence.error == "invalid_code"


def test_it_binds_the_code_to_the_pkce_verifier(
    sandbox, slack, slack_account, redirect_uri
) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    params = _consent(start.url)
    stolen = {**start.flow, "code_verifier": "an-attacker-does-not-have-the-verifier" * 2}
    with pytest.raises(PlatformError) as caught:
        slack.finish_oauth(stolen, params, redirect_uri=redirect_uri)
    assert caught.value.evidence.error == "invalid_code"


def test_it_binds_the_code_to_the_redirect_uri(sandbox, slack, slack_account, redirect_uri) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    params = _consent(start.url)
    with pytest.raises(PlatformError) as caught:
        slack.finish_oauth(start.flow, params, redirect_uri=redirect_uri + "&other=1")
    assert caught.value.situation == "operator_config"
    assert caught.value.evidence.error == "bad_redirect_uri"


def test_it_refuses_an_answer_without_state(sandbox, slack, slack_account, redirect_uri) -> None:
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    params = _consent(start.url)
    params.pop("state")
    with pytest.raises(ValueError, match="state"):
        slack.finish_oauth(start.flow, params, redirect_uri=redirect_uri)


def test_it_heals_a_user_fixable_situation_by_signing_in_again(
    sandbox, slack, slack_account, redirect_uri
) -> None:
    email = slack_account.person.email
    sandbox.situation("slack", email, "mfa_enrollment_required")
    assert slack.check(Credential.objects.get(pk=slack_account.credential_id)).situation == (
        "mfa_enrollment_required"
    )
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=email)
    grant = slack.finish_oauth(start.flow, _consent(start.url), redirect_uri=redirect_uri)
    account = attach_account(slack_account.person, "slack", grant)
    assert slack.check(Credential.objects.get(pk=account.credential_id)).healthy
    assert SandboxUser.objects.get(platform="slack", email=email).situation == ""


def test_it_refuses_consent_while_an_admin_must_act(
    sandbox, slack, slack_account, redirect_uri
) -> None:
    sandbox.situation("slack", slack_account.person.email, "app_disabled")
    start = slack.begin_oauth(redirect_uri=redirect_uri, login_hint=slack_account.person.email)
    page = _http().get(start.url, timeout=30)
    assert "admins" in page.text
    assert 'value="allow"' not in page.text
    params = _consent(start.url, decision="allow")  # a forged Allow is refused all the same
    assert params["error"] == "access_denied"
    with pytest.raises(PlatformError):
        slack.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
