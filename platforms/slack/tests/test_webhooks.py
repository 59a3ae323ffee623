"""/hooks/slack/events/: signature, replay window, handshake, and events that trigger checks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from slack_sdk.signature import SignatureVerifier

from platforms.sandbox.fakes.slack.events import post_signed
from tokens.models import CheckRecord, Credential

HOOK = "/hooks/slack/events/"


@pytest.fixture
def hook(sandbox, live_server) -> str:
    return live_server.url + HOOK


@pytest.fixture
def not_due(slack_account) -> Credential:
    """The account's next check is a day away, so 'made due' is observable."""
    Credential.objects.filter(pk=slack_account.credential_id).update(
        next_check_at=timezone.now() + timedelta(days=1)
    )
    return Credential.objects.get(pk=slack_account.credential_id)


def _event_body(account, event: dict, event_id: str = "Ev0TEST0001") -> str:
    return json.dumps(
        {
            "token": "x",
            "team_id": account.workspace_id,
            "api_app_id": "A0MIOAUTOHL",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
        }
    )


def _unchanged(credential: Credential) -> None:
    fresh = Credential.objects.get(pk=credential.pk)
    assert fresh.next_check_at == credential.next_check_at
    assert not CheckRecord.objects.filter(credential=credential).exists()


def _was_made_due(credential: Credential) -> None:
    fresh = Credential.objects.get(pk=credential.pk)
    checked = CheckRecord.objects.filter(credential=credential, source="event").exists()
    assert checked or fresh.next_check_at <= timezone.now()


def _plain() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def test_it_answers_the_url_verification_handshake(hook) -> None:
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9", "type": "url_verification"}
    )
    answer = post_signed(hook, body)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == "3eZbrw1aBm2rZgRNFdxV2595E9"


def test_it_refuses_a_request_without_a_signature(hook, slack_account, not_due) -> None:
    body = _event_body(slack_account, {"type": "app_uninstalled"})
    answer = _plain().post(
        hook, data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code == 401
    assert "Signature" in answer.json()["error"]
    _unchanged(not_due)


def test_it_refuses_a_wrong_signature(hook, slack_account, not_due) -> None:
    body = _event_body(slack_account, {"type": "app_uninstalled"})
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    answer = _plain().post(hook, data=body, headers=headers, timeout=10)
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]
    _unchanged(not_due)


def test_it_refuses_a_body_changed_after_signing(hook, slack_account, not_due, settings) -> None:
    body = _event_body(slack_account, {"type": "app_uninstalled"})
    timestamp = str(int(time.time()))
    secret = settings.PLATFORM_APPS["slack"]["signing_secret"]
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    tampered = body.replace(slack_account.workspace_id, "T0SOMEONEELS")
    answer = _plain().post(hook, data=tampered, headers=headers, timeout=10)
    assert answer.status_code == 401
    _unchanged(not_due)


def test_it_refuses_a_replayed_old_request(hook, slack_account, not_due) -> None:
    body = _event_body(slack_account, {"type": "app_uninstalled"})
    answer = post_signed(hook, body, timestamp=int(time.time()) - 6 * 60)
    assert answer.status_code == 401
    assert "5-minute" in answer.json()["error"]
    _unchanged(not_due)


def test_it_refuses_a_timestamp_that_is_not_a_number(hook, slack_account, not_due) -> None:
    headers = {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=abc"}
    answer = _plain().post(hook, data="{}", headers=headers, timeout=10)
    assert answer.status_code == 401
    _unchanged(not_due)


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2, 3]",
        '{"type": "event_callback", "event_id": "Ev1"}',
        '{"type": "event_callback", "event": {"type": "tokens_revoked"}, "event_id": "Ev1"}',
        '{"type": "event_callback", "event": {"type": "tokens_revoked", "tokens": {"oauth": [1]}},'
        ' "event_id": "Ev1"}',
        '{"type": "event_callback", "event": {"type": "user_change", "user": "U1"},'
        ' "event_id": "E"}',
        '{"type": "url_verification"}',
    ],
    ids=[
        "malformed",
        "not-an-object",
        "no-event",
        "no-tokens",
        "bad-user-ids",
        "bad-user",
        "no-challenge",
    ],
)
def test_it_refuses_malformed_signed_bodies_with_a_clear_400(hook, not_due, body) -> None:
    answer = post_signed(hook, body)
    assert answer.status_code == 400
    assert answer.json()["error"]
    _unchanged(not_due)


def test_it_only_accepts_post(hook) -> None:
    assert _plain().get(hook, timeout=10).status_code == 405


def test_it_ignores_a_profile_change_that_is_not_a_deletion(hook, slack_account, not_due) -> None:
    event = {
        "type": "user_change",
        "user": {"id": slack_account.upstream_user_id, "deleted": False},
    }
    answer = post_signed(hook, _event_body(slack_account, event))
    assert answer.status_code == 200
    _unchanged(not_due)


@pytest.mark.parametrize(
    ("event", "situation"),
    [
        ("tokens_revoked", "grant_revoked"),
        ("app_uninstalled", "app_uninstalled"),
        ("user_change_deleted", "user_deleted"),
    ],
)
def test_it_makes_the_account_due_when_slack_pushes_an_event(
    sandbox, slack, slack_account, not_due, event, situation
) -> None:
    delivery = sandbox.event("slack", event, slack_account.person.email)["delivery"]
    assert delivery["status"] == 200, delivery
    _was_made_due(not_due)
    # And what the check then reads is the situation the event announced.
    assert slack.check(Credential.objects.get(pk=not_due.pk)).situation == situation


def test_it_handles_a_retried_delivery_once(hook, slack_account, not_due) -> None:
    body = _event_body(
        slack_account,
        {"type": "tokens_revoked", "tokens": {"oauth": [slack_account.upstream_user_id]}},
        event_id="Ev0RETRIED01",
    )
    first = post_signed(hook, body)
    again = post_signed(hook, body, retry_num=1)
    assert first.status_code == again.status_code == 200
    assert first.json()["marked"] == 1
    assert again.json()["marked"] == 0


@pytest.mark.parametrize(
    "timestamp",
    ["²", "9" * 400, "1e9", "-1700000000", "0x10"],
    ids=["superscript-two", "400-digits", "exponent", "negative", "hex"],
)
def test_it_refuses_a_timestamp_that_is_not_a_plain_unix_time_with_401(
    hook, slack_account, not_due, timestamp
) -> None:
    # "²".isdigit() is True but int() refuses it; 400 digits overflow float arithmetic: 500s.
    body = _event_body(slack_account, {"type": "app_uninstalled"})
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + "0" * 64}
    answer = _plain().post(hook, data=body.encode(), headers=headers, timeout=10)
    assert answer.status_code == 401
    assert "X-Slack-Request-Timestamp" in answer.json()["error"]
    _unchanged(not_due)


def test_it_refuses_a_signature_that_is_not_hex_with_401(hook, slack_account, not_due) -> None:
    # slack-sdk's compare_digest raises TypeError on non-ASCII text: it must never see it.
    body = _event_body(slack_account, {"type": "app_uninstalled"})
    headers = {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "é" * 64,
    }
    answer = _plain().post(hook, data=body.encode(), headers=headers, timeout=10)
    assert answer.status_code == 401
    assert "X-Slack-Signature" in answer.json()["error"]
    _unchanged(not_due)


def test_it_refuses_events_when_the_signing_secret_is_blank(
    hook, slack_account, not_due, settings
) -> None:
    apps = dict(settings.PLATFORM_APPS)
    apps["slack"] = {**apps["slack"], "signing_secret": "   "}
    settings.PLATFORM_APPS = apps
    body = _event_body(slack_account, {"type": "app_uninstalled"})
    timestamp = str(int(time.time()))
    # Signed by hand: slack-sdk itself refuses to sign with a blank secret (ValueError).
    digest = hmac.new(b"   ", f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}
    answer = _plain().post(hook, data=body.encode(), headers=headers, timeout=10)
    assert answer.status_code == 403
    assert "signing secret" in answer.json()["error"]
    _unchanged(not_due)
