"""On-use detection: the relay reports a failed send; it is classified and recorded like a check.

Through ``POST /api/relay-failures/`` (per-tenant key, over real HTTP to the live server) and
the Python function ``report_relay_failure``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.factories import make_tenant
from tokens.events import report_relay_failure
from tokens.models import CheckRecord, CredentialState, RelayApiKey
from tokens.relaykeys import issue_relay_key, revoke
from tokens.tests.conftest import PLATFORMS, fresh
from tokens.tests.test_scripted import entra


def post(live_server, key: str | None, body: Any, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    http = requests.Session()
    http.trust_env = False
    return http.post(
        f"{live_server.url}/api/relay-failures/", json=body, headers=headers, timeout=30, **kw
    )


# (platform, status, raw body the relay saw, sandbox situation behind it, expected situation)
REPORTS = [
    ("slack", 200, {"ok": False, "error": "account_inactive"}, "user_deleted", "user_deleted"),
    ("teams", 400, entra(53003, suberror="message_only"), "ca_blocked", "ca_blocked"),
    (
        "zoom",
        400,
        {"reason": "Invalid Token!", "error": "invalid_grant"},
        "grant_revoked",
        "grant_revoked",
    ),
    (
        "webex",
        403,
        {"message": "Forbidden", "errors": [{"description": "Forbidden"}]},
        "insufficient_scope",
        "insufficient_scope",
    ),
]


@pytest.mark.parametrize(
    ("platform", "status", "body", "upstream", "expected"),
    [r for r in REPORTS if r[0] in PLATFORMS],
    ids=[r[0] for r in REPORTS if r[0] in PLATFORMS],
)
def test_it_classifies_a_reported_failure_and_confirms_it_with_a_check(
    sandbox, enroll, live_server, platform, status, body, upstream, expected
) -> None:
    account = enroll(platform)
    key = issue_relay_key(account.person.tenant, "relay-1")
    sandbox.situation(platform, account.person.email, upstream)
    response = post(
        live_server,
        key,
        {"platform": platform, "user": account.upstream_user_id, "status": status, "body": body},
    )
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["situation"] == expected
    checks = list(CheckRecord.objects.filter(credential_id=account.credential_id).order_by("pk"))
    assert [c.source for c in checks] == [CheckRecord.Source.RELAY] * 2  # report + confirmation
    assert checks[0].situation == expected
    assert checks[0].evidence["endpoint"] == "relay"
    assert checks[1].situation == expected  # the real check agrees
    assert fresh(account).situation == expected


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
def test_it_lets_the_confirming_check_overrule_a_wrong_report(sandbox, enroll, live_server) -> None:
    account = enroll("slack")
    key = issue_relay_key(account.person.tenant)
    response = post(
        live_server,
        key,
        {
            "platform": "slack",
            "user": account.person.email,
            "status": 200,
            "body": '{"ok": false, "error": "token_revoked"}',
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["situation"] == "grant_revoked"
    # The token works when really checked: healthy again, nobody left waiting.
    assert fresh(account).state == CredentialState.HEALTHY


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
def test_a_throttled_send_backs_off_without_a_check(sandbox, enroll) -> None:
    account = enroll("slack")
    check = report_relay_failure(
        account.person.tenant,
        "slack",
        account.person.email,
        429,
        {"ok": False, "error": "ratelimited"},
    )
    assert check.outcome == CheckRecord.Outcome.TRANSIENT
    assert CheckRecord.objects.filter(credential_id=account.credential_id).count() == 1
    assert fresh(account).state == CredentialState.HEALING


def test_it_refuses_a_report_without_a_valid_key(db, live_server) -> None:
    tenant = make_tenant()
    key = issue_relay_key(tenant)
    body = {"platform": "slack", "user": "U1", "status": 401, "body": "{}"}
    for bad in (None, "mio_relay_wrong", key + "x"):
        response = post(live_server, bad, body)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "error" in response.json()
    revoke(RelayApiKey.objects.get().pk)
    assert post(live_server, key, body).status_code == 401


def test_it_stores_only_a_hash_of_the_key(db) -> None:
    key = issue_relay_key(make_tenant(), "eu-1")
    stored = RelayApiKey.objects.get()
    assert key not in (stored.key_hash, stored.prefix, stored.name, repr(stored), str(stored))
    assert key.startswith(stored.prefix)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "JSON"),
        (["a", "list"], 400, "JSON object"),
        ({"user": "U1", "status": 401, "body": "{}"}, 400, "platform"),
        ({"platform": "myspace", "user": "U1", "status": 401, "body": "{}"}, 400, "platform"),
        ({"platform": "slack", "status": 401, "body": "{}"}, 400, "user"),
        ({"platform": "slack", "user": "U1", "status": 99, "body": "{}"}, 400, "status"),
        ({"platform": "slack", "user": "U1", "status": "401", "body": "{}"}, 400, "status"),
        ({"platform": "slack", "user": "U1", "status": 401}, 400, "body"),
        ({"platform": "slack", "user": "U1", "status": 401, "body": 5}, 400, "body"),
        ({"platform": "slack", "user": "nobody", "status": 401, "body": "{}"}, 404, "no slack"),
    ],
)
def test_it_answers_a_bad_report_with_a_clear_4xx(db, live_server, body, status, message) -> None:
    key = issue_relay_key(make_tenant())
    http = requests.Session()
    http.trust_env = False
    response = http.post(
        f"{live_server.url}/api/relay-failures/",
        data=body if isinstance(body, str) else None,
        json=None if isinstance(body, str) else body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == status, response.text
    assert message in response.json()["error"]


def test_it_answers_other_methods_and_huge_bodies_with_4xx(db, live_server) -> None:
    key = issue_relay_key(make_tenant())
    http = requests.Session()
    http.trust_env = False
    url = f"{live_server.url}/api/relay-failures/"
    got = http.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert got.status_code == 405
    assert got.headers["Allow"] == "POST"
    huge = {"platform": "slack", "user": "U1", "status": 500, "body": "x" * 70_000}
    assert post(live_server, key, huge).status_code == 413


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
def test_a_tenants_key_cannot_report_for_another_tenant(sandbox, enroll, live_server) -> None:
    account = enroll("slack")
    other_key = issue_relay_key(make_tenant())
    response = post(
        live_server,
        other_key,
        {"platform": "slack", "user": account.upstream_user_id, "status": 200, "body": "{}"},
    )
    assert response.status_code == 404
    assert not CheckRecord.objects.exists()
