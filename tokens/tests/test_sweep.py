"""The scheduled sweep over real HTTP: every due account once, in parallel, within budget."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from bench.counting import QueryCounter
from tests.factories import make_tenant
from tokens.models import CheckRecord, Credential, CredentialState, WorkspaceBackoff
from tokens.sweep import sweep
from tokens.tests.conftest import PLATFORMS, fresh


def _due(*accounts) -> None:
    Credential.objects.filter(pk__in=[a.credential_id for a in accounts]).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )


def test_it_checks_every_due_account_of_every_platform_once(sandbox, enroll) -> None:
    due = [enroll(p) for p in PLATFORMS for _ in range(2)]
    later = enroll(PLATFORMS[0])
    Credential.objects.filter(pk=later.credential_id).update(
        next_check_at=timezone.now() + timedelta(hours=1)
    )
    _due(*due)
    stats = sweep()
    assert stats.checked == len(due)
    for account in due:
        (check,) = CheckRecord.objects.filter(credential_id=account.credential_id)
        assert check.source == CheckRecord.Source.SCHEDULE
        assert check.outcome in (CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED)
        credential = fresh(account)
        assert credential.state == CredentialState.HEALTHY
        assert credential.claimed_by == ""
        # Healthy: next look in about six hours (with jitter), not at once.
        assert timedelta(hours=5) < credential.next_check_at - check.checked_at < timedelta(hours=7)
    assert not CheckRecord.objects.filter(credential_id=later.credential_id).exists()
    assert sweep().checked == 0  # nothing is due any more


@pytest.mark.parametrize("platform", [p for p in PLATFORMS if p != "teams"])
def test_it_stays_within_three_queries_per_healthy_account(sandbox, enroll, platform) -> None:
    tenant = make_tenant(primary_platform=platform)
    accounts = [enroll(platform, tenant=tenant) for _ in range(20)]
    _due(*accounts)
    with QueryCounter(keep=True) as queries:
        stats = sweep(platforms=[platform])
    assert stats.checked == 20
    assert stats.outcomes == {CheckRecord.Outcome.OK: 20}
    assert queries.count / 20 <= 3, "\n".join(q[:90] for q in queries.statements)


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
def test_it_checks_in_parallel(sandbox, enroll, settings) -> None:
    tenant = make_tenant(primary_platform="slack")
    accounts = [enroll("slack", tenant=tenant) for _ in range(16)]
    _due(*accounts)
    sandbox.faults("slack", latency_ms=250)
    started = time.monotonic()
    stats = sweep(platforms=["slack"])
    elapsed = time.monotonic() - started
    assert stats.checked == 16
    # One after another this takes 16 x 250 ms = 4 s at least.
    assert elapsed < 3.0, elapsed


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
def test_it_holds_off_a_workspace_that_answered_429_with_retry_after(
    sandbox, enroll, settings
) -> None:
    settings.HEALTH_CONCURRENCY = {"slack": 1}
    tenant = make_tenant(primary_platform="slack")
    first, *rest = [enroll("slack", tenant=tenant) for _ in range(3)]
    elsewhere = enroll("slack")
    _due(*rest, elsewhere)
    Credential.objects.filter(pk=first.credential_id).update(
        next_check_at=timezone.now() - timedelta(hours=1)  # most overdue: checked first
    )
    sandbox.script(
        "slack",
        "probe",
        user=first.person.email,
        status=429,
        headers={"Retry-After": "30"},
        body="{}",
    )
    stats = sweep(platforms=["slack"])
    assert fresh(first).situation == "transient"
    for account in rest:
        # Not called at all: handed back until the platform's Retry-After has passed.
        assert not CheckRecord.objects.filter(credential_id=account.credential_id).exists()
        credential = fresh(account)
        assert credential.next_check_at > timezone.now() + timedelta(seconds=25)
        assert credential.claimed_by == ""
    assert stats.deferred == 2
    # Other workspaces are not held up, and other workers learn of the block.
    assert fresh(elsewhere).state == CredentialState.HEALTHY
    assert WorkspaceBackoff.objects.get(platform="slack", workspace_id=first.workspace_id)


def test_it_stops_claiming_when_its_time_budget_is_spent(sandbox, enroll) -> None:
    account = enroll(PLATFORMS[0])
    _due(account)
    assert sweep(budget=timedelta(0)).checked == 0
    assert fresh(account).claimed_by == ""
