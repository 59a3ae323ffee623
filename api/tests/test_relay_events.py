"""``POST /api/v1/relay-events/``: send outcomes in batches; an ``ok`` spares the next probe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.keys import create_key
from tokens.models import CheckRecord, Credential
from tokens.sweep import sweep
from tokens.tests.conftest import PLATFORMS, fresh

pytestmark = pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack sandbox")


def test_it_skips_the_scheduled_probe_of_an_account_the_relay_just_used(
    sandbox, enroll, relay
) -> None:
    used, idle = enroll("slack"), enroll("slack")
    _, key = create_key(used.person.tenant)
    answer = relay(key).events({"platform": "slack", "user": used.person.email, "outcome": "ok"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["results"] == [
        {
            "index": 0,
            "recorded": True,
            "error": None,
            "situation": None,
            "audience": None,
            "state": None,
        }
    ]
    Credential.objects.filter(pk__in=[used.credential_id, idle.credential_id]).update(
        next_check_at=timezone.now() - timedelta(seconds=1), state="healthy"
    )
    stats = sweep(platforms=["slack"])
    assert stats.vouched == 1
    assert not CheckRecord.objects.filter(credential_id=used.credential_id).exists()
    assert CheckRecord.objects.filter(credential_id=idle.credential_id).count() == 1
    # Looked at again one interval (±jitter) after the relay's send, not now.
    assert fresh(used).next_check_at > timezone.now() + timedelta(hours=5)


def test_it_probes_an_account_whose_relay_evidence_is_older_than_the_interval(
    sandbox, enroll
) -> None:
    account = enroll("slack")
    Credential.objects.filter(pk=account.credential_id).update(
        last_used_at=timezone.now() - timedelta(hours=7),
        next_check_at=timezone.now() - timedelta(seconds=1),
        state="healthy",
    )
    stats = sweep(platforms=["slack"])
    assert stats.vouched == 0
    assert CheckRecord.objects.filter(credential_id=account.credential_id).count() == 1


def test_it_handles_an_error_like_a_relay_failure_report(sandbox, enroll, relay) -> None:
    account = enroll("slack")
    _, key = create_key(account.person.tenant)
    sandbox.situation("slack", account.person.email, "user_deleted")
    answer = relay(key).events(
        {"platform": "slack", "user": account.person.email, "outcome": "ok"},
        {
            "platform": "slack",
            "user": account.upstream_user_id,
            "outcome": "error",
            "status": 200,
            "body": {"ok": False, "error": "account_inactive"},
        },
        {"platform": "slack", "user": "ghost@nowhere.example", "outcome": "ok"},
    )
    assert answer.status_code == 202, answer.text
    results = answer.json()["results"]
    assert results[1]["situation"] == "user_deleted"
    assert results[1]["audience"] == "admin"
    assert results[2] == {
        "index": 2,
        "recorded": False,
        "error": "no such account",
        "situation": None,
        "audience": None,
        "state": None,
    }
    sources = set(
        CheckRecord.objects.filter(credential_id=account.credential_id).values_list(
            "source", flat=True
        )
    )
    assert sources == {CheckRecord.Source.RELAY}
    assert fresh(account).situation == "user_deleted"


def test_it_refuses_a_malformed_batch_with_422(db, relay, live_server) -> None:
    from tests.factories import make_tenant

    _, key = create_key(make_tenant())
    client = relay(key)
    bad = [
        {"events": []},
        {"events": [{"platform": "irc", "user": "x", "outcome": "ok"}]},
        {"events": [{"platform": "slack", "user": "x", "outcome": "maybe"}]},
        {"events": [{"platform": "slack", "user": "x", "outcome": "error", "status": 42}]},
        {"events": [{"platform": "slack", "user": "x", "outcome": "ok"}] * 101},
    ]
    for body in bad:
        answer = client.http.post(f"{client.base}/relay-events/", json=body, timeout=30)
        assert answer.status_code == 422, body
