"""Push and on-use detection: the one door through which platforms' events reach the engine.

Platform webhook views (``platforms/<kind>/webhooks.py``) verify and parse their platform's
events, then call ``report_platform_event``. The relay reports failed sends through
``report_relay_failure`` (``POST /api/relay-failures/``, see ``api.relay_failures``). Neither
makes an HTTP call: they mark accounts, record, and queue the checks on django-q2, so they answer
fast (Slack wants its answer within 3 seconds).

Neither is ever the verdict (issue 14): an event or a report only makes us check the accounts
ourselves at once, and only what our own check finds opens incidents and prompts anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Tenant
from platforms.base import CheckOutcome
from platforms.errors import Evidence, PlatformError
from platforms.keys import Platform
from platforms.registry import ADAPTERS, get_adapter
from tokens import claims, conf
from tokens.models import (
    CheckRecord,
    Credential,
    CredentialState,
    Installation,
    PlatformAccount,
    ProcessedEvent,
)
from tokens.recording import record, record_report
from tokens.services import queue_check
from tokens.situations import CATALOGUE, Situation

log = logging.getLogger(__name__)


class UnknownWorkspace(LookupError):
    """A genuine event about a workspace (Slack team, Zoom account, Entra tenant) Mio does not
    serve. The hooks refuse it with a 4xx and change nothing, not even the event-id memory, so
    a retry after the tenant is added is handled."""


def serves_workspace(platform: str, workspace_id: str) -> bool:
    """True when some tenant has an account or Mio's installation in this workspace."""
    return (
        PlatformAccount.objects.filter(platform=platform, workspace_id=workspace_id).exists()
        or Installation.objects.filter(platform=platform, workspace_id=workspace_id).exists()
    )


def report_platform_event(
    platform: str,
    event: str,
    *,
    workspace_id: str = "",
    upstream_user_ids: Sequence[str] = (),
    event_id: str = "",
    situation_hint: str | None = None,
) -> int:
    """A platform pushed ``event`` about these users (every account of the workspace when
    ``upstream_user_ids`` is empty). Marks the matching accounts due now and queues their check.
    Returns how many accounts were marked; a repeated ``event_id`` is ignored (returns 0).
    Raises ``UnknownWorkspace`` (before anything is stored) when ``workspace_id`` names a
    workspace no tenant has.

    Matching is on ``PlatformAccount.platform`` + ``workspace_id`` (+ ``upstream_user_id``).
    An event that names neither a workspace nor users marks nothing (it cannot mean "every
    account on the platform"). ``situation_hint`` (a situation key, e.g. ``app_uninstalled``)
    names the situation when the queued check confirms a problem (``tokens.checking.apply_hint``).
    """
    if platform not in ADAPTERS:
        raise ValueError(f"unknown platform {platform!r}")
    if situation_hint is not None and situation_hint not in CATALOGUE:
        raise ValueError(f"unknown situation {situation_hint!r}")
    users = [str(u) for u in upstream_user_ids if u]
    if not workspace_id and not users:
        log.warning("%s %s event names no workspace and no user; ignored", platform, event)
        return 0
    if workspace_id and not serves_workspace(platform, workspace_id):
        label = Platform(platform).label
        raise UnknownWorkspace(f"Mio serves no {label} workspace {workspace_id[:128]!r}.")
    if event_id and not _first_time(platform, event, event_id):
        log.info("%s %s event %s already handled; ignored", platform, event, event_id)
        return 0
    accounts = Q(account__platform=platform)
    if workspace_id:
        accounts &= Q(account__workspace_id=workspace_id)
    if users:
        accounts &= Q(account__upstream_user_id__in=users)
    ids = list(claims.checkable().filter(accounts).values_list("pk", flat=True))
    if not ids:
        return 0
    # Due now, so the sweep checks them even if the queued task were lost.
    Credential.objects.filter(pk__in=ids).update(next_check_at=timezone.now())
    queue_check(ids, CheckRecord.Source.EVENT, hint=situation_hint)
    log.info("%s %s event marked %d account(s) for a check", platform, event, len(ids))
    return len(ids)


def _first_time(platform: str, event: str, event_id: str) -> bool:
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(
                platform=platform, event_id=event_id[:200], event=event[:64]
            )
    except IntegrityError:
        return False
    return True


def find_account(tenant: Tenant, platform: str, user: str) -> PlatformAccount:
    """The tenant's account on ``platform`` by upstream user id, or by email if ``user`` has @."""
    accounts = PlatformAccount.objects.filter(person__tenant=tenant, platform=platform)
    if "@" in user:
        accounts = accounts.filter(Q(email__iexact=user) | Q(person__email__iexact=user))
    else:
        accounts = accounts.filter(upstream_user_id=user)
    account = accounts.exclude(credential=None).first()
    if account is None:
        raise LookupError(f"no {platform} account {user!r} in tenant {tenant.slug}")
    return account


def report_relay_failure(
    tenant: Tenant, platform: str, user: str, status: int | None, body: Any
) -> CheckRecord | None:
    """The relay failed to send as ``user`` (upstream user id or email) with this raw error.

    The platform's adapter classifies ``status`` and ``body`` (its error table, on codes), and
    the report is kept in the account's history (``source=relay``). A report is never the
    verdict: whoever holds a relay key could otherwise make Mio prompt people, with evidence
    they wrote. Anything not transient — a permanent situation, or an access token to refresh —
    makes us check the account ourselves at once (inline under ``MIO_QUEUE_SYNC``, else the next
    free worker, within seconds); only what that check finds opens an incident and prompts.
    A throttled send says nothing bad about the token: the account only backs off.

    Returns the report's record (its classification). Raises ``LookupError`` for an unknown
    account, ``ValueError`` for an unknown platform.
    """
    if platform not in ADAPTERS:
        raise ValueError(f"unknown platform {platform!r}")
    account = find_account(tenant, platform, user)
    adapter = get_adapter(platform)
    try:
        error = adapter.classify_relay_error(status, body)
    except NotImplementedError:
        error = PlatformError(Situation.UNKNOWN, _raw_evidence(platform, status, body))
    credential = Credential.objects.select_related(*claims.RELATED).get(pk=account.credential_id)
    outcome = CheckOutcome(error.situation, error.evidence)
    if outcome.transient:
        # Backing off cannot prompt anyone (a transient outcome has no audience).
        return record(credential, outcome, source=CheckRecord.Source.RELAY, adapter=adapter)
    report = record_report(credential, outcome, source=CheckRecord.Source.RELAY)
    if credential.state != CredentialState.DISABLED:
        # Due now as well, so the sweep checks it even if the queued task were lost.
        Credential.objects.filter(pk=credential.pk).update(next_check_at=timezone.now())
        queue_check([credential.pk], CheckRecord.Source.RELAY)
    return report


def _raw_evidence(platform: str, status: int | None, body: Any) -> Evidence:
    return Evidence(
        platform=platform,
        endpoint="relay",
        http_status=status,
        error="unclassified",
        description="The platform's adapter cannot classify relay errors.",
        raw=Evidence.clip(body if isinstance(body, str) else repr(body)),
    )


def expired_events(older_than_days: int | None = None) -> QuerySet[ProcessedEvent]:
    """Remembered event ids past the retention (``HEALTH_EVENT_RETENTION_DAYS`` unless given)."""
    days = (
        older_than_days if older_than_days is not None else conf.get("HEALTH_EVENT_RETENTION_DAYS")
    )
    return ProcessedEvent.objects.filter(received_at__lt=timezone.now() - timedelta(days=days))


def purge_events(*, older_than_days: int | None = None) -> int:
    return expired_events(older_than_days).delete()[0]
