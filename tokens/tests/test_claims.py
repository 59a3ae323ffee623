"""Claiming: due, unclaimed, checkable — and never the same credential to two claimants."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from platforms.base import CheckOutcome
from tests.factories import make_account, make_installation, make_person, make_tenant
from tokens import claims
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.recording import record


def _account(state: str = CredentialState.HEALTHY, due_in: timedelta = timedelta(minutes=-1)):
    account = make_account(make_person(make_tenant()), "slack", state=state)
    Credential.objects.filter(pk=account.credential_id).update(
        next_check_at=timezone.now() + due_in
    )
    return account


def test_it_claims_only_due_unclaimed_checkable_credentials(db) -> None:
    due = _account()
    _account(due_in=timedelta(hours=1))  # not due yet
    _account(state=CredentialState.DISABLED)  # removed from sync
    make_installation(make_tenant())  # a bot credential: not the sweep's
    held = _account()
    Credential.objects.filter(pk=held.credential_id).update(
        claimed_until=timezone.now() + timedelta(minutes=3), claimed_by="other-worker"
    )
    lapsed = _account()
    Credential.objects.filter(pk=lapsed.credential_id).update(
        claimed_until=timezone.now() - timedelta(seconds=1), claimed_by="dead-worker"
    )
    token = claims.new_token()
    got = claims.claim_due(token)
    assert sorted(c.pk for c in got) == sorted([due.credential_id, lapsed.credential_id])
    for credential in Credential.objects.filter(pk__in=[c.pk for c in got]):
        assert credential.claimed_by == token
        assert credential.claimed_until > timezone.now() + timedelta(minutes=4)


def test_it_never_hands_one_credential_to_two_claimants(db) -> None:
    accounts = [_account() for _ in range(5)]
    first = claims.claim_due(claims.new_token(), limit=3)
    second = claims.claim_due(claims.new_token())
    third = claims.claim_due(claims.new_token())
    assert len(first) == 3
    assert len(second) == 2
    assert third == []
    assert {c.pk for c in first} | {c.pk for c in second} == {a.credential_id for a in accounts}
    # Claiming by id skips what another claimant holds.
    assert claims.claim_ids(claims.new_token(), [a.credential_id for a in accounts]) == []


def test_it_claims_the_most_overdue_first(db) -> None:
    recent = _account(due_in=timedelta(minutes=-1))
    oldest = _account(due_in=timedelta(days=-2))
    middle = _account(due_in=timedelta(hours=-3))
    got = claims.claim_due(claims.new_token(), limit=2)
    assert [c.pk for c in got] == [oldest.credential_id, middle.credential_id]
    assert recent.credential_id not in [c.pk for c in got]


def test_it_loads_what_a_check_needs_with_the_claim(db, django_assert_num_queries) -> None:
    _account()
    token = claims.new_token()
    (credential,) = claims.claim_due(token)
    with django_assert_num_queries(0):
        assert credential.account.person.email
        assert credential.tenant.slug


def test_it_records_only_under_the_claim_it_still_holds(db) -> None:
    account = _account()
    token = claims.new_token()
    (credential,) = claims.claim_due(token)
    # The claim lapsed and another worker took it over.
    Credential.objects.filter(pk=credential.pk).update(claimed_by="another-worker")
    assert record(credential, CheckOutcome(None), source="schedule", claim_token=token) is None
    assert not CheckRecord.objects.filter(credential_id=account.credential_id).exists()
    assert Credential.objects.get(pk=credential.pk).claimed_by == "another-worker"


def test_it_releases_the_claim_when_it_records(db) -> None:
    _account()
    token = claims.new_token()
    (credential,) = claims.claim_due(token)
    check = record(credential, CheckOutcome(None), source="schedule", claim_token=token)
    assert check is not None
    stored = Credential.objects.get(pk=credential.pk)
    assert (stored.claimed_by, stored.claimed_until) == ("", None)
    assert stored.next_check_at > timezone.now() + timedelta(hours=5)
