"""Incidents: the list with filters and search, the detail with its timeline, and the actions."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from dashboard import actions
from dashboard.access import dashboard_action, dashboard_page
from dashboard.affected import annotate_totals
from dashboard.audit import record
from dashboard.csvexport import CHUNK, stream
from dashboard.paging import paginate, query_without_page
from dashboard.scoping import can_act, get_scoped_or_404, scope, tenants
from dashboard.timeline import incident_context
from notifications.models import AffectedAccount, Incident
from platforms.keys import Platform
from tokens.situations import Audience, Situation

SEARCH_MAX = 100
# How long an admin may snooze an incident's reminders: form value -> (hours, label).
SNOOZE_CHOICES = {
    "4": (4, "4 hours"),
    "24": (24, "1 day"),
    "72": (72, "3 days"),
    "168": (168, "7 days"),
}


def filtered(request: HttpRequest):
    """The incidents of the user's tenants, narrowed by the list's filters."""
    qs = scope(Incident.objects.all(), request)
    g = request.GET
    if (status := g.get("status", "open")) in Incident.Status.values:
        qs = qs.filter(status=status)
    if (platform := g.get("platform", "")) in Platform.values:
        qs = qs.filter(platform=platform)
    if (situation := g.get("situation", "")) in Situation.values:
        qs = qs.filter(situation=situation)
    if (audience := g.get("audience", "")) in Audience.values:
        qs = qs.filter(audience=audience)
    if slug := g.get("tenant", "")[:64]:
        qs = qs.filter(tenant__slug=slug)
    if q := g.get("q", "").strip()[:SEARCH_MAX]:
        person = Q(account__person__email__icontains=q) | Q(account__person__name__icontains=q)
        in_affected = AffectedAccount.objects.filter(incident=OuterRef("pk")).filter(
            Q(account__person__email__icontains=q) | Q(account__person__name__icontains=q)
        )
        qs = qs.filter(person | Exists(in_affected))
    return qs


@dashboard_page
def incident_list(request: HttpRequest) -> HttpResponse:
    # Accounts and people come in two small follow-up queries for the page's rows: joined in
    # the main query, PostgreSQL would join every open incident before picking the newest.
    qs = filtered(request).select_related("tenant").prefetch_related("account__person")
    # Most recently prompted first: the (status, prompted_at) index walks them in this order,
    # where "newest opened" would sort every open incident on each page view.
    page = paginate(qs.order_by("-prompted_at", "-pk"), request)
    annotate_totals(page.items)
    g = request.GET
    return render(
        request,
        "dashboard/incidents.html",
        {
            "page": page,
            "query": query_without_page(request),
            "f": {
                "status": g.get("status", "open"),
                "platform": g.get("platform", ""),
                "situation": g.get("situation", ""),
                "audience": g.get("audience", ""),
                "tenant": g.get("tenant", ""),
                "q": g.get("q", "").strip()[:SEARCH_MAX],
            },
            "statuses": Incident.Status.choices,
            "platforms": Platform.choices,
            "situations": Situation.choices,
            "audiences": Audience.choices,
            "tenants": list(tenants(request).only("name", "slug")[:200]),
        },
    )


@dashboard_page
def incident_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV, streamed (every matching incident, not one page)."""
    qs = (
        filtered(request)
        .select_related("tenant", "account__person")
        .order_by("-prompted_at", "-pk")
        .iterator(chunk_size=CHUNK)
    )
    rows = (
        [
            i.pk,
            i.tenant.slug,
            i.platform,
            i.situation,
            i.audience,
            i.status,
            i.resolution,
            "yes" if i.tenant_wide else "",
            i.account.person.email if i.account_id else "",
            i.affected_count,
            i.opened_at.isoformat(timespec="seconds"),
            i.resolved_at.isoformat(timespec="seconds") if i.resolved_at else "",
            i.resolved_by,
        ]
        for i in qs
    )
    header = ["id", "tenant", "platform", "situation", "who_acts", "status", "resolution"]
    header += ["tenant_wide", "person", "still_failing", "opened_at", "resolved_at", "resolved_by"]
    return stream("mio-incidents.csv", header, rows)


@dashboard_page
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_scoped_or_404(
        Incident.objects.select_related("tenant", "account__person", "credential").defer(
            "credential__access_token", "credential__refresh_token"
        ),
        request,
        pk=pk,
    )
    context = incident_context(incident)
    context["can_act"] = can_act(request, incident.tenant_id)
    context["snooze_choices"] = SNOOZE_CHOICES
    return render(request, "dashboard/incident.html", context)


def _incident_for_action(request: HttpRequest, pk: int) -> Incident | HttpResponse:
    incident = get_scoped_or_404(
        Incident.objects.select_related("tenant", "account__person", "credential"),
        request,
        pk=pk,
    )
    if not can_act(request, incident.tenant_id):
        return render(request, "dashboard/forbidden.html", status=403)
    return incident


def _back(request: HttpRequest, incident: Incident) -> HttpResponse:
    """Back where the action was pressed (the CA page or the incident), never off-site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("dashboard:incident", pk=incident.pk)


def _done(request: HttpRequest, incident: Incident, action: str, result: actions.Result):
    record(
        request,
        f"incident.{action}",
        tenant_id=incident.tenant_id,
        target=incident,
        detail=result.detail,
    )
    (messages.success if result.ok else messages.warning)(request, result.message)
    return _back(request, incident)


@dashboard_action
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_for_action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    return _done(request, incident, "verify", actions.verify(incident))


@dashboard_action
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_for_action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    return _done(request, incident, "resend", actions.resend(incident, by=request.user))


@dashboard_action
def snooze(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_for_action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    choice = SNOOZE_CHOICES.get(request.POST.get("hours", ""))
    if choice is None:
        messages.error(request, "Choose how long to snooze: 4 hours, 1, 3 or 7 days.")
        return render(request, "dashboard/bad_request.html", {"incident": incident}, status=400)
    return _done(request, incident, "snooze", actions.snooze(incident, timedelta(hours=choice[0])))


@dashboard_action
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_for_action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    note = request.POST.get("note", "").strip()[:500]
    return _done(
        request, incident, "resolve", actions.resolve(incident, by=request.user, note=note)
    )
