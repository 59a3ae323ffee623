"""Inbound webhooks: what the platforms' own webhook tests leave out.

Covered in platforms/*/tests/test_webhooks.py: a missing or wrong signature, a body changed
after signing, a timestamp outside the 5-minute window (Slack, Zoom), a forged Graph
``clientState``, malformed bodies. Here, for every hook: an event about a tenant Mio does not
have (answered 2xx — the platforms retry anything else, and Slack turns off an app's events
after repeated failures — and nothing changed), a delivery replayed inside the window (handled
once), a stale timestamp changes nothing at all, and the relay API with a key of no tenant.
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
    DEDUP_TABLES,
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
                    "clientState": graph_state(),
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


def test_it_acknowledges_an_event_about_an_unknown_tenant_and_changes_nothing(known) -> None:
    before = snapshot(exclude=DEDUP_TABLES)
    for name, send in deliveries(known):
        answer = send()
        assert 200 <= answer.status_code < 300, (name, answer.content)
        if answer.content:  # Graph's 202 has no body
            assert answer.json().get("marked", 0) == 0, name
    assert snapshot(exclude=DEDUP_TABLES) == before
    assert not CheckRecord.objects.exists()


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
