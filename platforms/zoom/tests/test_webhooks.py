"""/hooks/zoom/events/: Zoom's handshake, its signature and replay window, app_deauthorized."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Person
from tests.factories import make_account, make_person, make_tenant
from tokens.models import CheckRecord, Credential, PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict

URL = "/hooks/zoom/events/"


def _sign(body: str, stamp: str, secret: str | None = None) -> str:
    key = (secret or settings.PLATFORM_APPS["zoom"]["webhook_secret"]).encode()
    return "v0=" + hmac.new(key, f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()


def _post(client, body: str, *, stamp: str | None = None, signature: str | None = None):
    stamp = stamp if stamp is not None else str(int(time.time()))
    headers = {"x-zm-request-timestamp": stamp}
    headers["x-zm-signature"] = signature if signature is not None else _sign(body, stamp)
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def _deauthorized(account: PlatformAccount, **overrides: str) -> str:
    """app_deauthorized as Zoom POSTs it (event, event_ts, payload with account_id, user_id,
    signature, deauthorization_time, client_id, user_data_retention,
    https://marketplace.zoom.us/docs/api-reference/webhook-reference/app-events/app-deauthorized;
    the same fields echoed in Zoom's data-compliance call, https://gist.github.com/bdeanindy/
    6a034559f4573c0bf5c7693a5d1adfea)."""
    payload = {
        "account_id": account.workspace_id,
        "user_id": account.upstream_user_id,
        "signature": "0" * 64,
        "deauthorization_time": "2026-11-27T08:55:37.123Z",
        "client_id": settings.PLATFORM_APPS["zoom"]["client_id"],
        "user_data_retention": "false",
        **overrides,
    }
    return json.dumps({"event": "app_deauthorized", "event_ts": 1795251337123, "payload": payload})


@pytest.fixture
def account(db) -> PlatformAccount:
    tenant = make_tenant(primary_platform="zoom")
    person = make_person(tenant, email="grace@example.com")
    account = make_account(
        person,
        platform="zoom",
        upstream_user_id="KDcuGIm1QgePTO8WbOqwIQ",
        workspace_id="AcCt0123456789abcdefgh",
    )
    Credential.objects.filter(pk=account.credential_id).update(
        next_check_at=timezone.now() + timezone.timedelta(hours=6)
    )
    return account


def _unchanged(account: PlatformAccount) -> bool:
    credential = Credential.objects.get(pk=account.credential_id)
    return (
        credential.next_check_at > timezone.now()
        and not CheckRecord.objects.filter(credential=credential).exists()
    )


def test_it_answers_the_url_validation_handshake(client, db) -> None:
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}
    )
    response = _post(client, body)
    assert response.status_code == 200
    secret = settings.PLATFORM_APPS["zoom"]["webhook_secret"].encode()
    expected = hmac.new(secret, b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_it_refuses_a_validation_with_a_wrong_signature_or_no_token(client, db) -> None:
    body = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}})
    assert _post(client, body, signature="v0=" + "0" * 64).status_code == 401
    empty = json.dumps({"event": "endpoint.url_validation", "payload": {}})
    assert _post(client, empty).status_code == 400


def test_it_refuses_an_event_without_a_signature(client, account) -> None:
    response = client.post(URL, data=_deauthorized(account), content_type="application/json")
    assert response.status_code == 401
    assert "x-zm-signature" in response.json()["error"]
    assert _unchanged(account)


def test_it_refuses_a_wrong_signature(client, account) -> None:
    body = _deauthorized(account)
    stamp = str(int(time.time()))
    assert (
        _post(
            client, body, stamp=stamp, signature=_sign(body, stamp, secret="not-ours")
        ).status_code
        == 401
    )
    # A signature over another body does not carry over either.
    assert _post(client, body, stamp=stamp, signature=_sign(body + " ", stamp)).status_code == 401
    assert _unchanged(account)


def test_it_refuses_a_stale_timestamp(client, account) -> None:
    stale = str(int(time.time()) - 301)
    body = _deauthorized(account)
    response = _post(client, body, stamp=stale, signature=_sign(body, stale))
    assert response.status_code == 401
    assert "five-minute" in response.json()["error"]
    assert _unchanged(account)


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '{"payload": {}}', "\xff"])
def test_it_refuses_malformed_bodies(client, account, body) -> None:
    assert _post(client, body).status_code == 400
    assert _unchanged(account)


def test_it_refuses_a_deauthorization_without_a_user(client, account) -> None:
    response = _post(client, _deauthorized(account, user_id=""))
    assert response.status_code == 400
    assert _unchanged(account)


def test_it_refuses_other_methods(client, db) -> None:
    assert client.get(URL).status_code == 405


def test_it_ignores_another_apps_deauthorization(client, account) -> None:
    response = _post(client, _deauthorized(account, client_id="someone-else"))
    assert response.status_code == 200
    assert response.json()["ignored"]
    assert _unchanged(account)


def test_it_acknowledges_events_it_does_not_use(client, account) -> None:
    body = json.dumps({"event": "meeting.started", "payload": {"account_id": account.workspace_id}})
    response = _post(client, body)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "ignored": "meeting.started"}
    assert _unchanged(account)


def test_it_accepts_a_timestamp_in_milliseconds(client, account) -> None:
    stamp = str(int(time.time() * 1000))
    body = _deauthorized(account)
    response = _post(client, body, stamp=stamp, signature=_sign(body, stamp))
    assert response.status_code == 200
    assert response.json()["marked"] == 1


def test_it_marks_the_account_when_zoom_reports_a_deauthorization(sandbox) -> None:
    tenant = make_tenant(primary_platform="zoom")
    person: Person = make_person(tenant, email="ada@deauth.example", name="Ada Lovelace")
    data = sandbox.provision("zoom", person.email, person.name)
    account = attach_account(person, "zoom", grant_from_dict(data["grant"]))
    later = timezone.now() + timezone.timedelta(hours=6)
    Credential.objects.filter(pk=account.credential_id).update(next_check_at=later)

    delivery = sandbox.event("zoom", "app_deauthorized", person.email)["delivery"]

    assert delivery["status"] == 200, delivery
    assert json.loads(delivery["response"])["marked"] == 1
    credential = Credential.objects.get(pk=account.credential_id)
    checks = CheckRecord.objects.filter(credential=credential, source=CheckRecord.Source.EVENT)
    assert credential.next_check_at <= timezone.now() or checks.exists()
    for check in checks:  # where the queued check already ran, it found the grant gone
        assert check.situation == "grant_revoked"


def _validation(plain: str) -> str:
    return json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": plain}})


def test_it_refuses_to_sign_a_forged_event_through_an_unsigned_validation(client, account) -> None:
    # The signing-oracle attack: an event signature is HMAC(secret, "v0:{ts}:{body}"), so a
    # handshake answering HMAC(secret, plainToken) for this plainToken would sign the forgery.
    stamp = str(int(time.time()))
    forged = _deauthorized(account)
    oracle = client.post(
        URL, data=_validation(f"v0:{stamp}:{forged}"), content_type="application/json"
    )
    assert oracle.status_code == 401
    assert "encryptedToken" not in oracle.json()
    assert _unchanged(account)


def test_it_refuses_an_unsigned_validation_even_with_a_plain_token(client, db) -> None:
    answer = client.post(
        URL, data=_validation("qgg8vlvZRS6UYooatFL8Aw"), content_type="application/json"
    )
    assert answer.status_code == 401
    assert "x-zm-signature" in answer.json()["error"]


@pytest.mark.parametrize(
    "plain",
    [f"v0:{int(time.time())}:{{}}", "a" * 65, "abc\n", "a b", "plain+token="],
    ids=["event-shaped", "too-long", "trailing-newline", "space", "base64-chars"],
)
def test_it_signs_back_only_a_short_opaque_plain_token(client, db, plain) -> None:
    # Even a genuinely signed validation never gets an HMAC of text shaped like anything else.
    answer = _post(client, _validation(plain))
    assert answer.status_code == 400
    assert "plainToken" in answer.json()["error"]


def test_it_answers_a_signed_validation_stamped_in_milliseconds(client, db) -> None:
    body = _validation("Zm9vYmFy_-09")
    stamp = str(int(time.time() * 1000))
    answer = _post(client, body, stamp=stamp, signature=_sign(body, stamp))
    assert answer.status_code == 200
    assert answer.json()["plainToken"] == "Zm9vYmFy_-09"


@pytest.fixture
def no_secret(settings):
    # A new dict: the settings fixture restores PLATFORM_APPS, not a dict mutated in place.
    apps = dict(settings.PLATFORM_APPS)
    apps["zoom"] = {**apps["zoom"], "webhook_secret": ""}
    settings.PLATFORM_APPS = apps


def _sign_with_empty_key(body: str, stamp: str) -> str:
    return "v0=" + hmac.new(b"", f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()


def test_it_refuses_every_event_when_no_secret_is_configured(client, account, no_secret) -> None:
    stamp = str(int(time.time()))
    for body in (_deauthorized(account), _validation("qgg8vlvZRS6UYooatFL8Aw")):
        answer = _post(client, body, stamp=stamp, signature=_sign_with_empty_key(body, stamp))
        assert answer.status_code == 403
        assert "ZOOM_WEBHOOK_SECRET" in answer.json()["error"]
        assert "encryptedToken" not in answer.json()
    assert _unchanged(account)


@pytest.mark.parametrize(
    "stamp",
    [
        "nan",  # float("nan") passed the window check: a signature that never expires
        "inf",
        "1e9",
        " " + str(int(time.time())),
        str(int(time.time())).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
        "9" * 400,
    ],
    ids=["nan", "inf", "exponent", "space", "arabic-digits", "400-digits"],
)
def test_it_refuses_a_timestamp_that_is_not_a_plain_unix_time(client, account, stamp) -> None:
    # Signed with the real secret: the timestamp's form is the only thing wrong.
    body = _deauthorized(account)
    answer = _post(client, body, stamp=stamp, signature=_sign(body, stamp))
    assert answer.status_code == 401
    assert "x-zm-request-timestamp" in answer.json()["error"]
    assert _unchanged(account)
