"""Recording a check: the state transition, the CheckRecord, the signal — in one transaction.

The state follows the situation's audience (``tokens.situations.CATALOGUE``):

- healthy -> ``healthy``;
- nobody's job (transient faults, an expired access token that could not be refreshed yet)
  -> ``healing``, retried with backoff; an account already waiting on a person *stays* waiting
  (a timeout says nothing about whether the person fixed it), and a transient fault never moves
  an account into a waiting state;
- the user's job -> ``waiting_user``; an admin's -> ``waiting_admin``; ours -> ``waiting_operator``;
- a credential the operator holds (a refresh answer Mio could not read, ``tokens.redemption``)
  -> ``waiting_operator`` whatever the platform now says, until the operator releases it.

Two queries per check: one UPDATE of the credential (which also releases the claim, and only
matches while we still hold it) and one INSERT of the CheckRecord; a third, an UPDATE of the
account, only where the probe names the bot's address for the person (Zoom's JID), so that an
account signed in before it was read learns it from its next check.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from platforms.base import CheckOutcome, PlatformAdapter
from tokens import conf, proactive, scheduling
from tokens.models import CheckRecord, Credential, CredentialState, PlatformAccount
from tokens.redemption import held_outcome
from tokens.signals import credential_checked
from tokens.situations import Audience, audience_of

log = logging.getLogger(__name__)

STATE_FOR_AUDIENCE = {
    Audience.USER: CredentialState.WAITING_USER,
    Audience.ADMIN: CredentialState.WAITING_ADMIN,
    Audience.OPERATOR: CredentialState.WAITING_OPERATOR,
}


def outcome_kind(outcome: CheckOutcome) -> str:
    if outcome.healthy:
        return CheckRecord.Outcome.HEALED if outcome.refreshed else CheckRecord.Outcome.OK
    if audience_of(outcome.situation) is None:
        return CheckRecord.Outcome.TRANSIENT
    return CheckRecord.Outcome.PROBLEM


def transition(outcome: CheckOutcome, state: str, situation: str) -> tuple[str, str]:
    """The (state, situation) a credential moves to from (state, situation) after ``outcome``."""
    if state == CredentialState.DISABLED:
        return state, situation  # removed from sync: history is kept, the state is the admin's
    if outcome.healthy:
        return CredentialState.HEALTHY, ""
    audience = audience_of(outcome.situation)
    if audience is None:
        if state in scheduling.WAITING_STATES:
            return state, situation
        return CredentialState.HEALING, outcome.situation.value
    return STATE_FOR_AUDIENCE[Audience(audience)], outcome.situation.value


def record(
    credential: Credential,
    outcome: CheckOutcome,
    *,
    source: str,
    claim_token: str | None = None,
    adapter: PlatformAdapter | None = None,
    now: datetime | None = None,
) -> CheckRecord | None:
    """Record ``outcome`` for ``credential`` and announce it. Returns None if the claim was lost.

    ``claim_token``: the check ran under this claim; the UPDATE only matches while it is still
    ours (a claim that lapsed and was taken by another worker means that worker's answer wins).
    Without a token (relay reports) the claims of others are left as they are.
    """
    now = now or timezone.now()
    # A credential whose refresh answer was lost stays with the operator (tokens.redemption).
    outcome = held_outcome(credential, outcome)
    previous_state, previous_situation = credential.state, credential.situation
    state, situation = transition(outcome, previous_state, previous_situation)
    kind = outcome_kind(outcome)
    evidence = outcome.evidence.as_dict() if outcome.evidence is not None else None
    failures = 0 if outcome.healthy else credential.failure_count + 1
    fields: dict = {
        "state": state,
        "situation": situation,
        "failure_count": failures,
        "last_checked_at": now,
        "updated_at": now,
        "next_check_at": scheduling.next_check_at(
            state,
            now=now,
            failures=failures,
            retry_after=outcome.evidence.retry_after if outcome.evidence else None,
            proactive_due=proactive_due_after(credential, outcome, adapter, now),
        ),
    }
    if state != previous_state or situation != previous_situation:
        fields["state_changed_at"] = now
    if outcome.healthy:
        fields["last_evidence"] = None
    elif situation == (outcome.situation.value if outcome.situation else ""):
        # The evidence of the situation the account is in; a transient blip while waiting on a
        # person keeps the evidence the person needs (the blip is in the CheckRecord).
        fields["last_evidence"] = evidence
    rows = Credential.objects.filter(pk=credential.pk)
    if claim_token is not None:
        rows = rows.filter(claimed_by=claim_token)
        fields.update(claimed_until=None, claimed_by="")
    with transaction.atomic():
        if rows.update(**fields) != 1:
            log.warning(
                "credential %s: claim lost before recording; its new claimant records",
                credential.pk,
            )
            return None
        for name, value in fields.items():
            setattr(credential, name, value)
        _learn_chat_address(credential, outcome)
        check = CheckRecord.objects.create(
            credential=credential,
            checked_at=now,
            source=source,
            outcome=kind,
            situation=outcome.situation.value if outcome.situation else "",
            state_after=state,
            evidence=evidence,
            latency_ms=max(0, int(outcome.latency_ms)),
        )
        credential_checked.send(
            sender=Credential,
            credential=credential,
            previous_state=previous_state,
            previous_situation=previous_situation,
            outcome=outcome,
            check=check,
            source=source,
            changed=state != previous_state or situation != previous_situation,
        )
    return check


def _learn_chat_address(credential: Credential, outcome: CheckOutcome) -> None:
    """Keep the address the platform's identity call gave (it is the platform's word for it)."""
    address = outcome.identity.chat_address if outcome.identity is not None else ""
    if address:
        PlatformAccount.objects.filter(credential_id=credential.pk).exclude(
            chat_address=address
        ).update(chat_address=address)


def record_report(credential: Credential, outcome: CheckOutcome, *, source: str) -> CheckRecord:
    """Keep what someone outside reported (the relay's failed send) as history, and nothing more.

    Unlike ``record`` it moves no state and sends no signal, so no incident opens and nobody is
    prompted: a report is only a reason for our own check, which ``record``s its own verdict.
    ``state_after`` is the state the account was in (unchanged by the report).
    """
    return CheckRecord.objects.create(
        credential=credential,
        checked_at=timezone.now(),
        source=source,
        outcome=outcome_kind(outcome),
        situation=outcome.situation.value if outcome.situation else "",
        state_after=credential.state,
        evidence=outcome.evidence.as_dict() if outcome.evidence is not None else None,
        latency_ms=0,
    )


def proactive_due_after(
    credential: Credential,
    outcome: CheckOutcome,
    adapter: PlatformAdapter | None,
    now: datetime,
) -> datetime | None:
    if adapter is None:
        return None
    if outcome.refreshed:
        # The in-memory credential predates the refresh; the refresh token was just used.
        if adapter.refresh_on_every_check or adapter.refresh_idle_limit is None:
            return None
        return now + adapter.refresh_idle_limit * conf.get("HEALTH_PROACTIVE_FRACTION")
    return proactive.refresh_due_at(credential, adapter)


def expired_checks(older_than_days: int | None = None) -> QuerySet[CheckRecord]:
    """CheckRecords past the retention (``HEALTH_CHECK_RETENTION_DAYS`` unless given)."""
    days = (
        older_than_days if older_than_days is not None else conf.get("HEALTH_CHECK_RETENTION_DAYS")
    )
    return CheckRecord.objects.filter(checked_at__lt=timezone.now() - timedelta(days=days))


def purge_history(*, older_than_days: int | None = None, batch: int | None = None) -> int:
    """Delete CheckRecords older than the retention, in batches (no long table lock)."""
    size = batch or conf.get("HEALTH_RETENTION_BATCH")
    expired = expired_checks(older_than_days)
    deleted = 0
    while True:
        ids = list(expired.values_list("pk", flat=True)[:size])
        if not ids:
            return deleted
        deleted += CheckRecord.objects.filter(pk__in=ids).delete()[0]
