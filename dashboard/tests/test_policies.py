"""The Policies page: a tenant admin edits the prompt policy (audited), a viewer reads it, and
notifications follow it; the operator's environment gives the defaults."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Tenant
from dashboard.models import AuditEntry
from policies import rules
from policies.models import Policy
from tests.factories import make_person, make_tenant

pytestmark = pytest.mark.django_db


def form_data(**changes) -> dict:
    data = {
        "reminder_hours": "24, 72",
        "escalate_after_hours": "168",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
        "timezone": "UTC",
        "channel_order": "chat_then_email",
        "admin_confirmations": "per_user",
    }
    return {**data, **changes}


def test_it_saves_the_policy_and_audits_what_changed(member_client, world):
    tenant = world["a"]
    boss = make_person(tenant, name="Grace Boss", is_tenant_admin=True)
    url = reverse("dashboard:policies", args=[tenant.slug])
    assert member_client.get(url).status_code == 200
    response = member_client.post(
        url,
        form_data(
            reminder_hours="48, 4",
            quiet_hours_start="22:00",
            quiet_hours_end="07:00",
            timezone="Europe/Berlin",
            channel_order="email_then_chat",
            admin_recipients=[str(boss.pk)],
            admin_confirmations="daily_digest",
        ),
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert rules.reminder_hours(tenant) == [4, 48]
    assert str(rules.time_zone(tenant)) == "Europe/Berlin"
    assert rules.quiet_hours(tenant)[0].hour == 22
    assert rules.daily_digest(tenant)
    assert rules.order_channels(tenant, ["teams"]) == ["email", "teams"]
    assert rules.admin_recipients(tenant) == [boss]
    entry = AuditEntry.objects.get(action="policy.change")
    assert entry.tenant_id == tenant.pk
    assert set(entry.detail["changed"]) == {
        "reminder_hours",
        "quiet_hours_start",
        "quiet_hours_end",
        "timezone",
        "channel_order",
        "admin_recipients",
        "admin_confirmations",
    }
    assert entry.detail["changed"]["timezone"] == ["UTC", "Europe/Berlin"]
    # Saving it again unchanged records nothing.
    member_client.post(
        url,
        form_data(
            reminder_hours="4, 48",
            quiet_hours_start="22:00",
            quiet_hours_end="07:00",
            timezone="Europe/Berlin",
            channel_order="email_then_chat",
            admin_recipients=[str(boss.pk)],
            admin_confirmations="daily_digest",
        ),
    )
    assert AuditEntry.objects.filter(action="policy.change").count() == 1


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"reminder_hours": "soon"}, "Whole hours"),
        ({"reminder_hours": "0"}, "Each between"),
        ({"quiet_hours_start": "22:00"}, "both ends"),
        ({"timezone": "Mars/Olympus"}, "valid choice"),
        ({"escalate_after_hours": "-1"}, "greater than or equal"),
    ],
)
def test_it_refuses_a_bad_policy_with_a_clear_message(member_client, world, changes, error):
    url = reverse("dashboard:policies", args=[world["a"].slug])
    response = member_client.post(url, form_data(**changes))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not AuditEntry.objects.filter(action="policy.change").exists()


def test_it_shows_a_viewer_the_policy_read_only(client, world):
    client.force_login(world["viewer_a"])
    url = reverse("dashboard:policies", args=[world["a"].slug])
    html = client.get(url).content.decode()
    assert "Save policy" not in html
    assert " disabled" in html
    assert client.post(url, form_data(escalate_after_hours="1")).status_code == 403
    assert client.get(reverse("dashboard:policies", args=[world["b"].slug])).status_code == 404


def test_it_starts_a_new_tenant_from_the_environments_defaults(settings):
    settings.POLICY_REMINDER_HOURS = [6, 12]
    settings.POLICY_ESCALATE_AFTER_HOURS = 48
    settings.POLICY_TIME_ZONE = "Asia/Tokyo"
    settings.POLICY_CHANNEL_ORDER = "chat_only"
    tenant = make_tenant()
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert rules.reminder_hours(tenant) == [6, 12]
    assert rules.escalate_after_hours(tenant) == 48
    assert str(rules.time_zone(tenant)) == "Asia/Tokyo"
    assert not Policy.objects.filter(tenant=tenant).exists()
    assert rules.order_channels(tenant, ["slack"]) == ["slack"]  # chat only: never email
