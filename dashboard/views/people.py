"""People: who has which accounts, in which state, and what happened to them."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Person
from dashboard import actions
from dashboard.access import dashboard_action, dashboard_page
from dashboard.audit import record
from dashboard.charts import STATE_LABELS
from dashboard.csvexport import CHUNK, stream
from dashboard.models import AuditEntry
from dashboard.paging import paginate, query_without_page
from dashboard.scoping import can_act, get_scoped_or_404, scope, tenants
from dashboard.timeline import SEALED
from notifications.models import AffectedAccount, Incident
from platforms.keys import Platform
from tokens.models import CheckRecord, CredentialState, PlatformAccount

SEARCH_MAX = 100
HISTORY = 25
INCIDENTS_SHOWN = 20


def _accounts() -> Prefetch:
    return Prefetch(
        "accounts",
        queryset=PlatformAccount.objects.select_related("credential")
        .defer(*SEALED)
        .order_by("platform"),
    )


def _filtered(request: HttpRequest):
    people = scope(Person.objects.all(), request)
    q = request.GET.get("q", "").strip()[:SEARCH_MAX]
    if q:
        people = people.filter(Q(email__icontains=q) | Q(name__icontains=q))
    state = request.GET.get("state", "")
    if state in CredentialState.values:
        people = people.filter(
            Exists(PlatformAccount.objects.filter(person=OuterRef("pk"), credential__state=state))
        )
    platform = request.GET.get("platform", "")
    if platform in Platform.values:
        people = people.filter(
            Exists(PlatformAccount.objects.filter(person=OuterRef("pk"), platform=platform))
        )
    slug = request.GET.get("tenant", "")[:64]
    if slug:
        people = people.filter(tenant__slug=slug)
    return people, q, state, platform, slug


@dashboard_page
def people_list(request: HttpRequest) -> HttpResponse:
    people, q, state, platform, slug = _filtered(request)
    people = people.select_related("tenant")
    # Newest first by primary key: an index walk, where ordering by name would sort them all.
    page = paginate(people.order_by("-pk").prefetch_related(_accounts()), request)
    return render(
        request,
        "dashboard/people.html",
        {
            "page": page,
            "query": query_without_page(request),
            "q": q,
            "state": state,
            "platform": platform,
            "tenant_slug": slug,
            "states": [(s, STATE_LABELS.get(s, label)) for s, label in CredentialState.choices],
            "platforms": Platform.choices,
            "tenants": list(tenants(request).only("name", "slug")[:200]),
        },
    )


@dashboard_page
def people_export(request: HttpRequest) -> HttpResponse:
    """People and their accounts as CSV, one row per account, streamed (never a token)."""
    people, *_ = _filtered(request)
    accounts = (
        PlatformAccount.objects.filter(person__in=people.values("pk"))
        .select_related("person__tenant", "credential")
        .defer(*SEALED)
        .order_by("person_id", "platform")
        .iterator(chunk_size=CHUNK)
    )
    rows = (
        [
            a.person.tenant.slug,
            a.person.name,
            a.person.email,
            "yes" if a.person.is_tenant_admin else "",
            a.platform,
            a.upstream_user_id,
            a.credential.state if a.credential_id else "",
            a.credential.situation if a.credential_id else "",
            _iso(a.credential.last_checked_at) if a.credential_id else "",
            _iso(a.credential.last_refreshed_at) if a.credential_id else "",
        ]
        for a in accounts
    )
    header = ["tenant", "name", "email", "tenant_admin", "platform", "upstream_id", "state"]
    header += ["situation", "last_checked_at", "last_refreshed_at"]
    return stream("mio-people.csv", header, rows)


def _iso(moment) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


@dashboard_page
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(
        Person.objects.select_related("tenant").prefetch_related(_accounts()), request, pk=pk
    )
    accounts = list(person.accounts.all())
    credential_ids = [a.credential_id for a in accounts if a.credential_id]
    # Newest first, a page at a time: an account checked every few minutes has a long history.
    checks = paginate(
        CheckRecord.objects.filter(credential_id__in=credential_ids)
        .select_related("credential")
        .defer(*SEALED)
        .order_by("-checked_at", "-pk"),
        request,
        per_page=HISTORY,
    )
    # Their own incidents, and the tenant-wide ones that list one of their accounts: two index
    # lookups joined by OR (the account FK, and the affected-accounts table by credential).
    via_affected = AffectedAccount.objects.filter(credential_id__in=credential_ids).values(
        "incident_id"
    )
    incidents = list(
        Incident.objects.filter(
            Q(account_id__in=[a.pk for a in accounts]) | Q(pk__in=via_affected)
        ).order_by("-opened_at", "-pk")[:INCIDENTS_SHOWN]
    )
    audit = list(
        AuditEntry.objects.filter(
            tenant_id=person.tenant_id,
            target_type=PlatformAccount._meta.label,
            target_id__in=[str(a.pk) for a in accounts],
        ).order_by("-at")[:20]
    )
    return render(
        request,
        "dashboard/person.html",
        {
            "person": person,
            "accounts": accounts,
            "checks": checks,
            "query": query_without_page(request),
            "incidents": incidents,
            "audit": audit,
            "can_act": can_act(request, person.tenant_id),
        },
    )


@dashboard_action
def check_account(request: HttpRequest, pk: int) -> HttpResponse:
    """Check one account now (a real probe through its platform), then show its person."""
    account = get_scoped_or_404(
        PlatformAccount.objects.select_related("person", "credential"),
        request,
        field="person__tenant",
        pk=pk,
    )
    if not can_act(request, account.person.tenant_id):
        return render(request, "dashboard/forbidden.html", status=403)
    if account.credential_id is None:
        messages.error(request, "This account has no stored sign-in to check.")
        return redirect("dashboard:person", pk=account.person_id)
    result = actions.check_account(account)
    record(
        request,
        "account.check",
        tenant_id=account.person.tenant_id,
        target=account,
        detail=result.detail,
    )
    (messages.success if result.ok else messages.warning)(request, result.message)
    return redirect("dashboard:person", pk=account.person_id)
