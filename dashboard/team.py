"""Team: a tenant admin invites dashboard users by email, changes their roles, removes them.

The invitation link carries ``signing.dumps({"i": invitation id, "e": email})``: signed (a forged
or edited one fails), expiring (``INVITATION_MAX_AGE``), and single use (accepting sets
``accepted_at`` in one conditional UPDATE, so two clicks accept once). Revoking or removing is
immediate. A tenant always keeps one admin: the last one can be neither demoted nor removed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Tenant
from dashboard.models import Invitation

SALT = "mio.dashboard.invitation"
INVITATION_MAX_AGE = timedelta(days=7)


class TeamError(Exception):
    """Refused with a sentence for the admin."""


def token_for(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=SALT, compress=True)


def link_for(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}{reverse('dashboard:invitation', args=[token_for(invitation)])}"


def read(token: str) -> tuple[Invitation | None, str]:
    """The pending invitation a token names, or None and why not ("invalid", "expired",
    "used")."""
    try:
        data = signing.loads(token, salt=SALT, max_age=INVITATION_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        return None, "expired"
    except signing.BadSignature:
        return None, "invalid"
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        return None, "invalid"
    invitation = Invitation.objects.select_related("tenant").filter(pk=data["i"]).first()
    if invitation is None or invitation.email != data.get("e"):
        return None, "invalid"
    if invitation.revoked_at is not None:
        return None, "invalid"
    if invitation.accepted_at is not None:
        return None, "used"
    return invitation, ""


def invite(tenant: Tenant, email: str, role: str, *, by) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise TeamError(f"{email} is already on the team.")
    with transaction.atomic():
        # A new invitation replaces an unanswered one to the same address.
        Invitation.objects.filter(
            tenant=tenant, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(tenant=tenant, email=email, role=role, invited_by=by)
    who = by.get_full_name() or by.get_username()
    send_mail(
        f"You're invited to {tenant.name}'s Mio Auto Heal dashboard",
        f"{who} invites you to the Mio Auto Heal dashboard of {tenant.name} as "
        f"{'an admin' if role == Membership.Role.ADMIN else 'a viewer'}.\n\n"
        f"Accept within {INVITATION_MAX_AGE.days} days (the link works once):\n"
        f"{link_for(invitation)}\n\nIf you weren't expecting this, ignore this email.",
        None,
        [email],
    )
    return invitation


def accept(invitation: Invitation, user) -> Membership | None:
    """Make ``user`` a member as invited; None when the invitation was used meanwhile."""
    with transaction.atomic():
        taken = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if not taken:
            return None
        membership, _ = Membership.objects.update_or_create(
            user=user, tenant=invitation.tenant, defaults={"role": invitation.role}
        )
    return membership


def _admins_left(tenant: Tenant, without: Membership) -> int:
    return (
        Membership.objects.filter(tenant=tenant, role=Membership.Role.ADMIN)
        .exclude(pk=without.pk)
        .count()
    )


def change_role(membership: Membership, role: str) -> bool:
    """True when it changed."""
    if role == membership.role:
        return False
    if membership.role == Membership.Role.ADMIN and not _admins_left(membership.tenant, membership):
        raise TeamError("A tenant keeps at least one admin: make someone else admin first.")
    Membership.objects.filter(pk=membership.pk).update(role=role)
    return True


def remove(membership: Membership) -> None:
    if membership.role == Membership.Role.ADMIN and not _admins_left(membership.tenant, membership):
        raise TeamError("A tenant keeps at least one admin: make someone else admin first.")
    membership.delete()
