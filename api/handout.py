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

from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Person
from mio_heal.compiled import CompiledQuery, instance
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
# What handing out a token reads, in field order (the rest, e.g. the refresh token, is loaded
# only to refresh).
ACCOUNT_FIELDS = [
    "id",
    "person_id",
    "platform",
    "upstream_user_id",
    "workspace_id",
    "email",
    "credential_id",
]
CREDENTIAL_FIELDS = [
    "id",
    "tenant_id",
    "access_token",
    "expires_at",
    "scopes",
    "state",
    "situation",
    "state_changed_at",
]
PERSON_FIELDS = ["id", "tenant_id", "email"]
KEY_FIELDS = ["id", "scopes", "last_used_at"]  # read by the query (its tenant is the person's)
KEY_FIELDS_LOADED = ["id", "tenant_id", "key_hash", "scopes", "last_used_at"]  # in field order
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


def _hot(accounts: QuerySet[PlatformAccount], digest: str) -> QuerySet:
    """``accounts`` of the tenant whose live key hashes to ``digest``, with their person,
    credential and that key: one row, one query.

    The key is read by small subqueries (one indexed lookup each, planned apart from the join)
    rather than joined through the tenant, which more than doubled the query's planning."""
    live = RelayApiKey.objects.filter(key_hash=digest, revoked_at__isnull=True)

    def key(field: str) -> Subquery:
        return Subquery(live.values(field)[:1])

    return (
        accounts.filter(person__tenant_id=key("tenant_id"), credential__isnull=False)
        .order_by("pk")
        .values(
            *ACCOUNT_FIELDS,
            *(f"credential__{name}" for name in CREDENTIAL_FIELDS),
            *(f"person__{name}" for name in PERSON_FIELDS),
            **{f"relaykey_{name}": key(name) for name in KEY_FIELDS},
        )[:1]
    )


# Built and compiled once (``mio_heal.compiled``): the relay's hot path is the ORM's own query
# without rebuilding it per request. By the platform's user id, or, when ``user`` has an @, by
# email (``tokens.events.find_account``'s rule).
_BY_ID = CompiledQuery(
    lambda platform, user, digest: _hot(
        PlatformAccount.objects.filter(platform=platform, upstream_user_id=user), digest
    ),
    platform=str,
    user=str,
    digest=str,
)
_BY_EMAIL = CompiledQuery(
    lambda platform, user, digest: _hot(
        PlatformAccount.objects.filter(platform=platform).filter(
            Q(email__iexact=user) | Q(person__email__iexact=user)
        ),
        digest,
    ),
    platform=str,
    user=str,
    digest=str,
)


def find(secret: str, platform: str, user: str) -> tuple[RelayApiKey, PlatformAccount] | None:
    """The live key ``secret`` and its tenant's account ``user`` on ``platform`` (with its
    person and credential, the refresh token left unread), in one query; None when either is
    missing."""
    digest = relaykeys.key_hash(secret)
    query = _BY_EMAIL if "@" in user else _BY_ID
    row = query.first(platform=platform, user=user, digest=digest)
    if row is None:
        return None
    account = instance(PlatformAccount, ACCOUNT_FIELDS, row)
    account.credential = instance(Credential, CREDENTIAL_FIELDS, row, "credential__")
    account.person = instance(Person, PERSON_FIELDS, row, "person__")
    # The key as the key check loads it, but for its name and prefix (left deferred).
    row = {**row, "relaykey_tenant_id": account.person.tenant_id, "relaykey_key_hash": digest}
    key = instance(RelayApiKey, KEY_FIELDS_LOADED, row, "relaykey_")
    return key, account


def token_for(account: PlatformAccount) -> tuple[PlatformAccount, Credential]:
    """The account and its credential holding a usable access token.

    Raises ``Broken`` or ``TryLater``.
    """
    platform = account.platform
    credential = account.credential
    refuse_broken(credential)
    if credential.access_token and not _expiring(credential):
        return account, credential  # the common case: one query in all, key check included
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
