"""Exactly one prompt per situation, to the right audience, with the right content.

Every situation each sandbox platform can produce is set on a real user through the control
API, checked several times by the real health engine, and the prompts are read back from the
sandbox inbox (what the platform received), not from our own tables.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from notifications import tasks
from notifications.models import Incident, OutboxMessage
from notifications.tests.world import PLATFORMS, build, payload_text
from platforms.keys import Platform
from platforms.sandbox.registry import get_fake
from tokens.situations import CATALOGUE, Audience

SILENT = {"transient", "access_token_expired"}
# What the prompt must say for each situation (besides the evidence), in the reader's words.
MUST_SAY = {
    "consent_missing": ["admin consent"],
    "ca_blocked": ["Conditional Access", "AADSTS53003", "Correlation ID", "Exclude"],
    "app_disabled": ["disabled", "Verify now"],
    "app_uninstalled": ["removed", "Reinstall"],
    "insufficient_scope": ["permissions"],
    "user_deleted": ["deleted", "remove them from Mio's sync"],
    "user_disabled": ["disabled", "re-enable"],
    "unknown": ["does not recognise"],
}


def after_window() -> None:
    """Run the scheduled dispatcher once the grouping window of tenant-wide prompts is over."""
    later = timezone.now() + timedelta(seconds=settings.NOTIFY_GROUP_WINDOW_SECONDS + 1)
    with time_machine.travel(later, tick=True):
        tasks.dispatch_due()


def cases() -> list[tuple[str, str]]:
    return [
        (platform, situation)
        for platform in PLATFORMS
        for situation in sorted(get_fake(platform).situations - SILENT)
    ]


@pytest.mark.parametrize(("platform", "situation"), cases(), ids=lambda v: str(v))
def test_it_prompts_exactly_once_with_the_right_words_after_many_checks(
    sandbox, settings, mail_outbox, platform, situation
) -> None:
    settings.ADMINS = [("Ops", "ops@mio.example")]
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0  # the window has its own tests below
    world = build(sandbox, platform, users=2, admins=2)
    broken, fine = world.users
    world.break_(broken, situation)
    for _ in range(4):
        world.check()
    info = CATALOGUE[situation]
    incidents = world.open_incidents()
    assert len(incidents) == 1, incidents
    incident = incidents[0]
    assert incident.situation == situation
    # A platform may break a whole workspace at once (Slack revokes every token when the app
    # is uninstalled): tenant-wide incidents then list both users, still in one incident.
    assert incident.affected_count in ({1, 2} if info.tenant_wide else {1})
    label = Platform(platform).label

    if info.audience == Audience.USER:
        delivered = world.inbox(broken.person)
        assert len(delivered) == 1
        text = payload_text(delivered[0])
        assert f"Re-sync your {label} account" in text
        assert "/resync/" in text
        for admin in world.admins:
            assert world.inbox(admin) == []
    elif info.audience == Audience.ADMIN:
        for admin in world.admins:
            # On their platform, or by email when the broken part is that platform's bot.
            delivered = world.received(admin, mail_outbox)
            assert len(delivered) == 1, (admin.email, delivered)
            text = delivered[0]
            for phrase in MUST_SAY[situation]:
                assert phrase in text, (phrase, text)
            assert incident.evidence
            assert incident.evidence["platform"] == platform
            assert f"/dashboard/incidents/{incident.pk}/" in text or f"{incident.pk}" in text
        assert world.received(broken.person, mail_outbox) == []
    else:  # the operator: by email, never to the tenant
        assert [m.to for m in mail_outbox] == [["ops@mio.example"]]
        assert "configuration" in mail_outbox[0].subject
        for admin in world.admins:
            assert world.inbox(admin) == []
    assert world.received(fine.person, mail_outbox) == []
    # Nothing was queued twice either, whatever the channel.
    keys = [r.idempotency_key for r in world.rows()]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_it_groups_a_tenant_wide_admin_situation_into_one_incident(sandbox, platform) -> None:
    situation = "app_disabled"  # every platform can disable the app
    world = build(sandbox, platform, users=3, admins=1)
    for account in world.users:
        world.break_(account, situation)
    world.check()
    world.check()
    incident = Incident.objects.get(tenant=world.tenant, status="open")
    assert incident.tenant_wide
    assert incident.affected_count == 3
    # The prompt waits out the grouping window, then says how many are affected.
    assert world.inbox(world.admins[0]) == []
    after_window()
    assert len(world.inbox(world.admins[0])) == 1
    assert "3 people so far" in payload_text(world.inbox(world.admins[0])[0])


def test_it_gives_each_admin_one_prompt_for_a_ca_block_on_many_users(sandbox) -> None:
    world = build(sandbox, "teams", users=12, admins=3)
    for account in world.users:
        world.break_(account, "ca_blocked")
    for _ in range(3):
        world.check()
    incident = Incident.objects.get(tenant=world.tenant, status="open")
    assert (incident.situation, incident.affected_count) == ("ca_blocked", 12)
    after_window()
    after_window()  # a second pass sends nothing more
    for admin in world.admins:
        delivered = world.inbox(admin)
        assert len(delivered) == 1
        text = payload_text(delivered[0])
        assert "Conditional Access" in text
        assert "AADSTS53003" in text
        assert incident.evidence["correlation_id"] in text
        assert "12 people so far" in text
    for account in world.users:
        assert world.inbox(account.person) == []
    assert OutboxMessage.objects.filter(incident=incident).count() == 3


def test_it_never_prompts_for_transient_faults(sandbox) -> None:
    world = build(sandbox, "slack", users=1, admins=1)
    user = world.users[0]
    world.break_(user, "transient")
    for _ in range(3):
        world.check()
    assert world.open_incidents() == []
    assert world.rows() == []


def test_it_prompts_again_after_recovery_and_a_new_break(sandbox) -> None:
    world = build(sandbox, "webex", users=1, admins=1)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check()
    world.break_(user, None)
    world.check()
    first = Incident.objects.get(tenant=world.tenant)
    assert (first.status, first.resolution) == ("resolved", "recovered")
    world.break_(user, "grant_revoked")
    world.check()
    world.check()
    prompts = [
        m for m in world.inbox(user.person) if "Re-sync your Webex account" in payload_text(m)
    ]
    assert len(prompts) == 2  # one per incident; the recovery in between confirmed once
    assert Incident.objects.filter(tenant=world.tenant, status="open").count() == 1


def test_it_moves_an_account_to_its_new_situation(sandbox) -> None:
    world = build(sandbox, "teams", users=2, admins=1)
    a, b = world.users
    world.break_(a, "ca_blocked")
    world.break_(b, "ca_blocked")
    world.check()
    world.break_(a, "mfa_enrollment_required")
    world.check(a)
    ca = Incident.objects.get(situation="ca_blocked")
    assert (ca.status, ca.affected_count) == ("open", 1)
    mfa = Incident.objects.get(situation="mfa_enrollment_required")
    assert mfa.account_id == a.pk
    assert len(world.inbox(a.person)) == 1


@pytest.mark.postgres_only
def test_it_opens_one_incident_when_many_workers_find_the_same_block_at_once(sandbox) -> None:
    """Parallel checks (the engine's thread pool, one transaction each) race to open it."""
    world = build(sandbox, "teams", users=40, admins=2)
    for account in world.users:
        world.break_(account, "ca_blocked")
    world.check()
    incident = Incident.objects.get(tenant=world.tenant)
    assert (incident.status, incident.affected_count) == ("open", 40)
    assert incident.affected.count() == 40
    assert OutboxMessage.objects.filter(incident=incident).count() == 2


def test_it_tells_the_operator_when_a_tenant_has_no_admin(sandbox, settings, mail_outbox) -> None:
    settings.ADMINS = [("Ops", "ops@mio.example")]
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0
    world = build(sandbox, "webex", users=1, admins=0)
    world.break_(world.users[0], "app_disabled")
    world.check()
    assert [m.to for m in mail_outbox] == [["ops@mio.example"]]
    assert "The Mio app is disabled in Webex" in mail_outbox[0].subject


def test_it_takes_back_an_account_that_breaks_again_while_open(sandbox, settings) -> None:
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0
    world = build(sandbox, "zoom", users=2, admins=1)
    a, _b = world.users
    for account in world.users:
        world.break_(account, "app_disabled")
    world.check()
    world.break_(a, None)
    world.check(a)
    incident = Incident.objects.get(tenant=world.tenant)
    assert (incident.status, incident.affected_count) == ("open", 1)
    world.break_(a, "app_disabled")
    world.check(a)
    incident.refresh_from_db()
    assert (incident.status, incident.affected_count) == ("open", 2)
    assert incident.affected.get(credential_id=a.credential_id).left_as == ""
    assert len(world.inbox(world.admins[0])) == 1
