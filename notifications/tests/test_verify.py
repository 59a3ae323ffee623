"""The admin fix flow: "Verify now" re-checks, resolves, confirms, and hands over to users."""

from __future__ import annotations

import pytest

from notifications import services
from notifications.models import Incident
from notifications.tests.world import build, payload_text


@pytest.fixture(autouse=True)
def no_grouping_window(settings):
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0


def texts(world, person) -> list[str]:
    return [payload_text(m) for m in world.inbox(person)]


def test_it_resolves_a_fixed_ca_block_and_tells_the_admins(sandbox) -> None:
    world = build(sandbox, "teams", users=3, admins=2)
    for account in world.users:
        world.break_(account, "ca_blocked")
    world.check()
    incident = Incident.objects.get(tenant=world.tenant, status="open")
    unchanged = services.verify_incident(incident)
    assert (unchanged.checked, unchanged.working, unchanged.resolved) == (3, 0, False)
    for account in world.users:  # the admin excludes Mio from the policy
        world.break_(account, None)
    result = services.verify_incident(incident)
    assert (result.checked, result.working, result.still_failing, result.resolved) == (
        3,
        3,
        0,
        True,
    )
    incident.refresh_from_db()
    assert (incident.status, incident.resolution) == ("resolved", "admin_verified")
    for admin in world.admins:
        inbox = texts(world, admin)
        assert len(inbox) == 2  # the prompt, then the confirmation
        assert "Microsoft Teams is configured to work with Mio" in inbox[1]
        assert "3 affected accounts on Microsoft Teams work again" in inbox[1]
    for account in world.users:
        assert texts(world, account.person) == []


def test_it_prompts_the_users_who_must_now_act_themselves(sandbox) -> None:
    world = build(sandbox, "teams", users=3, admins=1)
    a, b, c = world.users
    for account in world.users:
        world.break_(account, "consent_missing")
    world.check()
    incident = Incident.objects.get(tenant=world.tenant, status="open")
    # Consent granted; but b's sign-in has meanwhile been revoked: that is b's to fix.
    for account in (a, c):
        world.break_(account, None)
    world.break_(b, "grant_revoked")
    result = services.verify_incident(incident)
    assert (result.working, result.still_failing, result.resolved) == (2, 1, True)
    incident.refresh_from_db()
    assert incident.resolution == "admin_verified"
    user_incident = Incident.objects.get(status="open")
    assert (user_incident.situation, user_incident.account_id) == ("grant_revoked", b.pk)
    prompts = texts(world, b.person)
    assert len(prompts) == 1
    assert "Re-sync your Microsoft Teams account" in prompts[0]
    admin = texts(world, world.admins[0])
    assert "1 person needs to sign in again themselves" in admin[-1]
    assert texts(world, a.person) == []
    assert texts(world, c.person) == []


def test_it_keeps_an_admin_incident_open_while_some_accounts_still_fail(sandbox) -> None:
    world = build(sandbox, "zoom", users=2, admins=1)
    a, _b = world.users
    for account in world.users:
        world.break_(account, "app_disabled")
    world.check()
    incident = Incident.objects.get(tenant=world.tenant, status="open")
    world.break_(a, None)
    result = services.verify_incident(incident)
    assert (result.working, result.still_failing, result.resolved) == (1, 1, False)
    incident.refresh_from_db()
    assert (incident.status, incident.affected_count) == ("open", 1)
    assert len(texts(world, world.admins[0])) == 1  # no confirmation yet


def test_it_confirms_an_admin_fix_a_scheduled_check_noticed(sandbox) -> None:
    world = build(sandbox, "slack", users=1, admins=1)
    user = world.users[0]
    world.break_(user, "user_deleted")
    world.check()
    world.break_(user, None)  # restored in the directory
    world.check()
    incident = Incident.objects.get(tenant=world.tenant)
    assert (incident.status, incident.resolution) == ("resolved", "recovered")
    assert "Slack is configured to work with Mio" in texts(world, world.admins[0])[-1]


def test_it_closes_by_hand_and_cancels_what_was_not_sent(sandbox) -> None:
    world = build(sandbox, "webex", users=1, admins=1)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check()
    incident = Incident.objects.get(tenant=world.tenant)
    assert services.close_incident(incident, by="root") is True
    assert services.close_incident(incident, by="root") is False
    incident.refresh_from_db()
    assert (incident.resolution, incident.resolved_by) == ("closed", "root")
    world.check()  # still failing, nothing changed: it stays closed, nobody is prompted again
    assert len(texts(world, user.person)) == 1


def test_it_resends_a_prompt_on_request(sandbox) -> None:
    world = build(sandbox, "slack", users=1, admins=1)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check()
    incident = Incident.objects.get(tenant=world.tenant)
    assert services.resend(incident, by="root") == 1
    inbox = texts(world, user.person)
    assert len(inbox) == 2
    assert inbox[0].split("/resync/")[1][:40] == inbox[1].split("/resync/")[1][:40]


def test_it_hands_a_large_incident_to_the_workers_and_resolves_when_they_report(
    sandbox, settings, monkeypatch
) -> None:
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.signing import SignedPackage

    from tokens import tasks
    from tokens.models import CheckRecord

    settings.VERIFY_INLINE_MAX = 2
    world = build(sandbox, "teams", users=3, admins=1)
    for account in world.users:
        world.break_(account, "ca_blocked")
    world.check()
    incident = Incident.objects.get(tenant=world.tenant, status="open")
    for account in world.users:  # the admin fixed the policy
        world.break_(account, None)
    monkeypatch.setattr(Conf, "SYNC", False)  # a real queue, as in production
    broker = get_broker()
    result = services.verify_incident(incident)
    assert (result.queued, result.checked, result.resolved) == (3, 0, False)
    assert not CheckRecord.objects.filter(source=CheckRecord.Source.MANUAL).exists()
    queued = [SignedPackage.loads(payload) for _id, payload in broker.dequeue()]
    assert [task["func"] for task in queued] == ["tokens.tasks.check_credentials"]
    tasks.check_credentials(*queued[0]["args"])  # what a worker runs
    incident.refresh_from_db()
    assert (incident.status, incident.resolution) == ("resolved", "admin_verified")
    assert CheckRecord.objects.filter(source=CheckRecord.Source.MANUAL).count() == 3
