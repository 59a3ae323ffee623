"""``seed_demo --story``: the demo's data, detected for real over HTTP, told once.

The story breaks accounts through the sandbox's control API and lets the health engine find
them (the story's own short-lived server answers for the platforms), so these tests check what
the engine and the outbox made of it, not what the story wrote by hand.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from accounts.demo import mfa
from accounts.demo.story import SEED_SITUATIONS
from accounts.models import Membership, Tenant
from dashboard.models import DailySnapshot
from dashboard.tests.totp import totp_code
from notifications.models import Incident, OutboxMessage
from notifications.services import verify_incident
from platforms.sandbox.models import SandboxMessage, SandboxUser
from tokens.models import CheckRecord

EIGHT = {
    "consent_missing",
    "ca_blocked",
    "app_disabled",
    "user_deleted",
    "user_disabled",
    "grant_revoked",
    "mfa_enrollment_required",
    "refresh_token_inactive",
}


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--story", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "incidents": Incident.objects.count(),
        "messages": OutboxMessage.objects.count(),
        "checks": CheckRecord.objects.count(),
        "snapshots": DailySnapshot.objects.count(),
        "inbox": SandboxMessage.objects.count(),
        "authenticators": Authenticator.objects.count(),
        "broken": SandboxUser.objects.exclude(situation="").count(),
    }


@pytest.mark.django_db(transaction=True)
def test_it_tells_all_eight_situations_detected_and_prompted_then_keeps_them(
    sandbox, settings
) -> None:
    assert SEED_SITUATIONS == EIGHT
    printed = seed()
    assert "WARNING" not in printed, printed

    open_ = Incident.objects.filter(status=Incident.Status.OPEN)
    assert set(open_.values_list("situation", flat=True)) == EIGHT
    assert set(open_.values_list("platform", flat=True)) == {"slack", "teams", "zoom", "webex"}
    for incident in open_:
        # Found by a check of the health engine, with the platform's evidence…
        assert incident.evidence
        assert incident.evidence["platform"] == incident.platform
        assert CheckRecord.objects.filter(
            credential__platform=incident.platform,
            situation=incident.situation,
            outcome="problem",
            checked_at__gt=timezone.now() - timedelta(minutes=5),
        ).exists()
        # …and its prompt reached someone's sandbox inbox.
        sent = OutboxMessage.objects.filter(incident=incident, kind="prompt", status="sent")
        assert sent.exists(), incident
        for row in sent:
            assert SandboxMessage.objects.filter(recipient=row.recipient.email).exists()
    ca = open_.get(situation="ca_blocked")
    assert (ca.tenant_wide, ca.affected_count) == (True, 3)

    # Thirty days of healed history, with days that had something to heal.
    for tenant in Tenant.objects.all():
        days = DailySnapshot.objects.filter(tenant=tenant, platform=tenant.primary_platform)
        assert days.count() == 30  # 29 past days and today
        assert days.filter(waiting_user__gt=0).exists() or days.filter(waiting_admin__gt=0).exists()
        assert days.aggregate(n=Sum("prompts_sent"))["n"] > 0
    healed = Incident.objects.filter(
        status="resolved", resolution__in=["user_resync", "admin_verified"]
    )
    assert healed.filter(opened_at__lt=timezone.now() - timedelta(days=20)).exists()
    assert healed.filter(resolution="admin_verified", tenant_wide=True).count() == 4

    # Every admin login signs in with a code from its authenticator.
    cache.clear()
    for membership in Membership.objects.filter(role="admin").select_related("user"):
        secret = mfa.secret_of(membership.user)
        totp = TOTP(Authenticator.objects.get(user=membership.user, type="totp"))
        assert totp.validate_code(totp_code(secret)), membership.user

    before = counts()
    assert "already told" in seed()
    assert counts() == before

    # The tour's admin journey: the admin fixes the policy (in the sandbox), Verify now.
    out = io.StringIO()
    call_command("demo_fix", ca.tenant.slug, "--situation", "ca_blocked", stdout=out)
    assert out.getvalue().count("(ca_blocked)") == 3
    verified = verify_incident(ca)
    assert (verified.working, verified.resolved) == (3, True)
    # The users' own problems stay theirs: demo_fix only plays the admin.
    assert Incident.objects.filter(status="open", situation="refresh_token_inactive").exists()


@pytest.mark.django_db
def test_it_prints_the_code_the_authenticator_shows(settings) -> None:
    settings.DEBUG = True  # demo_totp prints second factors: the demo only
    user = get_user_model().objects.create_user("someone", "someone@example.com", "pw")
    assert mfa.ensure_totp(user) is True
    assert mfa.ensure_totp(user) is False  # one authenticator, kept
    out = io.StringIO()
    call_command("demo_totp", "someone", stdout=out)
    secret = mfa.secret_of(user)
    assert f"secret: {secret}" in out.getvalue()
    printed = out.getvalue().split()[1]
    assert printed in {totp_code(secret), totp_code(secret, at=time.time() - 30)}


@pytest.mark.django_db
def test_it_refuses_to_print_codes_outside_the_demo(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="demo"):
        call_command("demo_totp", stdout=io.StringIO())
