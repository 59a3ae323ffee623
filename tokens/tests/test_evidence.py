"""Relay evidence spares a scheduled probe only when nothing else needs the platform."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.factories import make_account, make_person, make_tenant
from tokens.evidence import note_relay_success, vouched_until
from tokens.models import CheckRecord, Credential

SCHEDULE = CheckRecord.Source.SCHEDULE


def credential(db, **fields) -> Credential:
    account = make_account(make_person(make_tenant()), "webex")
    Credential.objects.filter(pk=account.credential_id).update(**fields)
    return Credential.objects.get(pk=account.credential_id)


def test_it_vouches_for_a_healthy_account_used_within_the_interval(db) -> None:
    now = timezone.now()
    used = credential(db, last_used_at=now - timedelta(hours=1), refresh_token_last_used_at=now)
    until = vouched_until(used, SCHEDULE, now)
    assert until is not None
    assert now + timedelta(hours=4) < until < now + timedelta(hours=6)


def test_it_keeps_the_newest_use_only(db) -> None:
    now = timezone.now()
    used = credential(db, last_used_at=now)
    assert note_relay_success([used.pk], now - timedelta(hours=1)) == 0
    used.refresh_from_db()
    assert used.last_used_at == now


def test_it_never_vouches_when_the_platform_is_needed(db) -> None:
    now = timezone.now()
    recent = now - timedelta(minutes=5)
    fine = {"last_used_at": recent, "refresh_token_last_used_at": now}
    cases = [
        credential(db, **{**fine, "last_used_at": None}),  # never used by the relay
        credential(db, **{**fine, "last_used_at": now - timedelta(hours=7)}),  # too long ago
        credential(db, **{**fine, "state": "waiting_user"}),  # not healthy
        credential(db, **{**fine, "state": "healing"}),
        # Webex refresh tokens die after 90 days unused: the proactive refresh is due.
        credential(db, **{**fine, "refresh_token_last_used_at": now - timedelta(days=80)}),
    ]
    assert [vouched_until(c, SCHEDULE, now) for c in cases] == [None] * len(cases)
    healthy = credential(db, **fine)
    for source in ("event", "relay", "manual", "resync"):
        assert vouched_until(healthy, source, now) is None
