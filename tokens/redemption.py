"""Redeeming a refresh token without ever losing what the platform answered.

A refresh the platform honoured is the only copy of the new tokens (Slack with rotation, Zoom and
Entra replace the refresh token as they answer). Under the per-credential refresh lock
(``tokens.locking``), in this order:

1. a grant kept aside by an earlier attempt whose save failed (the spool) is stored first: its
   refresh token is the live one, the stored one was spent by that earlier redemption;
2. the adapter redeems the refresh token, while a witness (``platforms.grants.witness``) sees the
   raw 2xx answers of the calls it makes through the project's HTTP path;
3. the grant is stored at once (``store_grant``). If the database refuses it, the grant is written
   encrypted (the token vault's key) to ``GRANT_SPOOL_DIR`` and the check reads transient: the
   next attempt stores it from there instead of redeeming a spent refresh token. The spool is a
   directory of this machine: several machines share one volume for it, or a save failing on
   one machine waits there for that machine's next attempt;
4. a 2xx answer the adapter could not read (``UnreadableGrant``, or any failure after a witnessed
   2xx answer that is not whole JSON) is salvaged (``platforms.grants.salvage_grant``): both
   tokens -> stored, healthy; a refresh token only -> stored, then redeemed once more; an access
   token only -> stored (on a platform that rotates refresh tokens the credential is then held);
   nothing -> held, ``operator_config`` with masked evidence.

A held credential (``Credential.grant_lost_at``) never prompts its user: ``held_outcome`` turns
each later failure into ``operator_config`` (the platform will now call the old refresh token
spent, which would read ``grant_revoked``) until the operator releases it (the admin action
"Release held credentials", ``release``) or a refresh stores a new refresh token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from platforms import grants
from platforms.base import CheckOutcome, TokenGrant
from platforms.errors import Evidence, PlatformError
from tokens import vault
from tokens.locking import refresh_lock
from tokens.models import Credential
from tokens.secret import reveal
from tokens.situations import Situation, audience_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    from platforms.base import PlatformAdapter

log = logging.getLogger(__name__)


# --- the refresh ---------------------------------------------------------------------------------
def refresh(
    adapter: PlatformAdapter, credential: Credential, *, force: bool = False, **redeem: Any
) -> Credential:
    """Refresh under the per-credential lock and store the new tokens at once.

    Returns the fresh credential. If another worker refreshed it while we waited for the lock,
    its tokens are used and the refresh token is not redeemed a second time, unless ``force``
    (a token with new claims is needed, whatever the other worker got). ``redeem``: extra
    arguments for the adapter's ``redeem_refresh_token`` (Teams' ``claims_challenge``).
    """
    seen_refresh_at = credential.last_refreshed_at
    with refresh_lock(credential.pk) as locked:
        kept = spool_take(locked.pk)
        if kept is not None and not force:
            keep(locked, kept, adapter.key)
            spool_discard(locked.pk)
            return locked
        if kept is not None:
            keep(locked, kept, adapter.key)  # its refresh token is the live one to redeem
            spool_discard(locked.pk)
        elif (
            not force
            and locked.last_refreshed_at != seen_refresh_at
            and not adapter._expiring(locked)
        ):
            return locked
        redeem_and_keep(adapter, locked, _refresh_token(adapter, locked), **redeem)
        return locked


def redeem_and_keep(
    adapter: PlatformAdapter,
    locked: Credential,
    refresh_token: str,
    *,
    again: bool = True,
    **redeem: Any,
) -> TokenGrant:
    """Redeem ``refresh_token`` and store the answer; call it holding the refresh lock.

    ``redeem``: extra arguments for the adapter's ``redeem_refresh_token`` (Teams' claims).
    """
    with grants.witness() as seen:
        try:
            grant = adapter.redeem_refresh_token(locked, refresh_token, **redeem)
        except grants.UnreadableGrant as err:
            return _rescue(adapter, locked, err.text, err.evidence.http_status, err, again, redeem)
        except Exception as err:
            # An adapter that refused or tripped over a 2xx answer: the redemption happened.
            answer = _damaged(seen)
            if answer is None or (isinstance(err, PlatformError) and err.transient):
                raise
            return _rescue(adapter, locked, answer[1], answer[0], err, again, redeem)
    keep(locked, grant, adapter.key)
    return grant


def _damaged(seen: grants.Witness) -> tuple[int, str] | None:
    """The witnessed 2xx answer that may hold a grant the adapter failed to read.

    One with tokens in it comes first, then one that is not whole JSON (cut off); a whole JSON
    answer without tokens is what the adapter read and refused (Slack answers ``ok: false`` with
    HTTP 200), or another call it made (an identity check): the last one stands for those.
    """
    for status, text in seen.answers:
        if grants.has_tokens(grants.salvage_grant(text)):
            return status, text
    for status, text in seen.answers:
        if not grants.is_whole_json(text):
            return status, text
    return seen.last()


def _refresh_token(adapter: PlatformAdapter, locked: Credential) -> str:
    refresh_token = reveal(locked.refresh_token)
    if not refresh_token:
        raise PlatformError(
            Situation.GRANT_REVOKED,
            Evidence(
                platform=adapter.key,
                endpoint="token",
                error="no_refresh_token",
                description="No refresh token is stored; a fresh sign-in is needed.",
            ),
        )
    return refresh_token


def _rescue(
    adapter: PlatformAdapter,
    locked: Credential,
    text: str,
    status: int | None,
    cause: Exception,
    again: bool,
    redeem: dict[str, Any],
) -> TokenGrant:
    salvaged = grants.salvage_grant(text)
    if not grants.has_tokens(salvaged):
        if not isinstance(cause, grants.UnreadableGrant) and grants.is_whole_json(text):
            # A whole answer without tokens: a refusal the adapter read (or another call it
            # made); whatever went wrong, no grant was lost here, so its error stands.
            raise cause
        why = f"{type(cause).__name__}; nothing usable in it"
        raise hold(locked, grants.unreadable_evidence(adapter.key, text, status, why=why))
    log.warning(
        "credential %s: a %s refresh answer could not be read whole; salvaged %s",
        locked.pk,
        adapter.key,
        ", ".join(sorted(salvaged)),
    )
    grant = TokenGrant(
        access_token=salvaged.get("access_token", ""),
        refresh_token=salvaged.get("refresh_token"),
        expires_in=salvaged.get("expires_in"),
        refresh_expires_in=salvaged.get("refresh_token_expires_in"),
        scopes=[s for s in re.split(r"[,\s]+", salvaged.get("scope", "")) if s],
    )
    keep(locked, grant, adapter.key)
    if not grant.access_token and again:
        # Only the refresh token survived: it is stored, and it buys a whole answer now.
        return redeem_and_keep(adapter, locked, grant.refresh_token or "", again=False, **redeem)
    if not grant.refresh_token and adapter.rotating_refresh_tokens:
        why = "the access token was read but the new refresh token was cut off"
        raise hold(locked, grants.unreadable_evidence(adapter.key, text, status, why=why))
    return grant


# --- storing -------------------------------------------------------------------------------------
def store_grant(credential: Credential, grant: TokenGrant) -> None:
    """Persist a grant the moment it arrives (a rotated refresh token exists nowhere else).

    A grant without an access token (salvaged from a cut-off answer) keeps the old one, marked
    expired, so the next check refreshes. A new refresh token ends an operator hold: Mio holds a
    live grant again.
    """
    now = timezone.now()
    fields = ["expires_at", "last_refreshed_at", "refresh_token_last_used_at"]
    if grant.access_token:
        credential.access_token = grant.access_token
        fields.append("access_token")
        credential.expires_at = (
            now + timedelta(seconds=grant.expires_in) if grant.expires_in else None
        )
    else:
        credential.expires_at = now
    if grant.refresh_token:
        credential.refresh_token = grant.refresh_token
        credential.refresh_token_issued_at = now
        credential.grant_lost_at = None
        fields += ["refresh_token", "refresh_token_issued_at", "grant_lost_at"]
    if grant.refresh_expires_in:
        credential.refresh_token_expires_at = now + timedelta(seconds=grant.refresh_expires_in)
        fields.append("refresh_token_expires_at")
    if grant.scopes:
        credential.scopes = grant.scopes
        fields.append("scopes")
    credential.last_refreshed_at = now
    credential.refresh_token_last_used_at = now
    credential.save(update_fields=[*fields, "updated_at"])


def keep(credential: Credential, grant: TokenGrant, platform: str) -> None:
    """``store_grant``, or, when the database refuses it, the spool and a transient error.

    Never swallowed: the caller's check reads ``transient`` (``grant_unsaved``), is retried with
    backoff, and the retry stores the spooled grant before anything else.
    """
    try:
        store_grant(credential, grant)
    except DatabaseError as exc:
        try:
            spool_put(credential.pk, grant)
        except OSError as disk:
            # Neither the database nor the disk: this process keeps it for its next attempt.
            _in_memory[credential.pk] = grant
            log.critical(
                "credential %s: the spool refused the new %s grant too (%s); kept in memory",
                credential.pk,
                platform,
                type(disk).__name__,
            )
        log.error(
            "credential %s: the new %s grant could not be saved (%s); kept encrypted in the spool",
            credential.pk,
            platform,
            type(exc).__name__,
        )
        raise PlatformError(
            Situation.TRANSIENT,
            Evidence(
                platform=platform,
                endpoint="token",
                error="grant_unsaved",
                description="The platform issued new tokens but the database refused them; they "
                "are kept encrypted aside and stored by the next attempt.",
            ),
        ) from exc


# --- the spool: grants the database refused ------------------------------------------------------
def spool_dir() -> Path:
    configured = getattr(settings, "GRANT_SPOOL_DIR", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "grant-spool"


def _spool_path(credential_id: int) -> Path:
    return spool_dir() / f"credential-{int(credential_id)}.grant"


def spool_put(credential_id: int, grant: TokenGrant) -> None:
    """Write ``grant`` encrypted, atomically (a reader sees the whole file or none)."""
    data = {
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "expires_in": grant.expires_in,
        "refresh_expires_in": grant.refresh_expires_in,
        "scopes": grant.scopes,
    }
    path = _spool_path(credential_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(vault.encrypt(json.dumps(data)))
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


# The last resort when the spool cannot be written either (a full or read-only disk).
_in_memory: dict[int, TokenGrant] = {}


def spool_take(credential_id: int) -> TokenGrant | None:
    """The grant kept aside for this credential, if any (left in place until stored)."""
    if credential_id in _in_memory:
        return _in_memory[credential_id]
    path = _spool_path(credential_id)
    try:
        cipher = path.read_text()
    except (FileNotFoundError, NotADirectoryError):
        return None
    data = json.loads(vault.decrypt(cipher))
    return TokenGrant(
        access_token=data.get("access_token") or "",
        refresh_token=data.get("refresh_token"),
        expires_in=data.get("expires_in"),
        refresh_expires_in=data.get("refresh_expires_in"),
        scopes=list(data.get("scopes") or []),
    )


def spool_discard(credential_id: int) -> None:
    _in_memory.pop(credential_id, None)
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        _spool_path(credential_id).unlink()


# --- the operator's hold -------------------------------------------------------------------------
def hold(credential: Credential, evidence: Evidence) -> PlatformError:
    """Keep ``credential`` with the operator; returns the error the check reports."""
    now = timezone.now()
    Credential.objects.filter(pk=credential.pk).update(grant_lost_at=now)
    credential.grant_lost_at = now
    log.error(
        "credential %s: a %s refresh answer could not be read (%s); held for the operator",
        credential.pk,
        evidence.platform,
        evidence.error,
    )
    return PlatformError(Situation.OPERATOR_CONFIG, evidence)


def held_outcome(credential: Credential, outcome: CheckOutcome) -> CheckOutcome:
    """While the operator holds ``credential``, no outcome sends it to its user (nor an admin).

    Transient outcomes stay as they are; a check whose refresh stored a new refresh token (which
    ended the hold) is healthy as it reads.
    """
    lost = credential.grant_lost_at
    if lost is None or outcome.situation == Situation.OPERATOR_CONFIG:
        return outcome
    if outcome.healthy and outcome.refreshed:
        return outcome
    if not outcome.healthy and audience_of(outcome.situation) is None:
        return outcome
    now_says = "works for now" if outcome.healthy else f"now reads {outcome.situation.value}"
    note = (
        f"[held for the operator since {lost:%Y-%m-%d %H:%M} UTC: a refresh the platform "
        f"honoured could not be read; the account {now_says}]"
    )
    base = outcome.evidence or Evidence(
        platform=credential.platform, endpoint="check", error="grant_held"
    )
    evidence = replace(base, description=f"{note} {base.description}".strip())
    return replace(outcome, situation=Situation.OPERATOR_CONFIG, evidence=evidence)


def release(credential_ids: Iterable[int]) -> list[int]:
    """The operator hands held credentials back to the normal flow: returns those released.

    The caller re-checks them (``tokens.services.check_now``): one the platform still refuses
    then prompts its user to re-sync, as any other; one that works resolves the incident.
    """
    ids = list(
        Credential.objects.filter(
            pk__in=list(credential_ids), grant_lost_at__isnull=False
        ).values_list("pk", flat=True)
    )
    Credential.objects.filter(pk__in=ids).update(grant_lost_at=None)
    return ids
