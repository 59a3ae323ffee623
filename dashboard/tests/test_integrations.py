"""The integrations page: each platform's bot in the tenant, who installed it, its token and
its health; install or reinstall for an admin; nothing of another tenant."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.models import AuditEntry
from dashboard.tests.factories import make_incident, make_user
from tests.factories import make_installation
from tokens.models import Credential

pytestmark = pytest.mark.django_db


def cards(client, tenant) -> dict:
    response = client.get(reverse("dashboard:integrations", args=[tenant.slug]))
    assert response.status_code == 200
    return {i.platform: i for i in response.context["integrations"]}, response.content.decode()


def test_it_shows_each_platforms_bot_with_installer_token_and_health(member_client, world):
    tenant = world["a"]
    slack = make_installation(tenant, "slack")
    Credential.objects.filter(pk=slack.credential_id).update(
        refresh_token="xoxe-1", last_refreshed_at=timezone.now(), state="healthy"
    )
    AuditEntry.objects.create(
        actor_name="ada.admin",
        action="slack.install",
        tenant=tenant,
        target_type="tokens.Installation",
        target_id=str(slack.pk),
    )
    zoom = make_installation(tenant, "zoom")
    Credential.objects.filter(pk=zoom.credential_id).update(
        state="waiting_admin", situation="app_uninstalled"
    )
    removed = make_incident(tenant=tenant, platform="zoom", situation="app_uninstalled")

    found, html = cards(member_client, tenant)
    assert found["slack"].installation.rotating is True
    assert found["slack"].installed_by == "ada.admin"
    assert found["slack"].healthy
    assert "Rotating: refreshed just now" in html
    assert "by ada.admin" in html
    assert not found["zoom"].healthy
    assert [p.pk for p in found["zoom"].problems] == [removed.pk]
    assert found["teams"].installation is None
    assert "Teams admin center" in html
    # An admin may reinstall Slack from here; the flow is the dashboard's own.
    assert f'href="/install/slack/?tenant={tenant.slug}"' in html
    assert "Reinstall on Slack" in html
    # The relay API's keys and webhooks get their place on the page.
    assert 'id="relay"' in html


def test_it_shows_a_viewer_no_install_button_and_hides_other_tenants(client, world):
    client.force_login(world["viewer_a"])
    _found, html = cards(client, world["a"])
    assert "/install/slack/" not in html
    answer = client.get(reverse("dashboard:integrations", args=[world["b"].slug]))
    assert answer.status_code == 404


def test_it_lets_the_operator_reach_any_tenants_integrations(client, world):
    client.force_login(make_user(superuser=True))
    tenant_page = client.get(reverse("dashboard:tenant", args=[world["b"].slug])).content.decode()
    assert reverse("dashboard:integrations", args=[world["b"].slug]) in tenant_page


@pytest.mark.django_db(transaction=True)
def test_it_checks_the_bots_own_token_with_the_platform(sandbox, client):
    from platforms.sandbox.registry import get_fake
    from tests.factories import make_person, make_tenant
    from tokens.models import Installation
    from tokens.provisioning import attach_account, grant_from_dict

    tenant = make_tenant(primary_platform="slack")
    person = make_person(tenant, email=f"ada@{tenant.slug}.example", name="Ada Admin")
    data = sandbox.provision("slack", person.email, person.name)
    account = attach_account(person, "slack", grant_from_dict(data["grant"]))
    bot = get_fake("slack").provision_bot(account.workspace_id)
    credential = Credential.objects.create(
        tenant=tenant, platform="slack", kind=Credential.Kind.BOT, access_token=bot["bot_token"]
    )
    slack = Installation.objects.create(
        tenant=tenant, platform="slack", workspace_id=account.workspace_id, credential=credential
    )
    client.force_login(make_user(tenant))
    response = client.post(reverse("dashboard:integration-check", args=[slack.pk]))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The Slack bot works" in page
    entry = AuditEntry.objects.get(action="integration.check")
    assert entry.detail["summary"] == "ok"
    # A forged bot token is refused by the platform, and the page says how.
    Credential.objects.filter(pk=credential.pk).update(access_token="xoxb-forged")
    response = client.post(reverse("dashboard:integration-check", args=[slack.pk]))
    page = client.get(response["Location"]).content.decode()
    assert "The Slack bot does not work" in page
