"""Verify now, resend, snooze, resolve and check now: real checks through the sandbox, each
action a CSRF-protected POST that lands in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from dashboard.models import AuditEntry, DailySnapshot
from dashboard.snapshots import take_snapshots
from dashboard.tests.factories import make_user
from notifications.models import Incident, OutboxMessage
from notifications.tests.world import build, payload_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def blocked(sandbox):
    """A Teams tenant whose three users are blocked by Conditional Access: one incident."""
    world = build(sandbox, "teams", users=3, admins=1)
    world.tenant.entra_tenant_id = world.users[0].workspace_id  # the directory they sign in to
    world.tenant.save(update_fields=["entra_tenant_id"])
    for account in world.users:
        world.break_(account, "ca_blocked")
    world.check()
    (incident,) = world.open_incidents()
    assert incident.situation == "ca_blocked"
    assert incident.affected_count == 3
    return world, incident


@pytest.fixture
def admin_client(client, blocked):
    world, _ = blocked
    user = make_user(world.tenant)
    Membership.objects.filter(user=user).update(person=world.admins[0])
    client.force_login(user)
    return client


def post(client, name: str, incident: Incident, data: dict | None = None):
    return client.post(reverse(name, args=[incident.pk]), data or {})


def test_it_verifies_a_fixed_policy_and_resolves_the_incident(admin_client, blocked):
    world, incident = blocked
    for account in world.users:
        world.break_(account, None)  # the admin excluded Mio from the policy

    response = post(admin_client, "dashboard:incident-verify", incident)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert not incident.is_open
    assert incident.resolution == "admin_verified"
    entry = AuditEntry.objects.get(action="incident.verify")
    assert entry.target_id == str(incident.pk)
    assert entry.tenant_id == world.tenant.pk
    assert entry.detail["working"] == 3
    page = admin_client.get(response["Location"]).content.decode()
    assert "3 accounts work again" in page
    # The overview's snapshot follows at once.
    snap = DailySnapshot.objects.get(tenant=world.tenant, platform="teams")
    assert snap.waiting_admin == 0
    assert snap.healthy == 4
    # And the admin hears about it on their platform.
    texts = [payload_text(m) for m in world.inbox(world.admins[0])]
    assert any("configured" in t for t in texts), texts


def test_it_keeps_the_incident_open_when_the_policy_still_blocks(admin_client, blocked):
    _world, incident = blocked
    response = post(admin_client, "dashboard:incident-verify", incident)
    incident.refresh_from_db()
    assert incident.is_open
    page = admin_client.get(response["Location"]).content.decode()
    assert "3 still fail" in page


def test_it_goes_back_to_the_ca_page_after_verifying_from_it(admin_client, blocked):
    _, incident = blocked
    ca = reverse("dashboard:conditional-access")
    response = post(admin_client, "dashboard:incident-verify", incident, {"next": ca})
    assert response["Location"] == ca
    evil = post(
        admin_client, "dashboard:incident-verify", incident, {"next": "https://evil.example/"}
    )
    assert evil["Location"] == reverse("dashboard:incident", args=[incident.pk])


def test_it_resends_the_prompt_to_the_admins(admin_client, blocked):
    world, incident = blocked

    def delivered() -> int:
        texts = [payload_text(m) for m in world.inbox(world.admins[0])]
        return sum("Conditional Access" in t for t in texts)

    rows, seen = OutboxMessage.objects.filter(incident=incident).count(), delivered()
    post(admin_client, "dashboard:incident-resend", incident)
    assert OutboxMessage.objects.filter(incident=incident).count() == rows + 1
    assert delivered() == seen + 1
    assert AuditEntry.objects.filter(action="incident.resend", detail__summary=1).exists()


def test_it_snoozes_for_a_chosen_time_only(admin_client, blocked):
    _, incident = blocked
    post(admin_client, "dashboard:incident-snooze", incident, {"hours": "24"})
    incident.refresh_from_db()
    expected = timezone.now() + timedelta(hours=24)
    assert abs((incident.snoozed_until - expected).total_seconds()) < 60
    assert AuditEntry.objects.filter(action="incident.snooze").count() == 1

    response = post(admin_client, "dashboard:incident-snooze", incident, {"hours": "99999"})
    assert response.status_code == 400
    assert AuditEntry.objects.filter(action="incident.snooze").count() == 1


def test_it_resolves_by_hand(admin_client, blocked):
    _, incident = blocked
    post(admin_client, "dashboard:incident-resolve", incident, {"note": "policy retired"})
    incident.refresh_from_db()
    assert not incident.is_open
    assert incident.resolution == "closed"
    entry = AuditEntry.objects.get(action="incident.resolve")
    assert entry.detail == {"summary": "closed", "note": "policy retired"}
    assert entry.actor_name.startswith("user")
    # Resolving twice changes nothing and says so.
    response = post(admin_client, "dashboard:incident-resolve", incident)
    page = admin_client.get(response["Location"]).content.decode()
    assert "already resolved" in page


def test_it_checks_one_account_now_from_the_person_page(admin_client, blocked):
    world, _ = blocked
    account = world.users[0]
    world.break_(account, None)
    response = admin_client.post(reverse("dashboard:account-check", args=[account.pk]))
    assert response["Location"] == reverse("dashboard:person", args=[account.person_id])
    account.credential.refresh_from_db()
    assert account.credential.state == "healthy"
    entry = AuditEntry.objects.get(action="account.check")
    assert entry.detail["summary"] in ("ok", "healed")  # Teams refreshes on every check
    page = admin_client.get(response["Location"]).content.decode()
    assert "works." in page
    assert "account.check" in page  # the person's history shows the action


def test_it_shows_every_action_in_the_audit_log(admin_client, blocked):
    _, incident = blocked
    post(admin_client, "dashboard:incident-snooze", incident, {"hours": "4"})
    post(admin_client, "dashboard:incident-resolve", incident)
    html = admin_client.get(reverse("dashboard:audit")).content.decode()
    assert "incident.snooze" in html
    assert "incident.resolve" in html
    only = admin_client.get(reverse("dashboard:audit") + "?action=incident.resolve")
    assert [e.action for e in only.context["page"].items] == ["incident.resolve"]


def test_it_hands_a_large_incident_to_the_workers_and_says_so(
    admin_client, blocked, settings, monkeypatch
):
    from django_q.conf import Conf
    from django_q.models import OrmQ

    from tokens.models import CheckRecord

    _world, incident = blocked
    settings.VERIFY_INLINE_MAX = 2
    monkeypatch.setattr(Conf, "SYNC", False)  # a real queue, as in production
    response = post(admin_client, "dashboard:incident-verify", incident)
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "Checking 3 accounts in the background" in page
    assert OrmQ.objects.count() == 1  # one task for the workers, no check in the request
    assert not CheckRecord.objects.filter(source=CheckRecord.Source.MANUAL).exists()
    incident.refresh_from_db()
    assert incident.is_open
    assert AuditEntry.objects.get(action="incident.verify").detail["queued"] == 3


def test_it_says_not_fixed_yet_when_verify_finds_the_policy_still_blocking(admin_client, blocked):
    _world, incident = blocked
    response = post(admin_client, "dashboard:incident-verify", incident)
    page = admin_client.get(response["Location"]).content.decode()
    assert "Not fixed yet: All 3 accounts checked still fail." in page
    assert "Verified:" not in page
    assert "0 accounts work again" not in page


def test_it_counts_every_affected_account_once_the_incident_is_resolved(admin_client, blocked):
    world, incident = blocked
    world.break_(world.users[0], None)
    world.check(world.users[0])  # one works again: 2 of 3 still blocked
    page = admin_client.get(reverse("dashboard:incident", args=[incident.pk])).content.decode()
    assert "3 affected accounts</span>, 2 still failing" in page
    assert "3 people so far" in page  # the remedy agrees with the table

    for account in world.users[1:]:
        world.break_(account, None)
    post(admin_client, "dashboard:incident-verify", incident)
    incident.refresh_from_db()
    assert not incident.is_open
    page = admin_client.get(reverse("dashboard:incident", args=[incident.pk])).content.decode()
    assert 'data-affected="3"' in page
    assert "0 affected" not in page
    assert "3 people so far" in page
    listed = admin_client.get(reverse("dashboard:incidents") + "?status=resolved")
    (row,) = listed.context["page"].items
    assert row.affected_total == 3
    assert "3 accounts" in listed.content.decode()


def test_it_says_a_healthy_account_now_fails_when_check_now_finds_it_broken(admin_client, blocked):
    world, _ = blocked
    account = world.users[0]
    world.break_(account, None)
    world.check(account)  # healthy again
    world.break_(account, "grant_revoked")
    response = admin_client.post(reverse("dashboard:account-check", args=[account.pk]))
    page = admin_client.get(response["Location"]).content.decode()
    assert "now fails" in page
    assert "still fails" not in page
    response = admin_client.post(reverse("dashboard:account-check", args=[account.pk]))
    assert "still fails" in admin_client.get(response["Location"]).content.decode()


def test_it_shows_a_check_now_on_the_overview_at_once(admin_client, blocked):
    world, _ = blocked
    take_snapshots()
    assert DailySnapshot.objects.get(tenant=world.tenant, platform="teams").waiting_admin == 3
    account = world.users[0]
    world.break_(account, None)
    admin_client.post(reverse("dashboard:account-check", args=[account.pk]))
    snap = DailySnapshot.objects.get(tenant=world.tenant, platform="teams")
    assert snap.waiting_admin == 2
    overview = admin_client.get(reverse("dashboard:overview"))
    (card,) = overview.context["cards"]
    assert {c["state"]: c["value"] for c in card["counts"]}["waiting_admin"] == 2


def test_it_shows_a_re_sync_on_the_overview_at_once(blocked):
    from django.db import transaction

    from platforms.base import CheckOutcome
    from tokens.models import CheckRecord, Credential
    from tokens.recording import record

    world, _ = blocked
    take_snapshots()
    credential = Credential.objects.get(pk=world.users[0].credential_id)
    with transaction.atomic():  # as the re-sync callback records it
        record(credential, CheckOutcome(None), source=CheckRecord.Source.RESYNC)
    snap = DailySnapshot.objects.get(tenant=world.tenant, platform="teams")
    assert (snap.waiting_admin, snap.healthy) == (2, 2)
