"""The staff console for incidents and the outbox: pages, filters, actions, bounded queries."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.resync.links import create_link
from notifications.models import AffectedAccount, Incident, OutboxMessage
from tests.factories import make_account, make_person, make_tenant

pytestmark = pytest.mark.django_db

MODELS = ["incident", "affectedaccount", "outboxmessage"]


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123!")
    client.force_login(user)
    return client


def populate(n: int) -> Incident:
    tenant = make_tenant(primary_platform="teams")
    admin = make_person(tenant, is_tenant_admin=True)
    incident = Incident.objects.create(
        tenant=tenant,
        platform="teams",
        situation="ca_blocked",
        audience="admin",
        tenant_wide=True,
        open_key=f"t:{tenant.pk}:teams:ca_blocked",
        evidence={"platform": "teams", "error_codes": ["53003"]},
        affected_count=n,
    )
    for i in range(n):
        account = make_account(make_person(tenant), "teams", access_token=f"secret-{i}")
        AffectedAccount.objects.create(
            incident=incident, credential_id=account.credential_id, account=account
        )
        create_link(account.person, account, incident)
        user_incident = Incident.objects.create(
            tenant=tenant,
            platform="teams",
            situation="grant_revoked",
            audience="user",
            account=account,
            credential_id=account.credential_id,
            open_key=f"a:{account.credential_id}:grant_revoked",
        )
        OutboxMessage.objects.create(
            tenant=tenant,
            incident=user_incident,
            recipient=account.person,
            audience="user",
            kind="prompt",
            template="user_prompt",
            channel="teams",
            idempotency_key=f"prompt:{user_incident.pk}:{account.person_id}",
            status="failed",
        )
    OutboxMessage.objects.create(
        tenant=tenant,
        incident=incident,
        recipient=admin,
        audience="admin",
        kind="prompt",
        template="admin_prompt",
        channel="teams",
        idempotency_key=f"prompt:{incident.pk}:{admin.pk}",
    )
    return incident


def test_it_loads_every_page_with_filters(staff) -> None:
    incident = populate(3)
    for model in MODELS:
        url = reverse(f"admin:notifications_{model}_changelist")
        assert staff.get(url).status_code == 200
        assert staff.get(url, {"status": "open"}).status_code in (200, 302)
    page = staff.get(reverse("admin:notifications_incident_change", args=[incident.pk]))
    assert page.status_code == 200
    assert "All affected accounts" in page.content.decode()
    assert "secret-" not in page.content.decode()
    for name in ("situation__exact", "platform__exact", "status__exact"):
        value = {"situation__exact": "ca_blocked", "platform__exact": "teams"}.get(name, "open")
        url = reverse("admin:notifications_incident_changelist")
        assert staff.get(url, {name: value}).status_code == 200


def test_it_makes_the_same_number_of_queries_whatever_the_size(staff) -> None:
    def counts() -> list[int]:
        result = []
        for model in [*MODELS, "resynclink"]:
            app = "accounts" if model == "resynclink" else "notifications"
            with CaptureQueriesContext(connection) as ctx:
                assert staff.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    populate(2)
    small = counts()
    populate(12)
    assert counts() == small


def test_it_resolves_incidents_by_hand_from_the_changelist(staff) -> None:
    incident = populate(1)
    staff.post(
        reverse("admin:notifications_incident_changelist"),
        {"action": "resolve_incidents", "_selected_action": [incident.pk]},
    )
    incident.refresh_from_db()
    assert (incident.status, incident.resolution, incident.resolved_by) == (
        "resolved",
        "closed",
        "root",
    )
    assert incident.open_key is None
    pending = OutboxMessage.objects.get(incident=incident)
    assert pending.status == "cancelled"


def test_it_queues_failed_messages_again(staff) -> None:
    populate(2)
    failed = list(OutboxMessage.objects.filter(status="failed").values_list("pk", flat=True))
    staff.post(
        reverse("admin:notifications_outboxmessage_changelist"),
        {"action": "resend_messages", "_selected_action": failed},
    )
    assert set(OutboxMessage.objects.filter(pk__in=failed).values_list("status", flat=True)) == {
        "pending"
    }


def test_it_queues_a_prompt_again_for_an_incident(staff) -> None:
    incident = populate(1)
    staff.post(
        reverse("admin:notifications_incident_changelist"),
        {"action": "resend_prompt", "_selected_action": [incident.pk]},
    )
    resent = OutboxMessage.objects.filter(incident=incident, idempotency_key__startswith="resend:")
    assert resent.count() == 1


def test_it_snoozes_and_mutes_from_the_changelist(staff) -> None:
    incident = populate(1)
    url = reverse("admin:notifications_incident_changelist")
    staff.post(url, {"action": "snooze_day", "_selected_action": [incident.pk]})
    incident.refresh_from_db()
    assert incident.snoozed_until is not None
    staff.post(url, {"action": "mute", "_selected_action": [incident.pk]})
    incident.refresh_from_db()
    assert incident.muted
    staff.post(url, {"action": "unmute", "_selected_action": [incident.pk]})
    incident.refresh_from_db()
    assert not incident.muted


def test_it_installs_its_schedules_once() -> None:
    from django_q.models import Schedule

    from notifications.tasks import SCHEDULES, install_schedules

    install_schedules()
    install_schedules()
    for name, spec in SCHEDULES.items():
        schedule = Schedule.objects.get(name=name)
        assert schedule.func == spec["func"]


def resend(client, ids: list[int]):
    return client.post(
        reverse("admin:notifications_outboxmessage_changelist"),
        {"action": "resend_messages", "_selected_action": ids},
        follow=True,
    )


def test_it_sends_again_only_what_is_not_being_sent_and_says_how_many(staff) -> None:
    populate(3)
    failed, sending, sent = OutboxMessage.objects.filter(status="failed").order_by("pk")
    OutboxMessage.objects.filter(pk=sending.pk).update(status="sending", claim_token="w1")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent")
    page = resend(staff, [failed.pk, sending.pk, sent.pk]).content.decode()
    assert "1 message(s) queued again. 2 skipped" in page
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert (statuses[failed.pk], statuses[sending.pk], statuses[sent.pk]) == (
        "pending",
        "sending",
        "sent",
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_leaves_a_row_a_worker_claimed_meanwhile_alone() -> None:
    """The action read the row as failed; before its UPDATE runs, a worker starts sending it
    (held here with a row lock): the UPDATE must not flip it back to pending."""
    from django.test import Client

    incident = populate(1)
    row = OutboxMessage.objects.get(incident__tenant=incident.tenant, status="failed")
    user = get_user_model().objects.create_superuser("root2", "r2@example.com", "pw-root-123!")
    client = Client()
    client.force_login(user)
    pages: list[str] = []

    def admin_clicks() -> None:
        try:
            pages.append(resend(client, [row.pk]).content.decode())
        finally:
            connections.close_all()

    clicker = threading.Thread(target=admin_clicks)
    with transaction.atomic():
        OutboxMessage.objects.select_for_update().get(pk=row.pk)
        clicker.start()
        deadline = time.monotonic() + 20
        with connection.cursor() as cursor:
            while True:  # until the action's UPDATE waits for our lock
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
                assert time.monotonic() < deadline, "the action never reached its UPDATE"
                time.sleep(0.05)
        OutboxMessage.objects.filter(pk=row.pk).update(status="sending", claim_token="worker")
    clicker.join(timeout=30)
    after = OutboxMessage.objects.get(pk=row.pk)
    assert (after.status, after.claim_token) == ("sending", "worker")  # still the worker's
    assert "0 message(s) queued again. 1 skipped" in pages[0]
