"""Thirty days of healed history for one demo tenant, in the models' own terms.

Each past day, some accounts broke and were healed: a user re-synced after a prompt (sometimes
only after a reminder, a day or two later), and once in the month an admin fixed a tenant-wide
problem on the primary platform and verified it. Each episode is written as the live system
writes it (``accounts.demo.episodes``). Between episodes, routine checks (and silent refreshes)
fill the check history. The daily snapshots of those days are then counted from the same rows (the
day's prompts, incidents and time-to-heal by ``dashboard.snapshots.activity``; the accounts
waiting at the day's end from the episodes), so the charts agree with everything else.

Deterministic per tenant (seeded by its slug), and written in one transaction.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.demo.episodes import Episode, Writer
from accounts.models import Tenant
from dashboard.models import DailySnapshot
from dashboard.snapshots import activity, day_bounds
from platforms.sandbox.registry import available
from tokens.models import CheckRecord, Credential, CredentialState, PlatformAccount
from tokens.situations import CATALOGUE, Audience

DAYS = 30
# In order of preference: what a user fixes, and what an admin fixes for the whole tenant.
USER_SITUATIONS = ("grant_revoked", "mfa_enrollment_required", "refresh_token_inactive")
ADMIN_SITUATIONS = ("ca_blocked", "app_disabled", "consent_missing")


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
        writer = Writer(tenant, rng, counts)
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
