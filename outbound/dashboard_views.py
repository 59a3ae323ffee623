"""The dashboard's Webhooks pages (under Relay): endpoints, their delivery log, and actions.

Same login, MFA and tenant scoping as every dashboard page. Viewers read; a tenant's admins
add endpoints, rotate secrets, enable/disable and send deliveries again (all audited by
``outbound.endpoints``). A signing secret is shown once, in the answer that made it.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Tenant
from dashboard.access import dashboard_action, dashboard_page
from dashboard.scoping import can_act, get_scoped_or_404, scope, tenants
from outbound import destinations
from outbound.endpoints import create_endpoint, rotate_secret, send_again, set_active
from outbound.models import EVENT_TYPES, Attempt, Delivery, Endpoint

LOG_ROWS = 50


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/forbidden.html", status=403)


def _list(request: HttpRequest, *, new_secret: str = "", status: int = 200) -> HttpResponse:
    endpoints = scope(Endpoint.objects.select_related("tenant"), request).order_by("-created_at")
    admin_tenants = [t for t in tenants(request).order_by("name") if can_act(request, t.pk)]
    response = render(
        request,
        "dashboard/relay/webhooks.html",
        {
            "endpoints": endpoints,
            "event_types": EVENT_TYPES,
            "admin_tenants": admin_tenants,
            "new_secret": new_secret,
        },
        status=status,
    )
    if new_secret:
        response["Cache-Control"] = "no-store"  # the secret must not outlive this page
    return response


@dashboard_page
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@dashboard_action
def endpoint_create(request: HttpRequest) -> HttpResponse:
    tenant = get_scoped_or_404(
        Tenant.objects.all(), request, field="pk", slug=request.POST.get("tenant", "")
    )
    if not can_act(request, tenant.pk):
        return _forbidden(request)
    url = request.POST.get("url", "").strip()[:500]
    types = [t for t in request.POST.getlist("event_types") if t in EVENT_TYPES]
    try:
        _, secret = create_endpoint(
            tenant, url, types, request.POST.get("description", "").strip(), request=request
        )
    except destinations.Refused as exc:
        messages.error(request, f"That URL cannot be used: {exc}.")
        return redirect("webhooks:list")
    return _list(request, new_secret=secret, status=201)


def _endpoint(request: HttpRequest, pk: int) -> Endpoint:
    return get_scoped_or_404(Endpoint.objects.select_related("tenant"), request, pk=pk)


def _detail(request: HttpRequest, endpoint: Endpoint, new_secret: str = "") -> HttpResponse:
    deliveries = (
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("log", Attempt.objects.order_by("at", "pk")))
        .order_by("-created_at", "-pk")[:LOG_ROWS]
    )
    response = render(
        request,
        "dashboard/relay/webhook.html",
        {
            "endpoint": endpoint,
            "deliveries": deliveries,
            "can_act": can_act(request, endpoint.tenant_id),
            "new_secret": new_secret,
        },
    )
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


@dashboard_page
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _endpoint(request, pk))


@dashboard_action
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if not can_act(request, endpoint.tenant_id):
        return _forbidden(request)
    secret = rotate_secret(endpoint, request=request)
    messages.success(request, "New secret made; the old one keeps signing too for 24 hours.")
    return _detail(request, endpoint, new_secret=secret)


@dashboard_action
def endpoint_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if not can_act(request, endpoint.tenant_id):
        return _forbidden(request)
    set_active(endpoint, not endpoint.is_active, request=request)
    return redirect("webhooks:detail", pk=endpoint.pk)


@dashboard_action
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_scoped_or_404(
        Delivery.objects.select_related("endpoint", "event"),
        request,
        field="endpoint__tenant",
        pk=pk,
    )
    if not can_act(request, delivery.endpoint.tenant_id):
        return _forbidden(request)
    send_again(delivery, request=request)
    messages.success(request, f"{delivery.event.type} queued to be sent again.")
    return redirect("webhooks:detail", pk=delivery.endpoint_id)
