"""Inbound webhooks: what the platforms' own webhook tests leave out.

Covered in platforms/*/tests/test_webhooks.py: a missing or wrong signature, a body changed
after signing, a timestamp outside the 5-minute window (Slack, Zoom), a forged Graph
``clientState``, malformed bodies. Here, for every hook: a genuine event about a workspace Mio
does not serve (refused with a 404 that names it, nothing stored, not even the event id, so the
platform's retry after the tenant is added is handled; Slack is told not to retry), a delivery
replayed inside the window (handled once), a stale timestamp changes nothing at all, and the
relay API with a key of no tenant.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_account, make_person, make_tenant
from tests.security.helpers import (
    graph_state,
    slack_headers,
    snapshot,
    zoom_headers,
)
from tokens.models import CheckRecord, Credential, ProcessedEvent
from tokens.relaykeys import issue_relay_key

pytestmark = pytest.mark.django_db

ENTRA_TENANT = "5a0b3c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"


@pytest.fixture
def known(db):
    """One account per platform in a known tenant, none of them due."""
    tenant = make_tenant()
    person = make_person(tenant)
    accounts = {
        p: make_account(person, p, workspace_id=ENTRA_TENANT if p == "teams" else "W-KNOWN")
        for p in ("slack", "teams", "zoom", "webex")
    }
    Credential.objects.update(next_check_at=timezone.now() + timedelta(days=1))
    return accounts


def slack_event(team: str, user: str, event_id: str) -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": team,
            "event_id": event_id,
            "event": {"type": "tokens_revoked", "tokens": {"oauth": [user], "bot": []}},
        }
    )


def zoom_event(account: str, user: str) -> str:
    return json.dumps(
        {
            "event": "app_deauthorized",
            "event_ts": 1_700_000_000_000,
            "payload": {
                "account_id": account,
                "user_id": user,
                "client_id": "sandboxzoomclient",
                "deauthorization_time": "2026-01-01T00:00:00Z",
            },
        }
    )


def graph_event(tenant: str) -> str:
    return json.dumps(
        {
            "value": [
                {
                    "subscriptionId": str(uuid.uuid4()),
                    "subscriptionExpirationDateTime": "2026-03-20T11:00:00.0000000Z",
                    "tenantId": tenant,
                    "clientState": graph_state(tenant),
                    "lifecycleEvent": "reauthorizationRequired",
                }
            ]
        }
    )


def post(url: str, body: str, **headers: str):
    return Client().post(url, data=body, content_type="application/json", **headers)


def deliveries(known):
    """(name, send) for a genuine event about an unknown tenant on each hook."""
    slack_user = known["slack"].upstream_user_id
    zoom_user = known["zoom"].upstream_user_id
    slack = slack_event("T-NOBODY", slack_user, "Ev-unknown-tenant")
    zoom = zoom_event("ACCOUNT-NOBODY", zoom_user)
    graph = graph_event(str(uuid.uuid4()))
    return [
        ("slack", lambda: post("/hooks/slack/events/", slack, **slack_headers(slack))),
        ("zoom", lambda: post("/hooks/zoom/events/", zoom, **zoom_headers(zoom))),
        ("graph", lambda: post("/hooks/graph/lifecycle/", graph)),
    ]


def test_it_refuses_an_event_about_an_unknown_tenant_and_changes_nothing(known) -> None:
    before = snapshot()  # the event-id memory included
    for name, send in deliveries(known):
        answer = send()
        assert answer.status_code == 404, (name, answer.content)
        assert "Mio serves no" in answer.json()["error"], name
        if name == "slack":
            assert answer["X-Slack-No-Retry"] == "1"
    assert snapshot() == before
    assert not CheckRecord.objects.exists()


def test_it_handles_the_retry_of_a_refused_event_once_the_tenant_is_added(known) -> None:
    body = slack_event("T-LATER", "U-LATE", "Ev-before-install")
    assert post("/hooks/slack/events/", body, **slack_headers(body)).status_code == 404
    assert not ProcessedEvent.objects.exists()
    person = make_person(make_tenant())
    make_account(person, "slack", workspace_id="T-LATER", upstream_user_id="U-LATE")
    answer = post("/hooks/slack/events/", body, **slack_headers(body))  # Slack's retry, re-signed
    assert answer.status_code == 200
    assert answer.json()["marked"] == 1
    assert ProcessedEvent.objects.filter(event_id="Ev-before-install").exists()


def test_it_handles_the_served_tenant_of_a_mixed_graph_batch(known) -> None:
    mixed = json.loads(graph_event(ENTRA_TENANT))
    mixed["value"] += json.loads(graph_event(str(uuid.uuid4())))["value"]
    answer = post("/hooks/graph/lifecycle/", json.dumps(mixed))
    assert answer.status_code == 202
    checked = CheckRecord.objects.filter(source=CheckRecord.Source.EVENT)
    assert list(checked.values_list("credential", flat=True)) == [known["teams"].credential_id]
    assert ProcessedEvent.objects.count() == 1  # the unserved tenant's item left no trace


def test_it_handles_a_delivery_replayed_inside_the_window_once(known) -> None:
    slack_user = known["slack"].upstream_user_id
    body = slack_event("W-KNOWN", slack_user, "Ev-replayed")
    first = post("/hooks/slack/events/", body, **slack_headers(body))
    assert first.status_code == 200
    assert first.json()["marked"] == 1
    after_first = snapshot()
    again = post("/hooks/slack/events/", body, **slack_headers(body))  # the same, re-signed
    assert again.status_code == 200
    assert again.json()["marked"] == 0
    assert snapshot() == after_first
    zoom = zoom_event("W-KNOWN", known["zoom"].upstream_user_id)
    assert post("/hooks/zoom/events/", zoom, **zoom_headers(zoom)).json()["marked"] == 1
    after_zoom = snapshot()
    assert post("/hooks/zoom/events/", zoom, **zoom_headers(zoom)).json()["marked"] == 0
    assert snapshot() == after_zoom
    graph = graph_event(ENTRA_TENANT)
    assert post("/hooks/graph/lifecycle/", graph).status_code == 202
    after_graph = snapshot()
    assert post("/hooks/graph/lifecycle/", graph).status_code == 202
    assert snapshot() == after_graph
    assert ProcessedEvent.objects.count() == 3


def test_it_changes_nothing_for_a_genuine_signature_replayed_after_five_minutes(known) -> None:
    stale = int(time.time()) - 301
    slack_user = known["slack"].upstream_user_id
    body = slack_event("W-KNOWN", slack_user, "Ev-stale")
    zoom = zoom_event("W-KNOWN", known["zoom"].upstream_user_id)
    before = snapshot()
    answer = post("/hooks/slack/events/", body, **slack_headers(body, timestamp=stale))
    assert answer.status_code == 401
    answer = post("/hooks/zoom/events/", zoom, **zoom_headers(zoom, timestamp=stale * 1000))
    assert answer.status_code == 401
    assert snapshot() == before  # not even the event id is remembered


def test_it_refuses_a_relay_report_with_a_key_of_no_tenant(known) -> None:
    other = make_tenant()
    key = issue_relay_key(other)
    other.delete()  # the tenant is gone; its key with it
    report = {"platform": "slack", "user": known["slack"].email, "status": 401, "body": {}}
    before = snapshot()
    for header in (f"Bearer {key}", "Bearer mio_relay_" + "x" * 43, "Bearer ", "Basic abc"):
        answer = Client().post(
            "/api/relay-failures/",
            data=json.dumps(report),
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
        )
        assert answer.status_code == 401, header
        assert "relay key" in answer.json()["error"]
    assert snapshot() == before
