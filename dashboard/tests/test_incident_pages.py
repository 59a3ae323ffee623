"""The incidents list (filters, search by person), the incident page and the CA page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboard.tests.factories import CA_EVIDENCE, make_incident, make_prompt

pytestmark = pytest.mark.django_db


def ids_on(client, query: str = "") -> set[int]:
    response = client.get(reverse("dashboard:incidents") + query)
    assert response.status_code == 200
    return {i.pk for i in response.context["page"].items}


def test_it_filters_incidents_by_state_platform_situation_and_audience(member_client, world):
    a = world["data_a"]
    user_incidents = {i.pk for i in world["a"].incidents.filter(audience="user", status="open")}
    ca = a["ca"].pk
    assert ids_on(member_client) == user_incidents | {ca}
    assert ids_on(member_client, "?situation=ca_blocked") == {ca}
    assert ids_on(member_client, "?audience=user") == user_incidents
    assert ids_on(member_client, "?audience=admin") == {ca}
    assert ids_on(member_client, "?platform=slack") == set()
    assert ids_on(member_client, "?platform=teams") == user_incidents | {ca}
    assert ids_on(member_client, "?status=resolved") == set()
    # Unknown filter values are ignored, not errors.
    assert ids_on(member_client, "?situation=nope&platform=<b>&page=x") == user_incidents | {ca}


def test_it_finds_incidents_by_person_in_account_and_tenant_wide_incidents(member_client, world):
    a = world["data_a"]
    broken = a["accounts"][1]  # waiting on the user, and among the CA incident's affected
    own = world["a"].incidents.get(account=broken).pk
    assert ids_on(member_client, f"?q={broken.person.email.upper()}") == {own, a["ca"].pk}
    healthy_affected = a["accounts"][0]
    assert ids_on(member_client, f"?q={healthy_affected.person.email}") == {a["ca"].pk}
    assert ids_on(member_client, "?q=nobody-by-that-name") == set()


def test_it_shows_the_incident_evidence_remedy_timeline_and_affected(member_client, world):
    ca = world["data_a"]["ca"]
    html = member_client.get(reverse("dashboard:incident", args=[ca.pk])).content.decode()
    assert "AADSTS53003" in html
    assert CA_EVIDENCE["correlation_id"] in html
    assert CA_EVIDENCE["timestamp"] in html
    assert "Conditional Access is blocking Mio" in html  # the admin prompt's own words
    assert "Detected: Blocked by Conditional Access" in html
    assert "Prompt delivered to" in html
    for account in world["data_a"]["accounts"][:2]:
        assert account.person.email in html
    assert "Verify now" in html


def test_it_shows_the_admin_consent_link_where_consent_is_the_remedy(member_client, world):
    a = world["a"]
    incident = make_incident(tenant=a, platform="teams", situation="consent_missing")
    html = member_client.get(reverse("dashboard:incident", args=[incident.pk])).content.decode()
    link = f"https://login.microsoftonline.com/{a.entra_tenant_id}/adminconsent?client_id="
    assert link in html
    assert "Grant admin consent" in html


def test_it_lists_tenant_wide_admin_incidents_on_the_ca_page(member_client, world):
    a = world["a"]
    consent = make_incident(tenant=a, platform="teams", situation="consent_missing")
    make_prompt(consent, world["data_a"]["people"][0])
    response = member_client.get(reverse("dashboard:conditional-access"))
    html = response.content.decode()
    assert [c["incident"].pk for c in response.context["ca_cards"]] == [world["data_a"]["ca"].pk]
    assert [c["incident"].pk for c in response.context["other_cards"]] == [consent.pk]
    assert "AADSTS53003" in html
    assert CA_EVIDENCE["correlation_id"] in html
    assert "/adminconsent?client_id=" in html
    assert reverse("dashboard:incident-verify", args=[world["data_a"]["ca"].pk]) in html


def test_it_hides_the_action_buttons_from_a_viewer(client, world):
    client.force_login(world["viewer_a"])
    html = client.get(
        reverse("dashboard:incident", args=[world["data_a"]["ca"].pk])
    ).content.decode()
    assert "Verify now</button>" not in html
    assert "read-only" in html
