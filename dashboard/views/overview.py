"""The overview: per platform, the accounts' states now, time-to-heal, prompts, 30-day trend.

Everything is read from DailySnapshot rows (a few per tenant and day), never by counting the
accounts themselves, so the page costs the same at a thousand accounts or a million.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, timedelta

from django.contrib import messages
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Tenant
from dashboard import charts
from dashboard.access import dashboard_action, dashboard_page
from dashboard.audit import record
from dashboard.models import COUNTED_STATES, DailySnapshot
from dashboard.scoping import can_act, get_scoped_or_404, scope, tenants
from dashboard.snapshots import take_snapshots
from dashboard.stats import weighted_median
from notifications.models import Incident
from platforms.keys import Platform
from tokens.situations import Audience

TREND_DAYS = 30
RANGES = (7, 30, 90)  # the trend's choices of days (?days=)
ADMIN_SHOWN = 10
# What the platform cards show, in order; the rest is folded into "other".
SHOWN_STATES = ("healthy", "healing", "waiting_user", "waiting_admin")


def _snapshots(request: HttpRequest, tenant: Tenant | None):
    qs = scope(DailySnapshot.objects.all(), request)
    return qs.filter(tenant=tenant) if tenant is not None else qs


def trend_days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in RANGES else TREND_DAYS


def platform_cards(
    request: HttpRequest, tenant: Tenant | None, span: int = TREND_DAYS
) -> tuple[list[dict], object]:
    """One card per platform (four queries in all, whatever the data size)."""
    today = timezone.now().astimezone(UTC).date()
    start = today - timedelta(days=span - 1)
    days = [start + timedelta(days=i) for i in range(span)]
    snaps = _snapshots(request, tenant)
    latest = snaps.aggregate(day=Max("day"), at=Max("computed_at"))

    now_rows = {
        r["platform"]: r
        for r in snaps.filter(day=latest["day"])
        .values("platform")
        .annotate(**{s: Sum(s) for s in (*COUNTED_STATES, "total")})
        .order_by()
    }
    trend: dict[str, dict] = defaultdict(dict)
    prompts: dict[str, int] = defaultdict(int)
    for r in (
        snaps.filter(day__gte=start)
        .values("platform", "day")
        .annotate(**{s: Sum(s) for s in (*COUNTED_STATES, "prompts_sent")})
        .order_by()
    ):
        trend[r["platform"]][r["day"]] = r
        prompts[r["platform"]] += r["prompts_sent"] or 0
    heal: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for plat, median, n in snaps.filter(day__gte=start, incidents_resolved__gt=0).values_list(
        "platform", "median_heal_seconds", "incidents_resolved"
    ):
        heal[plat].append((median, n))

    cards = []
    for platform in Platform:
        now = now_rows.get(platform.value)
        by_day = trend.get(platform.value, {})
        if now is None and not by_day:
            continue
        counts = {s: (now or {}).get(s) or 0 for s in COUNTED_STATES}
        other = sum(v for s, v in counts.items() if s not in SHOWN_STATES)
        series = {
            s: [(by_day[d][s] or 0) if d in by_day else None for d in days] for s in COUNTED_STATES
        }
        cards.append(
            {
                "platform": platform.value,
                "label": platform.label,
                "total": (now or {}).get("total") or 0,
                "counts": [
                    {"state": s, "label": charts.STATE_LABELS[s], "value": counts[s]}
                    for s in SHOWN_STATES
                ],
                "other": other,
                "bar": charts.state_bar([charts.Part(s, counts[s]) for s in COUNTED_STATES]),
                "trend": charts.stacked_area(
                    days, series, title=f"{platform.label}: accounts by state, last {span} days"
                ),
                "median_heal": weighted_median(heal.get(platform.value, [])),
                "prompts_sent": prompts.get(platform.value, 0),
            }
        )
    return cards, latest["at"]


def _render(request: HttpRequest, tenant: Tenant | None) -> HttpResponse:
    span = trend_days(request)
    cards, as_of = platform_cards(request, tenant, span)
    # Everything that waits on an admin: tenant-wide problems and single accounts alike (a
    # deleted or disabled user), so the box agrees with the "Waiting on admin" counters.
    admin_incidents = scope(
        Incident.objects.filter(status=Incident.Status.OPEN, audience=Audience.ADMIN),
        request,
    ).select_related("tenant", "account__person")
    if tenant is not None:
        admin_incidents = admin_incidents.filter(tenant=tenant)
    return render(
        request,
        "dashboard/overview.html",
        {
            "tenant": tenant,
            "tenants": list(tenants(request).only("name", "slug")[:200]),
            "cards": cards,
            "as_of": as_of,
            "admin_incidents": list(
                admin_incidents.order_by("-tenant_wide", "-opened_at")[:ADMIN_SHOWN]
            ),
            "states_legend": [{"label": charts.STATE_LABELS[s], "key": s} for s in COUNTED_STATES],
            "can_refresh": can_act(request, tenant.pk if tenant else None),
            "span": span,
            "ranges": RANGES,
        },
    )


@dashboard_page
def overview(request: HttpRequest) -> HttpResponse:
    return _render(request, None)


@dashboard_page
def tenant_overview(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = get_scoped_or_404(Tenant.objects.all(), request, field="pk", slug=slug)
    return _render(request, tenant)


@dashboard_action
def take_snapshot(request: HttpRequest) -> HttpResponse:
    """Refresh today's snapshot now (of one tenant, or of every tenant for a superuser)."""
    slug = request.POST.get("tenant") or ""
    if slug:
        tenant = get_scoped_or_404(Tenant.objects.all(), request, field="pk", slug=slug)
        if not can_act(request, tenant.pk):
            return render(request, "dashboard/forbidden.html", status=403)
        rows = take_snapshots(tenant_id=tenant.pk)
        record(request, "snapshot.take", tenant_id=tenant.pk, target=tenant, detail={"rows": rows})
        messages.success(request, f"Snapshot of {tenant.name} refreshed.")
        return redirect("dashboard:tenant", slug=tenant.slug)
    if not request.user.is_superuser:
        return render(request, "dashboard/forbidden.html", status=403)
    rows = take_snapshots()
    record(request, "snapshot.take", tenant_id=None, detail={"rows": rows})
    messages.success(request, "Snapshots of every tenant refreshed.")
    return redirect("dashboard:overview")
