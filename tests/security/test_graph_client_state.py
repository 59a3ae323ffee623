"""Finding 7 of issue 14: each Graph subscription has its own clientState, not one for all."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from platforms.teams.subscriptions import client_state_for

pytestmark = pytest.mark.django_db

CONTOSO = "11111111-2222-4333-8444-555555555555"
FABRIKAM = "66666666-7777-4888-8999-aaaaaaaaaaaa"


def lifecycle(tenant: str, state: str) -> int:
    item = {
        "subscriptionId": "0f6a1a8e-1111-4222-8333-944455556666",
        "subscriptionExpirationDateTime": "2026-03-20T11:00:00.0000000Z",
        "tenantId": tenant,
        "clientState": state,
        "lifecycleEvent": "reauthorizationRequired",
    }
    answer = Client().post(
        "/hooks/graph/lifecycle/",
        data=json.dumps({"value": [item]}),
        content_type="application/json",
    )
    return answer.status_code


def test_each_tenants_subscription_has_its_own_client_state(settings) -> None:
    assert client_state_for(CONTOSO) != client_state_for(FABRIKAM)
    assert settings.PLATFORM_APPS["teams"]["graph_client_state"] not in client_state_for(CONTOSO)
    assert len(client_state_for(CONTOSO)) <= 128  # Graph's limit


def test_one_subscriptions_client_state_cannot_speak_for_another_tenant(settings) -> None:
    # Someone who learned Contoso's value (or the old shared one) forges a Fabrikam event.
    assert lifecycle(FABRIKAM, client_state_for(CONTOSO)) == 403
    assert lifecycle(FABRIKAM, settings.PLATFORM_APPS["teams"]["graph_client_state"]) == 403
    # Fabrikam's own value is accepted (404: no Mio tenant there; it got past the clientState).
    assert lifecycle(FABRIKAM, client_state_for(FABRIKAM)) == 404


def test_the_command_prints_the_value_to_subscribe_with() -> None:
    out = io.StringIO()
    call_command("graph_client_state", CONTOSO, stdout=out)
    assert out.getvalue().strip() == client_state_for(CONTOSO)
