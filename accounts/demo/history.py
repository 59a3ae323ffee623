"""Thirty days of healed history for one demo tenant, in the models' own terms.

Each past day, some accounts broke and were healed: a user re-synced after a prompt (sometimes
only after a reminder, a day or two later), and once in the month an admin fixed a tenant-wide
problem on the primary platform and verified it. Each episode is written as the live system
writes it: a resolved incident with its affected accounts, the failing check and the one that
found it working again, the prompts and confirmations as sent outbox rows, and the admin's
"Verify now" in the audit log. Between episodes, routine checks (and silent refreshes) fill the
check history. The daily snapshots of those days are then counted from the same rows (the
day's prompts, incidents and time-to-heal by ``dashboard.snapshots.activity``; the accounts
waiting at the day's end from the episodes), so the charts agree with everything else.

Deterministic per tenant (seeded by its slug), and written in one transaction.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Person, Tenant
from dashboard.models import AuditEntry, DailySnapshot
from dashboard.snapshots import activity, day_bounds
from notifications.models import AffectedAccount, Incident, OutboxMessage, Resolution
from platforms.errors import Evidence
from platforms.sandbox.registry import available
from tokens.models import CheckRecord, Credential, CredentialState, PlatformAccount
from tokens.situations import CATALOGUE, Audience

DAYS = 30
# In order of preference: what a user fixes, and what an admin fixes for the whole tenant.
USER_SITUATIONS = ("grant_revoked", "mfa_enrollment_required", "refresh_token_inactive")
ADMIN_SITUATIONS = ("ca_blocked", "app_disabled", "consent_missing")
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


def write(tenant: Tenant, now: datetime | None = None) -> Counter[str]:
    now = now or timezone.now()
    rng = random.Random(f"mio-demo:{tenant.slug}")  # noqa: S311 - demo data, not security
    accounts = list(
        PlatformAccount.objects.filter(person__tenant=tenant, credential__isnull=False)
        .select_related("person", "credential")
        .order_by("platform", "person_id")
    )
    by_platform: dict[str, list[PlatformAccount]] = {}
    for account in accounts:
        by_platform.setdefault(account.platform, []).append(account)
    fakes = available()
    episodes: list[Episode] = []
    for platform, group in by_platform.items():
        can = fakes[platform].situations if platform in fakes else frozenset()
        primary = platform == tenant.primary_platform
        users = [s for s in USER_SITUATIONS if s in can]
        episodes += _user_episodes(rng, platform, group, users, now, 0.55 if primary else 0.12)
        admins = [s for s in ADMIN_SITUATIONS if s in can]
        if primary and admins and len(group) >= 2:
            episodes.append(_admin_episode(rng, platform, group, admins[0], now))
    counts: Counter[str] = Counter()
    with transaction.atomic():
        writer = _Writer(tenant, rng, counts)
        for episode in episodes:
            writer.episode(episode)
        writer.flush()
        _routine_checks(rng, accounts, episodes, now, counts)
        _snapshots(tenant, by_platform, episodes, now, counts)
    return counts


def _day_start(days_ago: int, now: datetime) -> datetime:
    return day_bounds(now.astimezone(UTC).date() - timedelta(days=days_ago))[0]


def _user_episodes(
    rng: random.Random,
    platform: str,
    accounts: list[PlatformAccount],
    situations: list[str],
    now: datetime,
    chance: float,
) -> list[Episode]:
    episodes: list[Episode] = []
    if not situations:
        return episodes
    busy_until: dict[int, datetime] = {}
    for days_ago in range(DAYS - 1, 0, -1):
        if rng.random() >= chance:
            continue
        opened = _day_start(days_ago, now) + timedelta(hours=rng.uniform(7, 18))
        # Most people re-sync within hours; some only after the next day's reminder.
        hours = rng.uniform(0.3, 5) if rng.random() < 0.7 else rng.uniform(22, 60)
        resolved = opened + timedelta(hours=hours)
        account = rng.choice(accounts)
        if resolved > now - timedelta(hours=1) or busy_until.get(account.pk, opened) > opened:
            continue
        busy_until[account.pk] = resolved
        episodes.append(Episode(platform, rng.choice(situations), [account], opened, resolved))
    return episodes


def _admin_episode(
    rng: random.Random,
    platform: str,
    accounts: list[PlatformAccount],
    situation: str,
    now: datetime,
) -> Episode:
    """A policy or a disabled app that blocked several people for about a day."""
    opened = _day_start(rng.randint(12, 20), now) + timedelta(hours=rng.uniform(8, 11))
    affected = rng.sample(accounts, min(len(accounts), 3))
    return Episode(platform, situation, affected, opened, opened + timedelta(hours=27))


def _evidence(platform: str, situation: str, at: datetime, rng: random.Random) -> dict:
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
    for key in ("correlation_id", "trace_id"):
        if evidence.get(key):
            evidence[key] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if evidence.get("timestamp"):
        evidence["timestamp"] = at.strftime("%Y-%m-%d %H:%M:%SZ")
    evidence.pop("raw", None)
    return evidence


class _Writer:
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
        evidence = _evidence(ep.platform, ep.situation, ep.opened, self.rng)
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


def _routine_checks(
    rng: random.Random,
    accounts: list[PlatformAccount],
    episodes: list[Episode],
    now: datetime,
    counts: Counter[str],
) -> None:
    """About one check a day per account: healthy, or healed silently by a refresh."""
    troubled: dict[int, list[Episode]] = {}
    for ep in episodes:
        for account in ep.accounts:
            troubled.setdefault(account.pk, []).append(ep)
    checks = []
    for account in accounts:
        for days_ago in range(DAYS - 1, 0, -1):
            at = _day_start(days_ago, now) + timedelta(hours=rng.uniform(0, 24))
            if at > now or any(ep.open_at(at) for ep in troubled.get(account.pk, [])):
                continue
            healed = rng.random() < 0.3
            checks.append(
                CheckRecord(
                    credential_id=account.credential_id,
                    checked_at=at,
                    source=CheckRecord.Source.SCHEDULE,
                    outcome=CheckRecord.Outcome.HEALED if healed else CheckRecord.Outcome.OK,
                    state_after=CredentialState.HEALTHY,
                    latency_ms=rng.randint(60, 250) + (rng.randint(80, 200) if healed else 0),
                )
            )
    CheckRecord.objects.bulk_create(checks, batch_size=1000)
    counts["checks"] += len(checks)


def _snapshots(
    tenant: Tenant,
    by_platform: dict[str, list[PlatformAccount]],
    episodes: list[Episode],
    now: datetime,
    counts: Counter[str],
) -> None:
    """One row per platform and past day, as the snapshot task would have left it that night."""
    totals = {
        p: Credential.objects.filter(tenant=tenant, platform=p, kind=Credential.Kind.USER).count()
        for p in by_platform
    }
    today = now.astimezone(UTC).date()
    rows = []
    for days_ago in range(DAYS - 1, 0, -1):
        day: date = today - timedelta(days=days_ago)
        _start, end = day_bounds(day)
        acts = activity(day, tenant.pk, None)
        for platform, total in totals.items():
            waiting = Counter()
            for ep in episodes:
                if ep.platform == platform and ep.open_at(end - timedelta(seconds=1)):
                    audience = CATALOGUE[ep.situation].audience
                    waiting[audience] += len(ep.accounts)
            act = acts.get((tenant.pk, platform), {})
            user, admin = waiting[Audience.USER], waiting[Audience.ADMIN]
            rows.append(
                DailySnapshot(
                    tenant=tenant,
                    platform=platform,
                    day=day,
                    total=total,
                    healthy=max(0, total - user - admin),
                    waiting_user=user,
                    waiting_admin=admin,
                    prompts_sent=act.get("prompts_sent", 0),
                    incidents_opened=act.get("incidents_opened", 0),
                    incidents_resolved=act.get("incidents_resolved", 0),
                    median_heal_seconds=act.get("median_heal_seconds"),
                    computed_at=end,  # the night's last run: not "stale" for the snapshot task
                )
            )
    DailySnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["tenant", "platform", "day"],
        update_fields=[
            "total",
            "healthy",
            "waiting_user",
            "waiting_admin",
            "prompts_sent",
            "incidents_opened",
            "incidents_resolved",
            "median_heal_seconds",
            "computed_at",
        ],
    )
    counts["snapshots"] += len(rows)
