"""The Teams re-sign-in through msal's auth-code flow against the fake Entra's consent page."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from platforms.errors import PlatformError
from platforms.sandbox.models import SandboxUser
from platforms.teams.tests.conftest import credential_of
from platforms.tests.contract import _hidden_fields


def browser() -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    return http


def consent(url: str, decision: str, **fields: str) -> dict[str, str]:
    http = browser()
    page = http.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    answer = http.post(
        url,
        data={**_hidden_fields(page.text), **fields, "decision": decision},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    return {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}


@pytest.fixture
def redirect_uri(sandbox) -> str:
    return sandbox.base.replace("/sandbox/api", "/resync/callback/")


def test_it_asks_for_state_pkce_and_a_nonce(sandbox, teams, teams_account, redirect_uri) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    query = {k: v[0] for k, v in parse_qs(urlparse(start.url).query).items()}
    assert start.url.startswith(sandbox.base.replace("/api", "/teams/login/organizations/"))
    assert query["state"] == start.flow["state"]
    assert query["code_challenge_method"] == "S256"
    verifier = start.flow["code_verifier"]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == digest.decode()
    assert query["nonce"]
    assert query["login_hint"] == teams_account.person.email
    json.dumps(start.flow)  # the flow is kept server-side as JSON


def test_it_names_the_user_and_tenant_from_the_id_token(
    sandbox, teams, teams_account, redirect_uri
) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    grant = teams.finish_oauth(start.flow, consent(start.url, "allow"), redirect_uri=redirect_uri)
    assert grant.upstream_user_id == teams_account.upstream_user_id
    assert grant.workspace_id == teams_account.workspace_id
    assert grant.email == teams_account.person.email
    assert grant.refresh_token
    assert "User.Read" in grant.scopes


def test_it_reads_a_declined_consent(sandbox, teams, teams_account, redirect_uri) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    params = consent(start.url, "deny")
    assert params["error"] == "access_denied"
    with pytest.raises(PlatformError) as caught:
        teams.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
    assert caught.value.situation == "consent_missing"
    assert caught.value.evidence.error_codes == ["65004"]


@pytest.mark.parametrize(
    ("situation", "code"),
    [("ca_blocked", "53003"), ("consent_missing", "65001"), ("user_disabled", "50057")],
)
def test_it_refuses_a_user_an_admin_must_unblock(
    sandbox, teams, teams_account, redirect_uri, situation, code
) -> None:
    sandbox.situation("teams", teams_account.person.email, situation)
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    with pytest.raises(PlatformError) as caught:
        teams.finish_oauth(start.flow, consent(start.url, "allow"), redirect_uri=redirect_uri)
    assert caught.value.situation == situation
    assert caught.value.evidence.error_codes == [code]


@pytest.mark.parametrize(
    "situation", ["grant_revoked", "mfa_enrollment_required", "refresh_token_inactive"]
)
def test_it_heals_what_a_sign_in_fixes(
    sandbox, teams, teams_account, redirect_uri, situation
) -> None:
    from tokens.provisioning import attach_account

    sandbox.situation("teams", teams_account.person.email, situation)
    assert teams.check(credential_of(teams_account)).situation == situation
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    grant = teams.finish_oauth(start.flow, consent(start.url, "allow"), redirect_uri=redirect_uri)
    account = attach_account(teams_account.person, "teams", grant)
    assert teams.check(credential_of(account)).healthy
    assert SandboxUser.objects.get(email=teams_account.person.email).situation == ""


def test_it_redeems_a_code_once(sandbox, teams, teams_account, redirect_uri) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    params = consent(start.url, "allow")
    teams.finish_oauth(dict(start.flow), dict(params), redirect_uri=redirect_uri)
    with pytest.raises(PlatformError) as caught:
        teams.finish_oauth(dict(start.flow), dict(params), redirect_uri=redirect_uri)
    assert caught.value.evidence.error_codes == ["54005"]
    assert caught.value.situation == "grant_revoked"


def test_it_binds_the_code_to_the_pkce_verifier(
    sandbox, teams, teams_account, redirect_uri
) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    params = consent(start.url, "allow")
    forged = {**start.flow, "code_verifier": "x" * 43}
    with pytest.raises(PlatformError) as caught:
        teams.finish_oauth(forged, params, redirect_uri=redirect_uri)
    assert caught.value.evidence.error_codes == ["501481"]


def test_it_refuses_another_redirect_uri(sandbox, teams, teams_account, redirect_uri) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    params = consent(start.url, "allow")
    with pytest.raises(ValueError, match="redirect URI"):
        teams.finish_oauth(start.flow, params, redirect_uri=redirect_uri + "elsewhere/")


def test_it_lets_a_person_type_who_signs_in(sandbox, teams, teams_account, redirect_uri) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri)
    page = browser().get(start.url, timeout=30)
    assert 'name="login_hint"' in page.text
    assert "login_hint" not in _hidden_fields(page.text)
    unknown = browser().post(
        start.url, data={"login_hint": "nobody@nowhere.example", "decision": "allow"}, timeout=30
    )
    assert unknown.status_code == 200
    assert "This username may be incorrect" in unknown.text
    params = consent(start.url, "allow", login_hint=teams_account.person.email)
    grant = teams.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
    assert grant.upstream_user_id == teams_account.upstream_user_id


def test_it_shows_an_entra_error_page_for_an_unknown_app(sandbox, live_server) -> None:
    url = (
        f"{live_server.url}/sandbox/teams/login/organizations/oauth2/v2.0/authorize"
        "?client_id=not-our-app&response_type=code&redirect_uri=https://x.example/cb&state=s"
    )
    page = browser().get(url, timeout=30)
    assert page.status_code == 400
    assert "AADSTS700016" in page.text


def test_it_looks_like_a_microsoft_consent_page(
    sandbox, teams, teams_account, redirect_uri
) -> None:
    start = teams.begin_oauth(redirect_uri=redirect_uri, login_hint=teams_account.person.email)
    html = browser().get(start.url, timeout=30).text
    assert "Permissions requested" in html
    assert "Sign you in and read your profile" in html
    assert "Mio Auto Heal" in html
    assert 'value="allow"' in html
    assert 'value="deny"' in html
    assert '<form method="post" action="">' in html
