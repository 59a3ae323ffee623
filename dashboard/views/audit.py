"""The audit log: every dashboard action in words, newest first, scoped to the user's tenants,
filtered by person, action, tenant and time, and exported as a streamed CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard import auditwords
from dashboard.access import dashboard_page
from dashboard.audit import ADMIN_ACTIONS
from dashboard.csvexport import CHUNK, batched, stream
from dashboard.models import AuditEntry
from dashboard.paging import paginate, query_without_page
from dashboard.scoping import scope, tenant_ids, tenants

ACTION_MAX = 64
PEOPLE_SHOWN = 200


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:10]) if raw else None
    except ValueError:
        return None


def filtered(request: HttpRequest) -> tuple[QuerySet[AuditEntry], dict[str, str]]:
    entries = scope(AuditEntry.objects.all(), request)
    g = request.GET
    f = {
        "action": g.get("action", "")[:ACTION_MAX],
        "tenant": g.get("tenant", "")[:64],
        "who": g.get("who", "")[:12],
        "since": g.get("since", "")[:10],
        "until": g.get("until", "")[:10],
    }
    if f["action"]:
        entries = entries.filter(action=f["action"])
    if f["tenant"]:
        entries = entries.filter(tenant__slug=f["tenant"])
    if f["who"].isdigit():
        entries = entries.filter(actor_id=int(f["who"]))
    if since := _day(f["since"]):
        entries = entries.filter(at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    else:
        f["since"] = ""
    if until := _day(f["until"]):
        end = datetime.combine(until, time.min, tzinfo=UTC) + timedelta(days=1)
        entries = entries.filter(at__lt=end)
    else:
        f["until"] = ""
    return entries.order_by("-at", "-pk"), f


def _people(request: HttpRequest) -> list:
    """The dashboard users whose actions this user may see, for the "who" filter."""
    users = get_user_model().objects.order_by("username")
    ids = tenant_ids(request)
    if ids is not None:
        users = users.filter(memberships__tenant_id__in=ids).distinct()
    return list(users.only("username", "first_name", "last_name")[:PEOPLE_SHOWN])


@dashboard_page
def audit_log(request: HttpRequest) -> HttpResponse:
    entries, f = filtered(request)
    page = paginate(entries.select_related("tenant", "actor"), request)
    auditwords.annotate(page.items)
    return render(
        request,
        "dashboard/audit.html",
        {
            "page": page,
            "query": query_without_page(request),
            "f": f,
            "action": f["action"],
            "tenant_slug": f["tenant"],
            "tenants": list(tenants(request).only("name", "slug")[:200]),
            "people": _people(request),
            "actions": {**ACTIONS, **dict(sorted(ADMIN_ACTIONS.items()))},
        },
    )


@dashboard_page
def audit_export(request: HttpRequest) -> HttpResponse:
    entries, _ = filtered(request)

    def rows() -> Iterator[list]:
        chunk_rows = entries.select_related("tenant", "actor").iterator(chunk_size=CHUNK)
        for chunk in batched(chunk_rows, CHUNK):
            names = auditwords.actor_names(chunk)
            for e in chunk:
                yield [
                    e.at.isoformat(timespec="seconds"),
                    names.get(e.actor_id or 0) or e.actor_name,
                    e.actor_name,
                    e.action,
                    auditwords.sentence(e, names),
                    e.target_type,
                    e.target_id,
                    e.tenant.slug if e.tenant_id else "",
                    e.ip or "",
                    e.detail,
                ]

    header = ["at", "who", "login", "action", "sentence", "target_type", "target_id"]
    return stream("mio-audit-log.csv", [*header, "tenant", "ip", "detail"], rows())


# Every action the dashboard records, with how it reads in the filter.
ACTIONS = {
    "incident.verify": "Verified an incident",
    "incident.resend": "Resent a prompt",
    "incident.snooze": "Snoozed an incident",
    "incident.resolve": "Resolved an incident",
    "account.check": "Checked an account now",
    "snapshot.take": "Refreshed the snapshot",
    "slack.install": "Installed Mio in Slack",
    "integration.check": "Checked a platform's bot",
    "policy.change": "Changed the prompt policy",
    "team.invite": "Invited a dashboard user",
    "team.accept": "Joined the dashboard",
    "team.role": "Changed a dashboard user's role",
    "team.remove": "Removed a dashboard user",
    "team.revoke": "Revoked an invitation",
    "login.microsoft_refused": "Refused a Microsoft sign-in",
    "login.microsoft_connected": "Connected a Microsoft sign-in (after the second factor)",
}
