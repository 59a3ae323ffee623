"""Graph lifecycle notifications at /hooks/graph/lifecycle/: handshake, refusals, events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from platforms.teams.subscriptions import client_state_for
from tokens.models import CheckRecord, Credential

URL = "/hooks/graph/lifecycle/"
TENANT = "5a0b3c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"


def notification(**overrides: str) -> dict:
    """A lifecycle notification as Graph POSTs it (the fields of the documented example):
    https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events
    ('Respond to reauthorizationRequired notifications': value[] of subscriptionId,
    subscriptionExpirationDateTime, tenantId, clientState, lifecycleEvent)."""
    item = {
        "subscriptionId": "0f6a1a8e-1111-4222-8333-944455556666",
        "subscriptionExpirationDateTime": "2026-03-20T11:00:00.0000000Z",
        "tenantId": TENANT,
        "lifecycleEvent": "reauthorizationRequired",
    }
    item.update(overrides)
    # The subscription's own clientState (one per Entra tenant), unless the test forges one.
    item.setdefault("clientState", client_state_for(str(item["tenantId"])))
    return {"value": [item]}


@pytest.fixture
def later(db, teams_account_offline):
    """Push the account's next check far away, so a marked account is visible."""
    far = timezone.now() + timedelta(days=1)
    Credential.objects.filter(pk=teams_account_offline.credential_id).update(next_check_at=far)
    return far


@pytest.fixture
def teams_account_offline(db):
    from tests.factories import make_account, make_person, make_tenant

    tenant = make_tenant(primary_platform="teams")
    return make_account(make_person(tenant), "teams", workspace_id=TENANT)


def due(account) -> bool:
    return Credential.objects.get(pk=account.credential_id).next_check_at <= timezone.now()


def test_it_answers_the_validation_handshake() -> None:
    response = Client().post(f"{URL}?validationToken=Validation%3A+Testing+client+validation")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Validation: Testing client validation"


def test_it_refuses_an_oversized_validation_token() -> None:
    response = Client().post(f"{URL}?validationToken={'x' * 2000}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ('["a list"]', 400),
        ('{"value": []}', 400),
        ('{"value": ["text"]}', 400),
        (json.dumps(notification(clientState="forged")), 403),
        (json.dumps({"value": [{"tenantId": TENANT, "lifecycleEvent": "missed"}]}), 403),
        (json.dumps(notification(lifecycleEvent="")), 400),
        (json.dumps(notification(tenantId="contoso")), 400),
    ],
)
def test_it_refuses_bad_notifications_and_changes_nothing(
    teams_account_offline, later, body: str, status: int
) -> None:
    response = Client().post(URL, data=body, content_type="application/json")
    assert response.status_code == status
    assert "error" in response.json()
    assert not due(teams_account_offline)
    assert not CheckRecord.objects.exists()


def test_it_refuses_a_batch_with_one_forged_item(teams_account_offline, later) -> None:
    good = notification()["value"][0]
    forged = notification(clientState="forged")["value"][0]
    response = Client().post(
        URL, data=json.dumps({"value": [good, forged]}), content_type="application/json"
    )
    assert response.status_code == 403
    assert not due(teams_account_offline)


def test_it_only_accepts_posts() -> None:
    assert Client().get(URL).status_code == 405


def test_it_acknowledges_a_missed_notification_without_acting(teams_account_offline, later) -> None:
    response = Client().post(
        URL, data=json.dumps(notification(lifecycleEvent="missed")), content_type="application/json"
    )
    assert response.status_code == 202
    assert not due(teams_account_offline)


@pytest.mark.parametrize("event", ["reauthorizationRequired", "subscriptionRemoved"])
def test_it_marks_every_teams_account_of_the_tenant_for_a_check(
    sandbox, teams_account, event: str
) -> None:
    Credential.objects.filter(pk=teams_account.credential_id).update(
        next_check_at=timezone.now() + timedelta(days=1)
    )
    delivery = sandbox.event("teams", event, teams_account.person.email)["delivery"]
    assert delivery["status"] == 202, delivery
    assert delivery["tenant_id"] == teams_account.workspace_id
    credential = Credential.objects.get(pk=teams_account.credential_id)
    checked = CheckRecord.objects.filter(credential=credential).exists()
    assert checked or credential.next_check_at <= timezone.now()


def test_it_revokes_the_sessions_when_graph_removes_the_subscription(
    sandbox, teams, teams_account
) -> None:
    from platforms.teams.tests.conftest import credential_of

    sandbox.event("teams", "subscriptionRemoved", teams_account.person.email)
    outcome = teams.check(credential_of(teams_account))
    assert outcome.situation == "grant_revoked"
