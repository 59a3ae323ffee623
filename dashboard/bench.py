"""Benchmark: server time of every dashboard page and admin changelist at N accounts.

    .venv/bin/python -m dashboard.bench 1000 100000          # SQLite (the embedded default)
    DATABASE_URL=postgres://… .venv/bin/python -m dashboard.bench 1000 100000

For each N it builds a throwaway test database (never the demo's), seeds N accounts in 10
tenants across the four platforms (84 % healthy; the rest healing, waiting on a user or an
admin, each broken account with its incident, prompt and check history; one Conditional Access
incident per tenant affecting all its admin-waiting accounts; 30 days of snapshots; an audit
log), then requests each page in-process with Django's test client and prints the fastest
and median server time over ``--repeat`` requests and the number of queries, as a Markdown
table. The ratio compares the fastest requests: the work a page does, without the noise of
other processes on a shared machine.
Tokens are left empty: no page reads them, and encrypting 200,000 of them only slows seeding.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mio_heal.test_settings")
django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import Membership, Person, Tenant  # noqa: E402
from dashboard.models import AuditEntry, DailySnapshot  # noqa: E402
from notifications.models import AffectedAccount, Incident, OutboxMessage  # noqa: E402
from tokens.models import CheckRecord, Credential, PlatformAccount  # noqa: E402

TENANTS = 10
PLATFORMS = ["slack", "teams", "zoom", "webex"]
BATCH = 5000
# Out of every 100 accounts: how many are in each state.
# Enough broken ones that every list is a full page even at 1,000 accounts: the comparison is
# then about the data behind a page, not about drawing 8 rows against 50.
MIX = [("healthy", 84), ("healing", 2), ("waiting_user", 8), ("waiting_admin", 4), ("unchecked", 2)]
STATES = [state for state, n in MIX for _ in range(n)]


def seed(n: int) -> dict:
    now = datetime.now(UTC)
    rng = random.Random(n)  # noqa: S311 - the same data for the same N, run after run
    tenants = Tenant.objects.bulk_create(
        Tenant(name=f"Tenant {t}", slug=f"t{t}", primary_platform=PLATFORMS[t % 4])
        for t in range(TENANTS)
    )
    people_count = n // 2  # two accounts each
    people = []
    for start in range(0, people_count, BATCH):
        people += Person.objects.bulk_create(
            Person(tenant=tenants[i % TENANTS], name=f"Person {i}", email=f"p{i}@bench.example")
            for i in range(start, min(start + BATCH, people_count))
        )
    accounts: list[PlatformAccount] = []
    for start in range(0, people_count, BATCH // 2):
        chunk = people[start : start + BATCH // 2]
        creds = []
        for i, person in enumerate(chunk, start):
            for k in range(2):
                state = rng.choice(STATES)
                creds.append(
                    Credential(
                        tenant_id=person.tenant_id,
                        platform=PLATFORMS[(i + k) % 4],
                        state=state,
                        situation={
                            "waiting_user": "grant_revoked",
                            "waiting_admin": "ca_blocked",
                        }.get(state, ""),
                    )
                )
        creds = Credential.objects.bulk_create(creds)
        accounts += PlatformAccount.objects.bulk_create(
            PlatformAccount(
                person=chunk[j // 2],
                platform=c.platform,
                upstream_user_id=f"U{c.pk}",
                workspace_id="W",
                email=chunk[j // 2].email,
                credential=c,
            )
            for j, c in enumerate(creds)
        )
        CheckRecord.objects.bulk_create(
            CheckRecord(credential=c, outcome="ok", state_after=c.state, checked_at=now)
            for c in creds
        )
    by_state: dict[str, list[PlatformAccount]] = {}
    cred_state = dict(Credential.objects.values_list("pk", "state"))
    for a in accounts:
        by_state.setdefault(cred_state[a.credential_id], []).append(a)

    # Account-level incidents (one per account waiting on its user), each with its prompt.
    user_waiting = by_state.get("waiting_user", [])
    tenant_of = {p.pk: p.tenant_id for p in people}
    incidents = []
    for start in range(0, len(user_waiting), BATCH):
        incidents += Incident.objects.bulk_create(
            Incident(
                tenant_id=tenant_of[a.person_id],
                platform=a.platform,
                situation="grant_revoked",
                audience="user",
                account=a,
                credential_id=a.credential_id,
                open_key=f"a:{a.credential_id}:grant_revoked",
                affected_count=1,
                opened_at=now - timedelta(minutes=minutes + 1),
                prompted_at=now - timedelta(minutes=minutes),
            )
            for a, minutes in (
                (a, rng.randint(1, 30 * 24 * 60)) for a in user_waiting[start : start + BATCH]
            )
        )
    # One CA incident per tenant on Teams, affecting all its accounts that wait on an admin.
    admin_waiting = by_state.get("waiting_admin", [])
    cas = {}
    for t in tenants:
        affected = [a for a in admin_waiting if tenant_of[a.person_id] == t.pk]
        cas[t.pk] = Incident.objects.create(
            tenant=t,
            platform="teams",
            situation="ca_blocked",
            audience="admin",
            tenant_wide=True,
            open_key=f"t:{t.pk}:teams:ca_blocked",
            affected_count=len(affected),
            evidence={"error_codes": ["53003"], "correlation_id": "c0ffee", "timestamp": "now"},
            opened_at=now - timedelta(hours=5),
        )
        for start in range(0, len(affected), BATCH):
            AffectedAccount.objects.bulk_create(
                AffectedAccount(incident=cas[t.pk], credential_id=a.credential_id, account=a)
                for a in affected[start : start + BATCH]
            )
    for start in range(0, len(incidents), BATCH):
        OutboxMessage.objects.bulk_create(
            OutboxMessage(
                tenant_id=inc.tenant_id,
                incident=inc,
                recipient_id=inc.account.person_id,
                audience="user",
                kind="prompt",
                template="user_prompt",
                channel=inc.platform,
                idempotency_key=f"prompt:{inc.pk}",
                status="sent",
                sent_at=now - timedelta(hours=3),
                attempts=1,
            )
            for inc in incidents[start : start + BATCH]
        )
    AuditEntry.objects.bulk_create(
        AuditEntry(actor_name="bench", action="incident.verify", tenant=tenants[i % TENANTS])
        for i in range(n // 10)
    )
    today = now.date()
    DailySnapshot.objects.bulk_create(
        DailySnapshot(
            tenant=t,
            platform=p,
            day=today - timedelta(days=d),
            total=n // 40,
            healthy=n // 45,
            waiting_user=n // 1000,
            prompts_sent=3,
            incidents_resolved=2,
            median_heal_seconds=3600,
        )
        for t in tenants
        for p in PLATFORMS
        for d in range(1, 30)
    )
    from dashboard.snapshots import take_snapshots

    take_snapshots()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as a live database has them
    member = get_user_model().objects.create_user("member", "m@bench.example", "x")
    # An admin of every tenant (a managed-service provider): each list is filtered by all ten.
    Membership.objects.bulk_create(Membership(user=member, tenant=t) for t in tenants)
    root = get_user_model().objects.create_superuser("root", "r@bench.example", "x")
    for user in (member, root):
        Authenticator.objects.create(user=user, type="totp", data={"secret": "x"})
    t1 = tenants[1]
    person = Person.objects.filter(tenant=t1).order_by("pk").first()
    account_incident = Incident.objects.filter(tenant=t1, audience="user").order_by("pk").first()
    return {
        "member": member,
        "root": root,
        "tenant": t1,
        "ca": cas[t1.pk],
        "incident": account_incident,
        "person": person,
    }


def pages(world: dict) -> list[tuple[str, str]]:
    t = world["tenant"]
    return [
        ("Overview", reverse("dashboard:overview")),
        ("Tenant overview", reverse("dashboard:tenant", args=[t.slug])),
        ("Incidents", reverse("dashboard:incidents")),
        ("Incidents, filtered", reverse("dashboard:incidents") + "?audience=user&platform=teams"),
        ("Incident (CA, tenant-wide)", reverse("dashboard:incident", args=[world["ca"].pk])),
        ("Incident (one account)", reverse("dashboard:incident", args=[world["incident"].pk])),
        ("Conditional Access", reverse("dashboard:conditional-access")),
        ("People", reverse("dashboard:people")),
        ("People, filtered", reverse("dashboard:people") + "?state=waiting_user"),
        ("Person", reverse("dashboard:person", args=[world["person"].pk])),
        ("Audit log", reverse("dashboard:audit")),
    ]


def admin_pages() -> list[tuple[str, str]]:
    return [
        (
            f"admin: {m._meta.verbose_name_plural}",
            reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"),
        )
        for m in admin.site._registry
        if m._meta.app_label in {"accounts", "tokens", "notifications", "dashboard"}
    ]


def measure(client: Client, url: str, repeat: int) -> tuple[float, float, int]:
    """(fastest, median) server time in ms, and the number of queries."""
    for _ in range(2):  # warm caches (templates, the database's pages)
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return min(times), statistics.median(times), len(ctx.captured_queries)


def run(n: int, repeat: int) -> dict[str, tuple[float, float, int]]:
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    world = seed(n)
    print(f"# seeded {n:,} accounts in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    from dashboard.snapshots import take_snapshots

    started = time.perf_counter()
    take_snapshots()
    took = (time.perf_counter() - started) * 1000
    print(f"# the snapshot task (every 5 minutes) took {took:.0f} ms at {n:,}", file=sys.stderr)
    results = {}
    member, root = Client(), Client()
    member.force_login(world["member"])
    root.force_login(world["root"])
    for label, url in pages(world):
        results[f"{label} (tenant member)"] = measure(member, url, repeat)
        results[f"{label} (superuser)"] = measure(root, url, repeat)
    for label, url in admin_pages():
        results[label] = measure(root, url, repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 100_000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    setup_test_environment(debug=False)  # as under the test runner, and in production
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        by_size = {n: run(n, args.repeat) for n in args.sizes}
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    first, last = args.sizes[0], args.sizes[-1]
    print(
        f"\nDatabase: {connection.vendor}; {args.repeat} requests per page, in-process (no "
        "network); time = fastest request (median in brackets); ratio of the fastest\n"
    )
    print(f"| page | queries | ms at {first:,} | ms at {last:,} | ratio |")
    print("|---|---:|---:|---:|---:|")
    worst = 0.0
    for label in by_size[first]:
        best1, med1, q1 = by_size[first][label]
        best2, med2, q2 = by_size[last][label]
        ratio = best2 / best1
        worst = max(worst, ratio)
        queries = str(q1) if q1 == q2 else f"{q1} → {q2}"
        print(
            f"| {label} | {queries} | {best1:.1f} ({med1:.1f}) | {best2:.1f} ({med2:.1f}) "
            f"| {ratio:.2f} |"
        )
    print(f"\nWorst ratio: {worst:.2f} (target: at most 2.00)")


if __name__ == "__main__":
    main()
