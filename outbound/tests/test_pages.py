"""The Webhooks pages: an admin adds an endpoint (secret shown once), reads the delivery log,
sends again and rotates; other tenants see nothing, viewers cannot act."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from dashboard.models import AuditEntry
from dashboard.tests.factories import make_tenant, make_user
from outbound.emit import emit
from outbound.models import Attempt, Endpoint
from outbound.tests.receiver import Receiver

SECRET = re.compile(r'<code id="new-secret">(whsec_[^<]+)</code>')


@pytest.fixture(autouse=True)
def _setup(settings):
    cache.clear()
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    yield
    cache.clear()


def test_it_lets_an_admin_add_an_endpoint_and_follow_its_deliveries(
    client, transactional_db
) -> None:
    acme = make_tenant("acme")
    client.force_login(make_user(acme))
    hook = Receiver(script=[500])
    try:
        page = client.post(
            "/dashboard/relay/webhooks/new/",
            {"tenant": "acme", "url": hook.url, "event_types": ["account.healed"]},
        )
        assert page.status_code == 201
        hook.secret = SECRET.search(page.content.decode()).group(1)
        endpoint = Endpoint.objects.get(tenant=acme)
        assert endpoint.event_types == ["account.healed"]
        assert hook.secret not in client.get("/dashboard/relay/webhooks/").content.decode()

        event = emit(acme, "account.healed", {"account": 1})  # answered 500
        detail = client.get(f"/dashboard/relay/webhooks/{endpoint.pk}/").content.decode()
        assert event.webhook_id in detail
        assert "500," in detail  # the attempt, with its latency
        delivery = event.deliveries.get()
        client.post(f"/dashboard/relay/webhooks/deliveries/{delivery.pk}/send-again/")
        assert hook.acknowledged == [event.webhook_id]
        assert Attempt.objects.filter(delivery=delivery).count() == 2

        rotated = client.post(f"/dashboard/relay/webhooks/{endpoint.pk}/rotate/")
        assert SECRET.search(rotated.content.decode()).group(1) != hook.secret
    finally:
        hook.close()
    assert set(AuditEntry.objects.filter(tenant=acme).values_list("action", flat=True)) == {
        "webhook.create",
        "webhook.send_again",
        "webhook.rotate_secret",
    }


def test_it_keeps_endpoints_within_their_tenant_and_from_viewers(client, db) -> None:
    acme, globex = make_tenant("acme"), make_tenant("globex")
    client.force_login(make_user(acme))
    client.post("/dashboard/relay/webhooks/new/", {"tenant": "acme", "url": "https://127.0.0.1/x"})
    endpoint = Endpoint.objects.get(tenant=acme)

    client.force_login(make_user(globex))
    assert "127.0.0.1/x" not in client.get("/dashboard/relay/webhooks/").content.decode()
    assert client.get(f"/dashboard/relay/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/dashboard/relay/webhooks/{endpoint.pk}/toggle/").status_code == 404

    client.force_login(make_user(acme, role="viewer"))
    assert client.get(f"/dashboard/relay/webhooks/{endpoint.pk}/").status_code == 200
    assert client.post(f"/dashboard/relay/webhooks/{endpoint.pk}/toggle/").status_code == 403
    assert client.post(f"/dashboard/relay/webhooks/{endpoint.pk}/rotate/").status_code == 403
    assert Endpoint.objects.get(pk=endpoint.pk).is_active
