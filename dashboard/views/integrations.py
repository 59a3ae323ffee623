"""A tenant's integrations: each platform's Mio bot, and (with the relay API) keys and webhooks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Tenant
from dashboard.access import dashboard_page
from dashboard.integrations import integrations, relay_links
from dashboard.scoping import can_act, get_scoped_or_404


@dashboard_page
def integrations_page(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = get_scoped_or_404(Tenant.objects.all(), request, field="pk", slug=slug)
    return render(
        request,
        "dashboard/integrations.html",
        {
            "tenant": tenant,
            "integrations": integrations(tenant),
            "relay_links": relay_links(tenant),
            "can_act": can_act(request, tenant.pk),
        },
    )
