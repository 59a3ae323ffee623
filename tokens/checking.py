"""Checking one claimed credential: proactive refresh, the adapter's check, the record."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from mio_heal.dbpool import release as release_connection
from platforms.base import CheckOutcome, PlatformAdapter
from platforms.errors import Evidence, PlatformError
from platforms.registry import get_adapter
from tokens import claims, proactive
from tokens.locking import LockBusy
from tokens.models import CheckRecord, Credential
from tokens.ratelimit import Key, RateLimiter, share_block
from tokens.recording import record
from tokens.situations import CATALOGUE, Situation, audience_of

log = logging.getLogger(__name__)

# A worker thread sleeps out a short rate-limit wait; a longer one (a Retry-After) hands the
# credential back with its next check set to when the workspace may be called again.
MAX_INLINE_WAIT = 2.0


_adapters: dict[tuple[str, bool, str], PlatformAdapter] = {}
_adapters_lock = threading.Lock()


def adapter_for(platform: str) -> PlatformAdapter:
    """One adapter per platform, shared by the checking threads of this process.

    Adapters keep their HTTP sessions (and so their kept-alive connections) between checks; a
    new adapter per check would open a new connection per check. Keyed by where the sandbox is
    too, so a moved sandbox (tests) gets fresh sessions.
    """
    key = (platform, bool(settings.SANDBOX_ENABLED), str(settings.SANDBOX_URL))
    with _adapters_lock:
        adapter = _adapters.get(key)
        if adapter is None:
            adapter = _adapters[key] = get_adapter(platform)
        return adapter


def workspace_key(credential: Credential) -> Key:
    try:
        workspace = credential.account.workspace_id
    except Credential.account.RelatedObjectDoesNotExist:
        workspace = ""
    return credential.platform, workspace


def check_credential(
    credential: Credential,
    *,
    source: str,
    claim_token: str,
    limiter: RateLimiter | None = None,
    hint: str | None = None,
) -> CheckRecord | None:
    """Check one credential we hold the claim on, and record what was found.

    ``hint``: the situation a platform event announced (see ``apply_hint``).
    Returns the CheckRecord, or None when the check was deferred (rate limit) or the claim was
    lost meanwhile.
    """
    examined = examine(credential, claim_token=claim_token, limiter=limiter, hint=hint)
    if examined is None:
        return None
    outcome, adapter = examined
    return record(credential, outcome, source=source, claim_token=claim_token, adapter=adapter)


def examine(
    credential: Credential,
    *,
    claim_token: str,
    limiter: RateLimiter | None = None,
    hint: str | None = None,
) -> tuple[CheckOutcome, PlatformAdapter] | None:
    """The check itself, not yet recorded: rate limit, adapter, Retry-After shared.

    Returns None when the workspace is held off for longer than a short wait: the claim is
    then handed back with the next check set for when the platform allows calls again.
    """
    adapter = adapter_for(credential.platform)
    key = workspace_key(credential)
    if limiter is not None:
        wait = limiter.acquire(key)
        if wait > MAX_INLINE_WAIT:
            claims.release(
                credential, claim_token, next_check_at=timezone.now() + timedelta(seconds=wait)
            )
            return None
        if wait > 0:
            time.sleep(wait)
    # The platform call may take seconds: hold no database connection meanwhile (a pooled one
    # goes back to the pool; the adapter takes one again if it must store a refresh).
    release_connection()
    outcome = apply_hint(run_adapter(adapter, credential), hint)
    retry_after = outcome.evidence.retry_after if outcome.evidence is not None else None
    if outcome.transient and retry_after:
        if limiter is not None:
            limiter.block(key, retry_after)
        share_block(key, retry_after)
    return outcome, adapter


def run_adapter(adapter: PlatformAdapter, credential: Credential) -> CheckOutcome:
    """The adapter's check, preceded by a proactive refresh when one is due. Never raises."""
    started = time.monotonic()
    refreshed = False
    try:
        if proactive.needs_refresh(credential, adapter, timezone.now()):
            credential = adapter.refresh(credential)
            refreshed = True
        outcome = adapter.check(credential)
    except PlatformError as err:
        outcome = CheckOutcome(err.situation, err.evidence, refreshed)
    except LockBusy:
        # Someone else (a relay's on-use refresh) is refreshing it right now: look again soon.
        outcome = _transient(adapter.key, "refresh_in_progress", "another refresh holds the lock")
    except Exception as exc:  # an adapter bug must not stop the sweep, nor prompt anyone
        log.exception("credential %s: %s adapter failed unexpectedly", credential.pk, adapter.key)
        outcome = _transient(adapter.key, "internal_error", f"adapter error: {type(exc).__name__}")
    outcome.refreshed = outcome.refreshed or refreshed
    outcome.latency_ms = int((time.monotonic() - started) * 1000)  # refresh included
    return outcome


def apply_hint(outcome: CheckOutcome, hint: str | None) -> CheckOutcome:
    """Let a platform's event name the situation of a problem the check confirmed.

    A probe can be ambiguous where the event is not: Slack answers ``token_revoked`` whether the
    user revoked the grant or an admin uninstalled the app; the ``app_uninstalled`` event says
    which. The check stays the judge of *whether* something is wrong: a healthy or transient
    answer is kept as it is.
    """
    if not hint or hint not in CATALOGUE or audience_of(hint) is None:
        return outcome
    if outcome.healthy or audience_of(outcome.situation) is None:
        return outcome
    if outcome.situation != hint and outcome.evidence is not None:
        outcome.evidence.description = (
            f"{outcome.evidence.description} [platform event: {hint}; "
            f"probe read {outcome.situation.value}]"
        ).strip()
    outcome.situation = Situation(hint)
    return outcome


def _transient(platform: str, error: str, description: str) -> CheckOutcome:
    return CheckOutcome(
        Situation.TRANSIENT,
        Evidence(platform=platform, endpoint="check", error=error, description=description),
    )
