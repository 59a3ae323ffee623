"""A tenant's team: its dashboard users and pending invitations; invite, change role, remove,
revoke (admins only, all audited); and the invitation link's page, where the invitee joins."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Membership, Tenant
from dashboard import team
from dashboard.access import dashboard_action, dashboard_form
from dashboard.audit import record
from dashboard.models import Invitation
from dashboard.scoping import can_act, get_scoped_or_404

MEMBERS_SHOWN = 200


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class JoinForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)


def _tenant(request: HttpRequest, slug: str) -> Tenant:
    return get_scoped_or_404(Tenant.objects.all(), request, field="pk", slug=slug)


@dashboard_form
def team_page(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant(request, slug)
    allowed = can_act(request, tenant.pk)
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if not allowed:
            return render(request, "dashboard/forbidden.html", status=403)
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                invitation = team.invite(
                    tenant, form.cleaned_data["email"], form.cleaned_data["role"], by=request.user
                )
            except team.TeamError as exc:
                form.add_error("email", str(exc))
            else:
                record(
                    request,
                    "team.invite",
                    tenant_id=tenant.pk,
                    target=invitation,
                    detail={"summary": invitation.email, "role": invitation.role},
                )
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("dashboard:team", slug=tenant.slug)
        status = 400
    members = list(
        Membership.objects.filter(tenant=tenant)
        .select_related("user", "person")
        .order_by("user__username")[:MEMBERS_SHOWN]
    )
    invitations = list(
        Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")[:MEMBERS_SHOWN]
    )
    return render(
        request,
        "dashboard/team.html",
        {
            "tenant": tenant,
            "members": members,
            "invitations": invitations,
            "form": form,
            "roles": Membership.Role.choices,
            "can_act": allowed,
        },
        status=status,
    )


def _membership_for_action(request: HttpRequest, pk: int) -> Membership | HttpResponse:
    membership = get_scoped_or_404(
        Membership.objects.select_related("tenant", "user"), request, pk=pk
    )
    if not can_act(request, membership.tenant_id):
        return render(request, "dashboard/forbidden.html", status=403)
    return membership


@dashboard_action
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership_for_action(request, pk)
    if isinstance(membership, HttpResponse):
        return membership
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose admin or viewer.")
        return redirect("dashboard:team", slug=membership.tenant.slug)
    before = membership.role
    try:
        changed = team.change_role(membership, form.cleaned_data["role"])
    except team.TeamError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:team", slug=membership.tenant.slug)
    if changed:
        record(
            request,
            "team.role",
            tenant_id=membership.tenant_id,
            target=membership.user,
            detail={"summary": f"{before} → {form.cleaned_data['role']}"},
        )
        messages.success(
            request, f"{membership.user.get_username()} is now {form.cleaned_data['role']}."
        )
    return redirect("dashboard:team", slug=membership.tenant.slug)


@dashboard_action
def remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership_for_action(request, pk)
    if isinstance(membership, HttpResponse):
        return membership
    slug, user = membership.tenant.slug, membership.user
    try:
        team.remove(membership)
    except team.TeamError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:team", slug=slug)
    record(
        request,
        "team.remove",
        tenant_id=membership.tenant_id,
        target=user,
        detail={"summary": user.get_username()},
    )
    messages.success(
        request, f"{user.get_username()} no longer has access to {membership.tenant.name}."
    )
    return redirect("dashboard:team", slug=slug)


@dashboard_action
def revoke_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_scoped_or_404(Invitation.objects.select_related("tenant"), request, pk=pk)
    if not can_act(request, invitation.tenant_id):
        return render(request, "dashboard/forbidden.html", status=403)
    if Invitation.objects.filter(pk=pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    ):
        record(
            request,
            "team.revoke",
            tenant_id=invitation.tenant_id,
            target=invitation,
            detail={"summary": invitation.email},
        )
        messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("dashboard:team", slug=invitation.tenant.slug)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page: join with the signed-in account, or create one (then set up 2FA)."""
    found, problem = team.read(token)
    if found is None:
        return render(
            request,
            "dashboard/invitation.html",
            {"problem": problem},
            status=410 if problem != "invalid" else 404,
        )
    user = request.user if request.user.is_authenticated else None
    wrong_account = user is not None and (user.email or "").lower() != found.email
    form = JoinForm()
    if request.method == "POST" and not wrong_account:
        if user is None:
            form = JoinForm(request.POST)
            if not form.is_valid():
                return render(
                    request,
                    "dashboard/invitation.html",
                    {"invitation": found, "form": form},
                    status=400,
                )
            user = form.save(commit=False)
            user.email = found.email
            user.save()
        membership = team.accept(found, user)
        if membership is None:
            return render(request, "dashboard/invitation.html", {"problem": "used"}, status=410)
        if not request.user.is_authenticated:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        record(
            request,
            "team.accept",
            tenant_id=found.tenant_id,
            target=found,
            detail={"summary": found.email, "role": found.role},
        )
        messages.success(request, f"Welcome to {found.tenant.name}'s dashboard.")
        return redirect("dashboard:tenant", slug=found.tenant.slug)
    return render(
        request,
        "dashboard/invitation.html",
        {"invitation": found, "form": form, "wrong_account": wrong_account},
    )
