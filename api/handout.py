"""Handing the relay a person's access token: fresh, from the one place that refreshes it.

With rotating refresh tokens (Slack rotation, Zoom, Entra) two refreshers void each other's
tokens, so the relay never refreshes on its own. An access token that expires within the
adapters' margin (``platforms.base.EXPIRY_MARGIN``) is refreshed here first, through the
adapter's ``refresh`` — under the same per-credential lock the health engine takes
(``tokens.locking``). Whoever waited for the lock re-reads the credential and takes the token
the first refresher stored, so a refresh token is redeemed once, however many ask at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from notifications.incidents import open_incidents_for
from platforms.base import EXPIRY_MARGIN, CheckOutcome
from platforms.errors import PlatformError
from tokens import claims, relaykeys
from tokens.checking import adapter_for
from tokens.locking import LockBusy
from tokens.models import (
    CheckRecord,
    Credential,
    CredentialState,
    PlatformAccount,
    RelayApiKey,
)
from tokens.recording import record
from tokens.scheduling import WAITING_STATES
from tokens.situations import audience_key, audience_of

BROKEN_STATES = WAITING_STATES | {CredentialState.DISABLED}
# What handing out a token reads (the rest, e.g. the refresh token, is loaded only to refresh).
HOT_FIELDS = (
    "platform",
    "upstream_user_id",
    "workspace_id",
    "email",
    "person_id",
    "credential__access_token",
    "credential__expires_at",
    "credential__scopes",
    "credential__state",
    "credential__situation",
    "credential__state_changed_at",
    "credential__last_refreshed_at",
)
DEFAULT_RETRY_AFTER = 5


@dataclass
class Broken(Exception):
    """The account cannot send until a person acts: the relay holds its messages."""

    state: str
    situation: str | None
    audience: str | None
    incident: int | None
    since: datetime


@dataclass
class TryLater(Exception):
    """The token could not be refreshed just now (throttled, platform down, lock held)."""

    retry_after: int
    reason: str


def find(secret: str, platform: str, user: str) -> tuple[RelayApiKey, PlatformAccount] | None:
    """The live key ``secret`` and its tenant's account ``user`` on ``platform``, in one query
    (with the credential, its refresh token left undecrypted); None when either is missing."""
    account = (
        _matching(PlatformAccount.objects.filter(platform=platform), user)
        .filter(
            person__tenant__relay_keys__key_hash=relaykeys.key_hash(secret),
            person__tenant__relay_keys__revoked_at__isnull=True,
        )
        .exclude(credential=None)
        .select_related("credential")
        .only(*HOT_FIELDS)
        .annotate(
            _tenant_id=F("person__tenant_id"),
            _key_id=F("person__tenant__relay_keys__id"),
            _key_name=F("person__tenant__relay_keys__name"),
            _key_prefix=F("person__tenant__relay_keys__prefix"),
            _key_scopes=F("person__tenant__relay_keys__scopes"),
            _key_last_used=F("person__tenant__relay_keys__last_used_at"),
        )
        .first()
    )
    if account is None:
        return None
    key = RelayApiKey(
        pk=account._key_id,
        tenant_id=account._tenant_id,
        name=account._key_name,
        prefix=account._key_prefix,
        key_hash=relaykeys.key_hash(secret),
        scopes=account._key_scopes,
        last_used_at=account._key_last_used,
    )
    return key, account


def token_for(account: PlatformAccount) -> tuple[PlatformAccount, Credential]:
    """The account and its credential holding a usable access token.

    Raises ``Broken`` or ``TryLater``.
    """
    platform = account.platform
    credential = account.credential
    refuse_broken(credential)
    if credential.access_token and not _expiring(credential):
        return account, credential  # the common case: two queries in all, key check included
    # What a refresh and its recording need (the refresh token, the account's person).
    credential = Credential.objects.select_related(*claims.RELATED).get(pk=account.credential_id)
    adapter = adapter_for(platform)
    try:
        fresh = adapter.refresh(credential)
    except LockBusy:
        raise TryLater(1, "another refresh of this token is in progress") from None
    except PlatformError as err:
        if audience_of(err.situation) is None:  # transient, or nobody's to fix: retry
            wait = err.evidence.retry_after or DEFAULT_RETRY_AFTER
            raise TryLater(max(1, int(wait)), f"refresh failed: {err.situation.value}") from None
        # Our own refresh found a permanent problem: recorded like any check (state, incident,
        # prompts), then answered from the state it left.
        record(
            credential, CheckOutcome(err.situation, err.evidence), source=CheckRecord.Source.RELAY
        )
        refuse_broken(credential)
        raise TryLater(DEFAULT_RETRY_AFTER, "refresh failed") from None
    return account, fresh


def _matching(accounts: QuerySet[PlatformAccount], user: str) -> QuerySet[PlatformAccount]:
    """``tokens.events.find_account``'s rule: by email when ``user`` has an @, else by id."""
    if "@" in user:
        return accounts.filter(Q(email__iexact=user) | Q(person__email__iexact=user))
    return accounts.filter(upstream_user_id=user)


def refuse_broken(credential: Credential) -> None:
    if credential.state not in BROKEN_STATES:
        return
    incidents = open_incidents_for(credential)
    raise Broken(
        state=credential.state,
        situation=credential.situation or None,
        audience=audience_key(credential.situation),
        incident=incidents[0].pk if incidents else None,
        since=credential.state_changed_at,
    )


def _expiring(credential: Credential) -> bool:
    return (
        credential.expires_at is not None
        and credential.expires_at <= timezone.now() + EXPIRY_MARGIN
    )
