"""Routine checks (healthy, still healthy) are recorded in batches, and only while ours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from bench.counting import QueryCounter
from platforms.base import CheckOutcome
from platforms.registry import get_adapter
from tests.factories import make_account, make_person, make_tenant
from tokens import claims
from tokens.batching import Routine, is_routine, record_routine
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.signals import credential_checked
from tokens.sweep import sweep
from tokens.tests.conftest import PLATFORMS, fresh


def test_it_records_a_sweeps_routine_checks_in_a_few_statements(sandbox, enroll) -> None:
    platform = next(p for p in PLATFORMS if p != "teams")
    tenant = make_tenant(primary_platform=platform)
    accounts = [enroll(platform, tenant=tenant) for _ in range(40)]
    Credential.objects.filter(pk__in=[a.credential_id for a in accounts]).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    seen: list[dict[str, Any]] = []

    def receiver(**kw: Any) -> None:
        seen.append({"changed": kw["changed"], "atomic": connection.in_atomic_block})

    credential_checked.connect(receiver)
    try:
        with QueryCounter(keep=True) as queries:
            stats = sweep(platforms=[platform])
    finally:
        credential_checked.disconnect(receiver)
    assert stats.checked == 40
    assert queries.count / 40 < 0.5, "\n".join(q[:80] for q in queries.statements)
    assert len(seen) == 40
    assert all(s == {"changed": False, "atomic": True} for s in seen)
    for account in accounts:
        credential = fresh(account)
        assert credential.claimed_by == ""
        assert credential.next_check_at > timezone.now() + timedelta(hours=5)
        assert CheckRecord.objects.filter(credential=credential, outcome="ok").count() == 1


def test_it_records_apart_what_changed_or_was_lost_meanwhile(db) -> None:
    accounts = [make_account(make_person(make_tenant()), "slack") for _ in range(3)]
    Credential.objects.filter(pk__in=[a.credential_id for a in accounts]).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    token = claims.new_token()
    batch = sorted(claims.claim_due(token), key=lambda c: c.pk)
    ok, changed, lost = batch
    # Meanwhile a relay report moved one to waiting, and another's claim lapsed and was taken.
    Credential.objects.filter(pk=changed.pk).update(
        state=CredentialState.WAITING_USER, situation="grant_revoked"
    )
    Credential.objects.filter(pk=lost.pk).update(claimed_by="another-worker")
    adapter = get_adapter("slack")
    now = timezone.now()
    results = dict(
        record_routine(
            [Routine(c, CheckOutcome(None), adapter, token, now) for c in batch], source="schedule"
        )
    )
    assert results[ok].outcome == "ok"
    assert results[changed] is not None  # recorded on its own, under its claim
    assert results[lost] is None
    assert not CheckRecord.objects.filter(credential=lost).exists()
    assert Credential.objects.get(pk=lost.pk).claimed_by == "another-worker"
    assert Credential.objects.get(pk=ok.pk).claimed_by == ""


def test_only_a_healthy_account_found_healthy_is_routine(db) -> None:
    credential = make_account(make_person(make_tenant())).credential
    assert is_routine(credential, CheckOutcome(None))
    assert not is_routine(credential, CheckOutcome("grant_revoked"))
    credential.state = CredentialState.HEALING
    assert not is_routine(credential, CheckOutcome(None))
