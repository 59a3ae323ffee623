"""The metrics endpoint: refused without its token or network, figures read from the database."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import OutboxMessage
from tests.factories import make_account, make_person, make_tenant

pytestmark = pytest.mark.django_db


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_it_refuses_metrics_when_neither_token_nor_network_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 401


def test_it_refuses_a_wrong_token_and_accepts_the_right_one(client, settings):
    settings.METRICS_TOKEN = "s3cret-token-value"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-value").status_code == 200


def test_it_accepts_scrapers_from_an_allowed_network_only(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.2.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 401


def test_it_counts_accounts_by_platform_and_state_and_the_outbox(client, settings):
    settings.METRICS_TOKEN = "s3cret-token-value"
    tenant = make_tenant("acme")
    person = make_person(tenant)
    make_account(person, "slack")
    make_account(person, "zoom")
    OutboxMessage.objects.create(
        tenant=tenant,
        recipient=person,
        audience="user",
        kind="prompt",
        template="user_prompt",
        channel="slack",
        idempotency_key="k1",
    )
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-value").content
    families = _families(text.decode())
    accounts = {
        (s.labels["platform"], s.labels["state"]): s.value for s in families["mio_accounts"].samples
    }
    assert sum(v for (p, _), v in accounts.items() if p == "slack") == 1
    assert sum(v for (p, _), v in accounts.items() if p == "zoom") == 1
    assert families["mio_outbox_depth"].samples[0].value == 1
    assert "mio_time_to_heal_seconds_last_week" in families
    assert "mio_check_latency_seconds_last_hour" in families
    assert "mio_queue_depth" in families
