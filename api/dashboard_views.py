"""The dashboard's Relay keys pages: list (with last use and today's count), create, revoke.

Mounted at /dashboard/relay/ by ``api.dashboard_urls``; the same login, MFA and tenant scoping as
every dashboard page (``dashboard.access``, ``dashboard.scoping``). Viewers see keys; only a
tenant's admins create and revoke them, and both are audited (``api.keys``). A new key is shown
once, in the answer to the POST that created it, never stored or put in a cookie.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Tenant
from api.keys import SCOPES, create_key, revoke_key
from api.models import KeyUse
from dashboard.access import dashboard_action, dashboard_page
from dashboard.scoping import can_act, get_scoped_or_404, scope, tenants
from tokens.models import RelayApiKey

TEMPLATE = "dashboard/relay/keys.html"


def _page(request: HttpRequest, *, new_key: str = "", status: int = 200) -> HttpResponse:
    today = timezone.now().date()
    keys = (
        scope(RelayApiKey.objects.select_related("tenant"), request)
        .prefetch_related(Prefetch("uses", KeyUse.objects.filter(day=today), to_attr="today"))
        .order_by("revoked_at", "-created_at")
    )
    rows = [
        {
            "key": key,
            "today": key.today[0].count if key.today else 0,
            "can_revoke": key.revoked_at is None and can_act(request, key.tenant_id),
        }
        for key in keys
    ]
    admin_tenants = [t for t in tenants(request).order_by("name") if can_act(request, t.pk)]
    context = {
        "rows": rows,
        "scopes": SCOPES,
        "admin_tenants": admin_tenants,
        "new_key": new_key,
    }
    response = render(request, TEMPLATE, context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"  # the key must not outlive this page
    return response


@dashboard_page
def key_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@dashboard_action
def key_create(request: HttpRequest) -> HttpResponse:
    tenant = get_scoped_or_404(
        Tenant.objects.all(), request, field="pk", slug=request.POST.get("tenant", "")
    )
    if not can_act(request, tenant.pk):
        return render(request, "dashboard/forbidden.html", status=403)
    chosen = [s for s in request.POST.getlist("scopes") if s in SCOPES]
    if not chosen:
        messages.error(request, "Choose at least one scope for the key.")
        return redirect("relay-dashboard:keys")
    name = request.POST.get("name", "").strip()[:100]
    _, secret = create_key(tenant, name, chosen, request=request)
    return _page(request, new_key=secret, status=201)


@dashboard_action
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_scoped_or_404(RelayApiKey.objects.select_related("tenant"), request, pk=pk)
    if not can_act(request, key.tenant_id):
        return render(request, "dashboard/forbidden.html", status=403)
    if revoke_key(key, request=request):
        messages.success(request, f"Key {key.prefix}… revoked: it is refused from now on.")
    return redirect("relay-dashboard:keys")
