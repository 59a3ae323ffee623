"""Finding 3 of issue 14: a relay report or a platform event is a reason to check, never a verdict.

Whoever holds a relay key (or forges an event) must not be able to make Mio message anyone: the
report only makes Mio check the account itself at once, and only what that check finds opens an
incident and prompts. Over real HTTP to the sandbox; queue tasks run inline (MIO_QUEUE_SYNC).
"""

from __future__ import annotations

import json

import pytest
import requests
from django.test import Client

from notifications.models import Incident, OutboxMessage
from notifications.tests.world import build
from tests.security.helpers import slack_headers
from tokens.models import CheckRecord, CredentialState
from tokens.relaykeys import issue_relay_key
from tokens.tests.conftest import fresh


@pytest.fixture
def mail_outbox(settings):  # type: ignore[no-untyped-def]
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


FORGED_CORRELATION = "[Re-sync here](https://evil.example/steal)"
# What a relay key holder might claim: every platform's error for a user's or an admin's job.
REPORTS = {
    "slack": (200, {"ok": False, "error": "token_revoked"}),
    "teams": (
        400,
        {
            "error": "invalid_grant",
            "error_codes": [53003],
            "error_description": "AADSTS53003: Access has been blocked by Conditional Access.",
            "correlation_id": FORGED_CORRELATION,
            "trace_id": FORGED_CORRELATION,
            "timestamp": FORGED_CORRELATION,
        },
    ),
    "zoom": (400, {"reason": "Invalid Token!", "error": "invalid_grant"}),
    "webex": (403, {"message": "Forbidden", "errors": [{"description": "Forbidden"}]}),
}


def post_report(live_server, key: str, body: dict) -> requests.Response:
    http = requests.Session()
    http.trust_env = False
    return http.post(
        f"{live_server.url}/api/relay-failures/",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def everything_sent(world) -> list:  # type: ignore[no-untyped-def]
    return list(OutboxMessage.objects.filter(tenant=world.tenant)) + world.sandbox.inbox(
        world.platform
    )


@pytest.mark.parametrize("platform", sorted(REPORTS))
def test_it_sends_nothing_on_a_relay_report_our_own_check_does_not_confirm(
    sandbox, live_server, mail_outbox, platform
) -> None:
    world = build(sandbox, platform, users=1, admins=1)
    account = world.users[0]
    key = issue_relay_key(world.tenant)
    status, body = REPORTS[platform]
    answer = post_report(
        live_server,
        key,
        {"platform": platform, "user": account.upstream_user_id, "status": status, "body": body},
    )
    assert answer.status_code == 202, answer.text
    # Our own check ran at once and found the token working.
    checks = CheckRecord.objects.filter(credential_id=account.credential_id).order_by("pk")
    assert [c.source for c in checks] == [CheckRecord.Source.RELAY] * 2
    assert checks.last().outcome in {CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED}
    assert fresh(account).state == CredentialState.HEALTHY
    assert not Incident.objects.filter(tenant=world.tenant).exists()
    assert everything_sent(world) == []
    assert mail_outbox == []


def test_it_prompts_on_a_confirmed_report_with_our_evidence_not_the_reporters(
    sandbox, live_server, mail_outbox, settings
) -> None:
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0  # the admin prompt goes out at once
    world = build(sandbox, "teams", users=1, admins=1)
    account = world.users[0]
    world.break_(account, "ca_blocked")  # really broken: our check will see it
    status, body = REPORTS["teams"]
    answer = post_report(
        live_server,
        issue_relay_key(world.tenant),
        {"platform": "teams", "user": account.upstream_user_id, "status": status, "body": body},
    )
    assert answer.status_code == 202, answer.text
    assert fresh(account).situation == "ca_blocked"
    incident = Incident.objects.get(tenant=world.tenant)
    # The incident, and so every prompt about it, carries what our check saw.
    assert FORGED_CORRELATION not in json.dumps(incident.evidence)
    for row in OutboxMessage.objects.filter(tenant=world.tenant):
        assert "evil.example" not in json.dumps(row.context, default=str)
    for item in world.sandbox.inbox("teams"):
        assert "evil.example" not in item["payload"]


def test_a_forged_or_unconfirmed_platform_event_sends_nothing(sandbox, mail_outbox) -> None:
    world = build(sandbox, "slack", users=1, admins=1)
    account = world.users[0]
    event = {
        "type": "event_callback",
        "team_id": account.workspace_id,
        "event_id": "Ev-FORGED-1",
        "event": {"type": "tokens_revoked", "tokens": {"oauth": [account.upstream_user_id]}},
    }
    body = json.dumps(event)
    forged = Client().post(
        "/hooks/slack/events/",
        data=body,
        content_type="application/json",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=slack_headers(body)["HTTP_X_SLACK_REQUEST_TIMESTAMP"],
        HTTP_X_SLACK_SIGNATURE="v0=" + "0" * 64,
    )
    assert 400 <= forged.status_code < 500
    assert not CheckRecord.objects.filter(credential_id=account.credential_id).exists()
    # A correctly signed event that the account's real state does not bear out (the token works).
    event["event_id"] = "Ev-UNCONFIRMED-1"
    body = json.dumps(event)
    signed = Client().post(
        "/hooks/slack/events/", data=body, content_type="application/json", **slack_headers(body)
    )
    assert signed.status_code == 200
    assert CheckRecord.objects.filter(credential_id=account.credential_id).exists()
    assert fresh(account).state == CredentialState.HEALTHY
    assert everything_sent(world) == []
    assert mail_outbox == []
