"""A tenant's prompt policy, edited by its admins (audited), read by everyone of the tenant."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Tenant
from dashboard import policyforms
from dashboard.access import dashboard_form
from dashboard.audit import record
from dashboard.scoping import can_act, get_scoped_or_404
from policies import rules
from policies.models import Policy


@dashboard_form
def policies_page(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = get_scoped_or_404(Tenant.objects.all(), request, field="pk", slug=slug)
    allowed = can_act(request, tenant.pk)
    if request.method == "POST":
        if not allowed:
            return render(request, "dashboard/forbidden.html", status=403)
        form = policyforms.PolicyForm(request.POST, tenant=tenant)
        if form.is_valid():
            changed = policyforms.save(form)
            if changed:
                record(
                    request,
                    "policy.change",
                    tenant_id=tenant.pk,
                    target=tenant,
                    detail={
                        "summary": ", ".join(sorted(changed)),
                        "changed": changed,
                    },
                )
                messages.success(request, "Policy saved: Mio follows it from the next prompt on.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("dashboard:policies", slug=tenant.slug)
        status = 400
    else:
        policy = Policy.objects.filter(tenant=tenant).prefetch_related("admin_recipients").first()
        form = policyforms.PolicyForm(
            initial=policyforms.initial_for(tenant, policy, rules.channel_order(tenant)),
            tenant=tenant,
        )
        status = 200
    if not allowed:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "dashboard/policies.html",
        {"tenant": tenant, "form": form, "can_act": allowed},
        status=status,
    )
