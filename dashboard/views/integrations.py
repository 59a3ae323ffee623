"""A tenant's integrations: each platform's Mio bot, and (with the relay API) keys and webhooks."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Tenant
from dashboard.access import dashboard_action, dashboard_page
from dashboard.audit import record
from dashboard.integrations import check_bot, integrations, relay_links
from dashboard.scoping import can_act, get_scoped_or_404
from tokens.models import Installation


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


@dashboard_action
def check_integration(request: HttpRequest, pk: int) -> HttpResponse:
    """The bot's own health check, now: one call to the platform with the bot's token."""
    installation = get_scoped_or_404(
        Installation.objects.select_related("tenant", "credential"), request, pk=pk
    )
    if not can_act(request, installation.tenant_id):
        return render(request, "dashboard/forbidden.html", status=403)
    works, message, detail = check_bot(installation)
    record(
        request,
        "integration.check",
        tenant_id=installation.tenant_id,
        target=installation,
        detail=detail,
    )
    (messages.success if works else messages.warning)(request, message)
    return redirect("dashboard:integrations", slug=installation.tenant.slug)
