"""One healed episode of the demo's history, written as the live system writes it: a resolved
incident with its affected accounts, the failing check and the one that found the account
working again, the prompts and confirmations as sent outbox rows (queued and sent when they
were, not when the demo ran), and an admin's "Verify now" in the audit log."""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from accounts.models import Membership, Person, Tenant
from dashboard.models import AuditEntry
from notifications.models import AffectedAccount, Incident, OutboxMessage, Resolution
from platforms.errors import Evidence
from tokens.models import CheckRecord, CredentialState, PlatformAccount
from tokens.situations import CATALOGUE, Audience

Row = OutboxMessage


@dataclass
class Episode:
    platform: str
    situation: str
    accounts: list[PlatformAccount]
    opened: datetime
    resolved: datetime

    @property
    def tenant_wide(self) -> bool:
        return CATALOGUE[self.situation].tenant_wide

    def open_at(self, moment: datetime) -> bool:
        return self.opened <= moment < self.resolved


UUID_SHAPE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _uuid_like(old: str, rng: random.Random) -> str:
    new = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return new.upper() if old.isupper() else new


def evidence_then(platform: str, situation: str, at: datetime, rng: random.Random) -> dict:
    """What the platform said then: the shape of a real answer (taken from a check that
    really failed this way, if there is one), with that moment's time and fresh trace ids."""
    seen = (
        CheckRecord.objects.filter(
            credential__platform=platform, situation=situation, evidence__isnull=False
        )
        .order_by("-pk")
        .values_list("evidence", flat=True)
        .first()
    )
    evidence: dict[str, Any] = dict(seen) if isinstance(seen, dict) else {}
    if not evidence:
        evidence = Evidence(
            platform=platform, endpoint="token", description=CATALOGUE[situation].key.label
        ).as_dict()
    evidence["observed_at"] = at.isoformat()
    for key in ("correlation_id", "trace_id", "timestamp"):
        old = str(evidence.get(key) or "")
        if not old:
            continue
        if key == "timestamp":
            new = at.strftime("%Y-%m-%d %H:%M:%SZ")
        else:  # each platform's own id format (ROUTER_<uuid> on Webex), with a new uuid
            new = UUID_SHAPE.sub(lambda m: _uuid_like(m.group(), rng), old)
        evidence[key] = new
        # Entra repeats them in its description: keep the two in agreement.
        evidence["description"] = str(evidence.get("description", "")).replace(old, new)
    evidence.pop("raw", None)
    return evidence


class Writer:
    """Writes episodes; outbox rows are collected and written in bulk at the end."""

    def __init__(self, tenant: Tenant, rng: random.Random, counts: Counter[str]) -> None:
        self.tenant = tenant
        self.rng = rng
        self.counts = counts
        self.admins = list(Person.objects.filter(tenant=tenant, is_tenant_admin=True))
        admin_login = (
            Membership.objects.filter(tenant=tenant, role=Membership.Role.ADMIN)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        self.admin_user = admin_login.user if admin_login else None
        self.rows: list[tuple[Row, datetime]] = []

    def episode(self, ep: Episode) -> None:
        info = CATALOGUE[ep.situation]
        evidence = evidence_then(ep.platform, ep.situation, ep.opened, self.rng)
        first = ep.accounts[0]
        incident = Incident.objects.create(
            tenant=self.tenant,
            platform=ep.platform,
            situation=ep.situation,
            audience=info.audience,
            tenant_wide=ep.tenant_wide,
            account=None if ep.tenant_wide else first,
            credential_id=None if ep.tenant_wide else first.credential_id,
            status=Incident.Status.RESOLVED,
            evidence=evidence,
            affected_count=len(ep.accounts),
            opened_at=ep.opened,
            last_seen_at=ep.opened,
            resolved_at=ep.resolved,
            resolution=(
                Resolution.ADMIN_VERIFIED
                if info.audience == Audience.ADMIN
                else Resolution.USER_RESYNC
            ),
            resolved_by=self.admin_user.get_username()
            if ep.tenant_wide and self.admin_user
            else "",
            prompted_at=ep.opened + timedelta(minutes=1),
            reminders_sent=int(ep.resolved - ep.opened > timedelta(hours=24)),
        )
        self.counts["incidents"] += 1
        checks = []
        for n, account in enumerate(ep.accounts):
            failed_at = ep.opened + timedelta(seconds=20 * n)
            AffectedAccount.objects.create(
                incident=incident,
                credential_id=account.credential_id,
                account=account,
                added_at=failed_at,
                recovered_at=ep.resolved,
                left_as=incident.resolution,
                evidence=evidence,
            )
            waiting = (
                CredentialState.WAITING_ADMIN
                if info.audience == Audience.ADMIN
                else CredentialState.WAITING_USER
            )
            checks.append(
                CheckRecord(
                    credential_id=account.credential_id,
                    checked_at=failed_at,
                    source=CheckRecord.Source.SCHEDULE,
                    outcome=CheckRecord.Outcome.PROBLEM,
                    situation=ep.situation,
                    state_after=waiting,
                    evidence=evidence,
                    latency_ms=self.rng.randint(90, 400),
                )
            )
            checks.append(
                CheckRecord(
                    credential_id=account.credential_id,
                    checked_at=ep.resolved,
                    source=(
                        CheckRecord.Source.MANUAL if ep.tenant_wide else CheckRecord.Source.RESYNC
                    ),
                    outcome=CheckRecord.Outcome.OK,
                    state_after=CredentialState.HEALTHY,
                    latency_ms=self.rng.randint(80, 300),
                )
            )
        CheckRecord.objects.bulk_create(checks)
        self.counts["checks"] += len(checks)
        if ep.tenant_wide:
            self._admin_messages(incident, ep)
        else:
            self._user_messages(incident, ep)

    def _user_messages(self, incident: Incident, ep: Episode) -> None:
        person = ep.accounts[0].person
        self._add(incident, person, Row.Kind.PROMPT, Row.Template.USER_PROMPT, ep.opened, "p")
        if incident.reminders_sent:
            at = ep.opened + timedelta(hours=24)
            self._add(incident, person, Row.Kind.REMINDER, Row.Template.USER_PROMPT, at, "r")
        at = ep.resolved + timedelta(seconds=5)
        self._add(incident, person, Row.Kind.CONFIRMATION, Row.Template.USER_RESYNCED, at, "c")
        for admin in self.admins:
            template = Row.Template.ADMIN_USER_RESYNCED
            self._add(incident, admin, Row.Kind.CONFIRMATION, template, at, f"a{admin.pk}")

    def _admin_messages(self, incident: Incident, ep: Episode) -> None:
        prompt_at = ep.opened + timedelta(minutes=1)
        done_at = ep.resolved + timedelta(seconds=5)
        for admin in self.admins:
            self._add(
                incident,
                admin,
                Row.Kind.PROMPT,
                Row.Template.ADMIN_PROMPT,
                prompt_at,
                f"p{admin.pk}",
            )
            self._add(
                incident,
                admin,
                Row.Kind.CONFIRMATION,
                Row.Template.ADMIN_CONFIGURED,
                done_at,
                f"c{admin.pk}",
            )
        if self.admin_user is not None:
            AuditEntry.objects.create(
                at=ep.resolved,
                actor=self.admin_user,
                actor_name=self.admin_user.get_username(),
                action="incident.verify",
                tenant=self.tenant,
                target_type=Incident._meta.label,
                target_id=str(incident.pk),
                target_label=str(incident)[:255],
                detail={
                    "checked": len(ep.accounts),
                    "working": len(ep.accounts),
                    "summary": "resolved",
                },
            )

    def _add(
        self, incident: Incident, person: Person, kind: str, template: str, at: datetime, tag: str
    ) -> None:
        to_user = template.startswith("user")
        # A user hears on the platform that broke; an admin where they prefer (seed_demo's way).
        channel = incident.platform if to_user else person.preferred_platform or incident.platform
        row = Row(
            tenant=self.tenant,
            incident=incident,
            recipient=person,
            audience=Audience.USER if to_user else Audience.ADMIN,
            kind=kind,
            template=template,
            channel=channel,
            tried_channels=[channel],
            idempotency_key=f"demo-history:{incident.pk}:{tag}",
            status=Row.Status.SENT,
            attempts=1,
            next_attempt_at=at,
            sent_at=at + timedelta(seconds=self.rng.uniform(0.3, 2)),
        )
        self.rows.append((row, at))

    def flush(self) -> None:
        rows = Row.objects.bulk_create([row for row, _ in self.rows])
        for row, (_, at) in zip(rows, self.rows, strict=True):
            row.created_at = row.updated_at = at  # when it was queued, not when the demo ran
        Row.objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)
        self.counts["messages"] += len(rows)
