"""Team: invite by email (signed, expiring, single-use link), join, change roles, remove, revoke;
admins only, all audited, and a tenant always keeps an admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from dashboard import team
from dashboard.models import AuditEntry, Invitation

pytestmark = pytest.mark.django_db

STRONG = "correct-horse-battery-42"


def invite(client, tenant, email="new.admin@acme.example", role="admin"):
    response = client.post(
        reverse("dashboard:team", args=[tenant.slug]), {"email": email, "role": role}
    )
    assert response.status_code == 302, response.content[:500]
    (message,) = [m for m in mail.outbox if email in m.to]
    return re.search(r"https?://\S+/dashboard/invitations/\S+/", message.body)[0]


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_it_invites_by_email_and_the_invitee_joins_once(member_client, world):
    client = Client()  # the invitee's own browser
    tenant = world["a"]
    link = invite(member_client, tenant)
    assert AuditEntry.objects.filter(action="team.invite", tenant=tenant).count() == 1
    page = member_client.get(reverse("dashboard:team", args=[tenant.slug])).content.decode()
    assert 'data-invitation="new.admin@acme.example"' in page

    join = client.get(path_of(link))
    assert join.status_code == 200
    assert "Join" in join.content.decode()
    answer = client.post(
        path_of(link), {"username": "newadmin", "password1": STRONG, "password2": STRONG}
    )
    assert answer.status_code == 302
    membership = Membership.objects.get(user__username="newadmin", tenant=tenant)
    assert membership.role == "admin"
    assert membership.user.email == "new.admin@acme.example"
    assert AuditEntry.objects.filter(action="team.accept", tenant=tenant).exists()
    # The dashboard asks the new user for two-factor sign-in before any tenant data.
    assert client.get(answer["Location"])["Location"] == reverse("mfa_activate_totp")
    # Single use: the same link again is refused.
    client.logout()
    again = client.get(path_of(link))
    assert again.status_code == 410
    assert 'data-page="invitation-used"' in again.content.decode()


def test_it_refuses_an_expired_forged_or_revoked_invitation(member_client, world):
    client = Client()
    tenant = world["a"]
    link = invite(member_client, tenant)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client.get(path_of(link)).status_code == 410
    forged = path_of(link).rstrip("/")[:-3] + "abc/"
    assert client.get(forged).status_code == 404
    invitation = Invitation.objects.get(email="new.admin@acme.example")
    member_client.post(reverse("dashboard:invitation-revoke", args=[invitation.pk]))
    assert client.get(path_of(link)).status_code == 404
    assert AuditEntry.objects.filter(action="team.revoke").count() == 1


def test_it_changes_roles_and_removes_but_keeps_one_admin(member_client, world):
    tenant, me = world["a"], world["member_a"]
    viewer = Membership.objects.get(user=world["viewer_a"], tenant=tenant)
    member_client.post(reverse("dashboard:team-role", args=[viewer.pk]), {"role": "admin"})
    viewer.refresh_from_db()
    assert viewer.role == "admin"
    entry = AuditEntry.objects.get(action="team.role")
    assert entry.detail["summary"] == "viewer → admin"
    member_client.post(reverse("dashboard:team-remove", args=[viewer.pk]))
    assert not Membership.objects.filter(pk=viewer.pk).exists()
    assert AuditEntry.objects.filter(action="team.remove").count() == 1
    # Now the only admin: can neither step down nor leave.
    mine = Membership.objects.get(user=me, tenant=tenant)
    member_client.post(reverse("dashboard:team-role", args=[mine.pk]), {"role": "viewer"})
    member_client.post(reverse("dashboard:team-remove", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.role == "admin"


def test_it_lets_only_admins_manage_and_only_their_tenant(client, world):
    client.force_login(world["viewer_a"])
    page = client.get(reverse("dashboard:team", args=[world["a"].slug])).content.decode()
    assert "Send invitation" not in page
    refused = client.post(
        reverse("dashboard:team", args=[world["a"].slug]), {"email": "x@y.example", "role": "admin"}
    )
    assert refused.status_code == 403
    assert not Invitation.objects.exists()
    assert client.get(reverse("dashboard:team", args=[world["b"].slug])).status_code == 404


def test_it_will_not_invite_someone_already_on_the_team(member_client, world):
    world["viewer_a"].email = "viewer@acme.example"
    world["viewer_a"].save()
    response = member_client.post(
        reverse("dashboard:team", args=[world["a"].slug]),
        {"email": "Viewer@acme.example", "role": "admin"},
    )
    assert response.status_code == 400
    assert "already on the team" in response.content.decode()
    assert team.INVITATION_MAX_AGE.days == 7
