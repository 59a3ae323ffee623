"""The Conditional Access & admin page: tenant-level admin incidents (CA blocks first, then
consent, disabled or removed apps, scopes), then single accounts that wait on an admin (a deleted
or disabled user), each with its evidence, remedy, admin-consent link and Verify now.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dashboard.access import dashboard_page
from dashboard.affected import annotate_totals
from dashboard.scoping import can_act, scope
from dashboard.timeline import CONSENT_SITUATIONS, consent_link, remedy
from notifications.models import Incident
from notifications.texts.common import evidence_facts
from tokens.situations import CATALOGUE, Audience, Situation

SHOWN = 50
RESOLVED_DAYS = 7
TENANT_WIDE = [key for key, info in CATALOGUE.items() if info.tenant_wide]


def _card(request: HttpRequest, incident: Incident) -> dict:
    return {
        "incident": incident,
        "facts": evidence_facts(incident.platform, incident.evidence),
        "evidence": incident.evidence or {},
        "remedy": remedy(incident, []),
        "consent_link": consent_link(incident),
        "consent_is_remedy": incident.situation in CONSENT_SITUATIONS,
        "can_act": can_act(request, incident.tenant_id),
    }


@dashboard_page
def ca_page(request: HttpRequest) -> HttpResponse:
    base = scope(Incident.objects.filter(situation__in=TENANT_WIDE), request).select_related(
        "tenant"
    )
    open_incidents = list(base.filter(status=Incident.Status.OPEN).order_by("-pk")[:SHOWN])
    since = timezone.now() - timedelta(days=RESOLVED_DAYS)
    resolved = list(
        base.filter(status=Incident.Status.RESOLVED, resolved_at__gte=since).order_by("-pk")[:SHOWN]
    )
    accounts = list(
        scope(
            Incident.objects.filter(
                status=Incident.Status.OPEN, audience=Audience.ADMIN, tenant_wide=False
            ),
            request,
        )
        .select_related("tenant", "account__person")
        .order_by("-pk")[:SHOWN]
    )
    annotate_totals(open_incidents)
    cards = [_card(request, i) for i in open_incidents]
    return render(
        request,
        "dashboard/conditional_access.html",
        {
            "ca_cards": [c for c in cards if c["incident"].situation == Situation.CA_BLOCKED],
            "other_cards": [c for c in cards if c["incident"].situation != Situation.CA_BLOCKED],
            "account_cards": [_card(request, i) for i in accounts],
            "resolved": resolved,
            "next": reverse("dashboard:conditional-access"),
            "resolved_days": RESOLVED_DAYS,
        },
    )
