"""The audit log: every dashboard action, newest first, scoped to the user's tenants."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.access import dashboard_page
from dashboard.audit import ADMIN_ACTIONS
from dashboard.models import AuditEntry
from dashboard.paging import paginate, query_without_page
from dashboard.scoping import scope, tenants

ACTION_MAX = 64


@dashboard_page
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = scope(AuditEntry.objects.all(), request).select_related("tenant")
    action = request.GET.get("action", "")[:ACTION_MAX]
    if action:
        entries = entries.filter(action=action)
    slug = request.GET.get("tenant", "")[:64]
    if slug:
        entries = entries.filter(tenant__slug=slug)
    page = paginate(entries.order_by("-at", "-pk"), request)
    return render(
        request,
        "dashboard/audit.html",
        {
            "page": page,
            "query": query_without_page(request),
            "action": action,
            "tenant_slug": slug,
            "tenants": list(tenants(request).only("name", "slug")[:200]),
            "actions": {**ACTIONS, **dict(sorted(ADMIN_ACTIONS.items()))},
        },
    )


# Every action the dashboard records, with how it reads in the log.
ACTIONS = {
    "incident.verify": "Verified an incident",
    "incident.resend": "Resent a prompt",
    "incident.snooze": "Snoozed an incident",
    "incident.resolve": "Resolved an incident",
    "account.check": "Checked an account now",
    "snapshot.take": "Refreshed the snapshot",
    "login.microsoft_refused": "Refused a Microsoft sign-in",
    "login.microsoft_connected": "Connected a Microsoft sign-in (after the second factor)",
}
