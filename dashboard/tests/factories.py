"""Builders for dashboard tests: dashboard users (with TOTP), incidents, outbox rows."""

from __future__ import annotations

import base64
import itertools
import os
from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Membership, Person, Tenant
from notifications.models import AffectedAccount, Incident, OutboxMessage
from tests.factories import make_account, make_person, make_tenant
from tokens.models import CheckRecord, PlatformAccount
from tokens.situations import CATALOGUE

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def new_secret() -> str:
    return base64.b32encode(os.urandom(20)).decode()


def make_user(
    tenant: Tenant | None = None,
    *,
    role: str = Membership.Role.ADMIN,
    totp_secret: str | None = "",
    superuser: bool = False,
    email: str = "",
) -> Any:
    """A dashboard user; with a TOTP authenticator unless ``totp_secret`` is None."""
    n = next(_seq)
    User = get_user_model()
    make = User.objects.create_superuser if superuser else User.objects.create_user
    user = make(f"user{n}", email or f"user{n}@dash.example", PASSWORD)
    if tenant is not None:
        Membership.objects.create(user=user, tenant=tenant, role=role)
    if totp_secret is not None:
        user.totp_secret = totp_secret or new_secret()
        TOTP.activate(user, user.totp_secret)
    return user


def make_incident(
    account: PlatformAccount | None = None,
    *,
    tenant: Tenant | None = None,
    platform: str = "teams",
    situation: str = "grant_revoked",
    affected: list[PlatformAccount] = (),
    opened_at: datetime | None = None,
    resolved_at: datetime | None = None,
    resolution: str = "",
    evidence: dict | None = None,
) -> Incident:
    info = CATALOGUE[situation]
    tenant = tenant or account.person.tenant
    platform = account.platform if account is not None else platform
    opened_at = opened_at or timezone.now()
    incident = Incident.objects.create(
        tenant=tenant,
        platform=platform,
        situation=situation,
        audience=info.audience or "admin",
        tenant_wide=info.tenant_wide and account is None,
        account=account,
        credential_id=account.credential_id if account is not None else None,
        status=Incident.Status.RESOLVED if resolved_at else Incident.Status.OPEN,
        evidence=evidence,
        affected_count=len(affected) or (1 if account else 0),
        opened_at=opened_at,
        resolved_at=resolved_at,
        resolution=resolution,
        open_key=None
        if resolved_at
        else (
            Incident.key_for_tenant(tenant.pk, platform, situation)
            if account is None
            else Incident.key_for_account(account.credential_id, situation)
        ),
    )
    for a in affected:
        AffectedAccount.objects.create(incident=incident, credential_id=a.credential_id, account=a)
    return incident


def make_prompt(incident: Incident, person: Person, *, sent_at: datetime | None = None):
    n = next(_seq)
    return OutboxMessage.objects.create(
        tenant=incident.tenant,
        incident=incident,
        recipient=person,
        audience=incident.audience,
        kind=OutboxMessage.Kind.PROMPT,
        template=OutboxMessage.Template.ADMIN_PROMPT,
        channel=incident.platform,
        idempotency_key=f"test-{n}",
        status=OutboxMessage.Status.SENT if sent_at else OutboxMessage.Status.PENDING,
        sent_at=sent_at,
        attempts=1 if sent_at else 0,
    )


CA_EVIDENCE = {
    "platform": "teams",
    "endpoint": "token",
    "http_status": 400,
    "error": "invalid_grant",
    "error_codes": ["53003"],
    "description": "AADSTS53003: Access has been blocked by Conditional Access policies.",
    "correlation_id": "3f2c0b9e-1d2a-4c6e-9f1b-7a8d5e4c3b21",
    "trace_id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    "timestamp": "2025-01-15 10:22:31Z",
}


def populate(tenant: Tenant, n: int, platform: str = "teams", *, ca: bool = True) -> dict[str, Any]:
    """A tenant with ``n`` people, one account each, some broken, with incidents and checks."""
    people, accounts = [], []
    for i in range(n):
        person = make_person(tenant, is_tenant_admin=(i == 0))
        state = "waiting_user" if i % 3 == 1 else "healthy"
        account = make_account(person, platform, state=state)
        CheckRecord.objects.create(
            credential_id=account.credential_id, outcome="ok", state_after="healthy"
        )
        people.append(person)
        accounts.append(account)
        if state == "waiting_user":
            make_prompt(make_incident(account), person, sent_at=timezone.now())
    if not ca:
        return {"people": people, "accounts": accounts}
    ca = make_incident(
        tenant=tenant,
        platform=platform,
        situation="ca_blocked",
        affected=accounts[: max(1, n // 2)],
        evidence=CA_EVIDENCE,
        opened_at=timezone.now() - timedelta(hours=2),
    )
    make_prompt(ca, people[0], sent_at=timezone.now())
    return {"people": people, "accounts": accounts, "ca": ca}


__all__ = ["make_account", "make_person", "make_tenant"]
