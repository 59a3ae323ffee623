"""The fake Webex over real HTTP: token endpoint, people/me, messages, consent page."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from django.utils import timezone

from platforms.sandbox.fakes.webex import WebexFake
from platforms.sandbox.fakes.webex.shapes import UNAUTHORIZED_TEXT
from platforms.sandbox.models import SandboxToken, SandboxUser
from platforms.sandbox.registry import get_fake

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9+/]{40,}_PF84_[0-9a-f-]{36}$")
CARD = {"type": "AdaptiveCard", "version": "1.3", "body": [{"type": "TextBlock", "text": "Hi"}]}
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


@pytest.fixture
def api(sandbox) -> str:
    return sandbox.base.replace("/sandbox/api", "/sandbox/webex/api")


@pytest.fixture
def user(sandbox) -> dict:
    return sandbox.provision("webex", "grace@hopper.example", "Grace Hopper")


@pytest.fixture
def app(settings) -> dict[str, str]:
    return settings.PLATFORM_APPS["webex"]


def token_form(app: dict[str, str], **fields: str) -> dict[str, str]:
    return {"client_id": app["client_id"], "client_secret": app["client_secret"], **fields}


def authorize_query(app, redirect_uri: str, **extra: str) -> str:
    params = {
        "client_id": app["client_id"],
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": "spark:people_read spark:kms",
        "state": "s-123",
        **extra,
    }
    return urlencode(params)


def consent(http, api, query: str, decision: str, account: str = "") -> requests.Response:
    data = {"decision": decision, **({"account": account} if account else {})}
    return http.post(f"{api}/authorize?{query}", data=data, allow_redirects=False, timeout=10)


def redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    query = urlparse(response.headers["Location"]).query
    return {k: v[0] for k, v in parse_qs(query).items()}


def test_it_answers_a_bad_token_with_webex_s_401_envelope(http, api) -> None:
    answer = http.get(f"{api}/people/me", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert answer.status_code == 401
    body = answer.json()
    assert body["message"] == UNAUTHORIZED_TEXT
    assert body["errors"] == [{"description": UNAUTHORIZED_TEXT}]
    assert body["trackingId"].startswith("ROUTER_")
    assert answer.headers["TrackingID"] == body["trackingId"]


def test_it_issues_webex_shaped_tokens_and_keeps_only_their_hashes(user) -> None:
    grant = user["grant"]
    for value in (grant["access_token"], grant["refresh_token"]):
        assert TOKEN_SHAPE.match(value), value
        row = SandboxToken.objects.get(token_hash=hashlib.sha256(value.encode()).hexdigest())
        assert value not in repr(row.__dict__)
    assert grant["expires_in"] == 1209599
    assert grant["refresh_expires_in"] == 7776000
    person = base64.b64decode(user["user"]["upstream_id"] + "==").decode()
    assert person.startswith("ciscospark://us/PEOPLE/")


def test_it_refreshes_without_rotating_and_restarts_the_90_days(http, api, app, user) -> None:
    refresh = user["grant"]["refresh_token"]
    row = SandboxToken.objects.get(token_hash=hashlib.sha256(refresh.encode()).hexdigest())
    SandboxToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() + timedelta(days=3))
    answer = http.post(
        f"{api}/access_token",
        data=token_form(app, grant_type="refresh_token", refresh_token=refresh),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["refresh_token"] == refresh
    assert body["refresh_token_expires_in"] == 7776000
    assert body["expires_in"] == 1209599
    assert body["access_token"] != user["grant"]["access_token"]
    row.refresh_from_db()
    assert row.expires_at > timezone.now() + timedelta(days=89)
    me = http.get(
        f"{api}/people/me", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["id"] == user["user"]["upstream_id"]
    assert me.json()["emails"] == ["grace@hopper.example"]


def test_it_refuses_a_wrong_client_secret_and_an_unknown_grant(http, api, app, user) -> None:
    refresh = user["grant"]["refresh_token"]
    form = token_form(app, grant_type="refresh_token", refresh_token=refresh)
    answer = http.post(f"{api}/access_token", data={**form, "client_secret": "x"}, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    answer = http.post(f"{api}/access_token", data={**form, "grant_type": "password"}, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_it_binds_codes_to_pkce_and_the_redirect_uri_and_spends_them_once(
    http, api, app, user
) -> None:
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    pkce = {"code_challenge": challenge.decode().rstrip("="), "code_challenge_method": "S256"}
    callback = "http://127.0.0.1:9/callback"
    query = authorize_query(app, callback, login_hint="grace@hopper.example", **pkce)

    def code() -> str:
        return redirect_params(consent(http, api, query, "allow"))["code"]

    def exchange(value: str, **overrides: str) -> requests.Response:
        fields = {"grant_type": "authorization_code", "code": value, "redirect_uri": callback}
        fields["code_verifier"] = verifier
        form = token_form(app, **{**fields, **overrides})
        return http.post(f"{api}/access_token", data=form, timeout=10)

    first = code()
    # Refused by the identity broker, wrapped by the router like a refused refresh token.
    assert "error = 'invalid_grant'" in exchange(first, code_verifier="w" * 64).json()["message"]
    assert exchange(first).status_code == 400  # spent by the failed attempt
    assert exchange(code(), redirect_uri="http://127.0.0.1:9/other").status_code == 400
    good = code()
    answer = exchange(good)
    assert answer.status_code == 200, answer.text
    assert TOKEN_SHAPE.match(answer.json()["access_token"])
    assert "error = 'invalid_grant'" in exchange(good).json()["message"]


def test_it_shows_a_consent_page_with_the_app_its_scopes_and_two_buttons(http, api, app) -> None:
    query = authorize_query(app, "http://127.0.0.1:9/cb", login_hint="grace@hopper.example")
    page = http.get(f"{api}/authorize?{query}", timeout=10)
    assert page.status_code == 200
    html = page.text
    assert "Mio Auto Heal" in html
    assert "spark:people_read" in html
    assert "Read your company directory" in html
    assert 'action=""' in html
    assert 'name="decision" value="allow"' in html
    assert 'name="decision" value="deny"' in html
    assert '<input type="hidden" name="state" value="s-123">' in html
    assert 'value="grace@hopper.example"' in html


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("client_id=nope&response_type=code&redirect_uri=http://x.example/&scope=spark:kms", 400),
        ("client_id={cid}&response_type=code&redirect_uri=javascript:alert(1)&scope=x", 400),
    ],
)
def test_it_refuses_bad_authorize_requests_with_a_clear_page(http, api, app, query, status) -> None:
    page = http.get(f"{api}/authorize?{query.format(cid=app['client_id'])}", timeout=10)
    assert page.status_code == status
    assert "Invalid" in page.text


def test_it_redirects_an_unknown_scope_as_invalid_scope(http, api, app) -> None:
    query = authorize_query(app, "http://127.0.0.1:9/cb").replace("spark%3Akms", "spark%3Aall")
    page = http.get(f"{api}/authorize?{query}", allow_redirects=False, timeout=10)
    assert redirect_params(page) == {"error": "invalid_scope", "state": "s-123"}


def test_it_redirects_access_denied_when_the_user_declines(http, api, app, user) -> None:
    query = authorize_query(app, "http://127.0.0.1:9/cb?keep=1")
    params = redirect_params(consent(http, api, query, "deny"))
    assert params["error"] == "access_denied"
    assert params["state"] == "s-123"
    assert params["keep"] == "1"


def test_it_says_when_no_such_account_signs_in(http, api, app, user) -> None:
    query = authorize_query(app, "http://127.0.0.1:9/cb")
    page = consent(http, api, query, "allow", account="nobody@hopper.example")
    assert page.status_code == 400
    assert "There is no Webex account for nobody@hopper.example" in page.text


def test_it_heals_what_a_fresh_sign_in_heals(http, api, app, sandbox, user) -> None:
    sandbox.situation("webex", "grace@hopper.example", "grant_revoked")
    query = authorize_query(app, "http://127.0.0.1:9/cb", login_hint="grace@hopper.example")
    assert "code" in redirect_params(consent(http, api, query, "allow"))
    assert SandboxUser.objects.get(platform="webex", email="grace@hopper.example").situation == ""


def test_it_refuses_the_sign_in_of_a_deactivated_account(http, api, app, sandbox, user) -> None:
    sandbox.situation("webex", "grace@hopper.example", "user_disabled")
    query = authorize_query(app, "http://127.0.0.1:9/cb", login_hint="grace@hopper.example")
    page = consent(http, api, query, "allow")
    assert page.status_code == 403
    assert "deactivated" in page.text
    assert SandboxUser.objects.get(email="grace@hopper.example").situation == "user_disabled"


def test_it_refuses_an_integration_blocked_by_the_org(http, api, app, sandbox, user) -> None:
    sandbox.situation("webex", "grace@hopper.example", "app_disabled")
    query = authorize_query(app, "http://127.0.0.1:9/cb", login_hint="grace@hopper.example")
    assert redirect_params(consent(http, api, query, "allow"))["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("situation", "status"),
    [("transient", 503), ("insufficient_scope", 403), ("grant_revoked", 401)],
)
def test_it_answers_the_probe_as_webex_does_in_each_situation(
    http, api, sandbox, user, situation, status
) -> None:
    sandbox.situation("webex", "grace@hopper.example", situation)
    bearer = {"Authorization": f"Bearer {user['grant']['access_token']}"}
    answer = http.get(f"{api}/people/me", headers=bearer, timeout=10)
    assert answer.status_code == status
    assert answer.json()["trackingId"]
    if status == 503:
        assert answer.headers["Retry-After"] == "5"


def test_it_delivers_a_bot_message_with_a_card(http, api, sandbox, user) -> None:
    bot = get_fake("webex").provision_bot(user["user"]["workspace_id"])
    headers = {"Authorization": f"Bearer {bot['bot_token']}", "TrackingID": "MIO_k-1"}
    body = {
        "toPersonEmail": "grace@hopper.example",
        "markdown": "**Hi**",
        "attachments": [{"contentType": CARD_TYPE, "content": CARD}],
    }
    answer = http.post(f"{api}/messages", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["TrackingID"] == "MIO_k-1"
    assert answer.json()["roomType"] == "direct"
    inbox = sandbox.inbox("webex", "grace@hopper.example")
    assert len(inbox) == 1
    assert inbox[0]["kind"] == "card"
    assert '"toPersonEmail": "grace@hopper.example"' in inbox[0]["payload"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"toPersonEmail": "nobody@hopper.example"}, 404),
        ({"markdown": None}, 400),
        ({"attachments": [{"contentType": "text/html", "content": CARD}]}, 400),
        ({"attachments": [{"contentType": CARD_TYPE, "content": {**CARD, "version": "1.5"}}]}, 400),
        ({"attachments": [{"contentType": CARD_TYPE, "content": CARD}] * 2}, 400),
        ({"toPersonEmail": None}, 400),
    ],
)
def test_it_refuses_bad_messages_with_webex_s_errors(http, api, user, change, status) -> None:
    bot = get_fake("webex").provision_bot(user["user"]["workspace_id"])
    body = {
        "toPersonEmail": "grace@hopper.example",
        "markdown": "**Hi**",
        "attachments": [{"contentType": CARD_TYPE, "content": CARD}],
    }
    body = {k: v for k, v in {**body, **change}.items() if v is not None}
    headers = {"Authorization": f"Bearer {bot['bot_token']}"}
    answer = http.post(f"{api}/messages", json=body, headers=headers, timeout=10)
    assert answer.status_code == status
    assert answer.json()["message"]


def test_it_refuses_a_message_without_a_bot_token_or_json(http, api, user) -> None:
    body = {"toPersonEmail": "grace@hopper.example", "markdown": "x"}
    assert http.post(f"{api}/messages", json=body, timeout=10).status_code == 401
    bot = get_fake("webex").provision_bot("")
    headers = {"Authorization": f"Bearer {bot['bot_token']}", "Content-Type": "application/json"}
    answer = http.post(f"{api}/messages", data="{not json", headers=headers, timeout=10)
    assert answer.status_code == 400
    assert "JSON" in answer.json()["message"]


def test_it_pushes_no_events(sandbox, user) -> None:
    assert WebexFake.events == {}
    answer = sandbox.http.post(
        f"{sandbox.base}/event",
        json={"platform": "webex", "event": "tokens_revoked", "user": "grace@hopper.example"},
        timeout=10,
    )
    assert answer.status_code == 400
    with pytest.raises(ValueError, match="pushes no events"):
        get_fake("webex").emit("x", SandboxUser.objects.get(email="grace@hopper.example"), "")
