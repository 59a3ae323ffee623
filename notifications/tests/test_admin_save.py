"""The incident and message admins write only what the operator edited, never over a worker."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.tests.adminforms import form_data
from dashboard.tests.factories import make_incident, make_tenant
from notifications.models import Incident

pytestmark = pytest.mark.django_db


def test_it_keeps_a_resolution_a_worker_wrote_while_the_form_was_open(admin_client):
    incident = make_incident(tenant=make_tenant(), situation="consent_missing")
    url = reverse("admin:notifications_incident_change", args=[incident.pk])
    data = form_data(admin_client.get(url).content.decode(), "incident_form")
    # Meanwhile the user re-synced: a worker resolves the incident.
    Incident.objects.filter(pk=incident.pk).update(
        status="resolved", resolution="resynced", resolved_at=timezone.now()
    )
    data["muted"] = ["on"]  # the operator's one edit

    assert admin_client.post(url, data).status_code == 302

    saved = Incident.objects.get(pk=incident.pk)
    assert saved.muted
    assert (saved.status, saved.resolution) == ("resolved", "resynced")
