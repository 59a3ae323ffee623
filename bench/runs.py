"""One benchmark process: seeding, or one timed run (``sweep``, ``bare`` or ``sequential``).

Started by ``bench.health`` in a fresh process per run, so each run's peak memory is its own.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"


def run_module(
    module: str, env: dict[str, str], *args: str, echo_stderr: bool = False
) -> dict[str, Any]:
    """Run ``python -m module *args`` in its own process; its last stdout line, as JSON.

    Each measurement runs in a fresh process so one run's caches, pools and threads cannot
    flatter or slow the next.
    """
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{module} {' '.join(args)} failed:\n{out.stderr[-4000:]}")
    if echo_stderr:
        sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


PEOPLE_PER_TENANT = 500


# --- the environment every bench process shares -------------------------------------------------
def bench_env(database: str, port: int) -> dict[str, str]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    key_file = BENCH_DIR / "fernet.key"
    if not key_file.exists():
        from cryptography.fernet import Fernet

        key_file.write_text(Fernet.generate_key().decode())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="mio_heal.settings",
        DATABASE_URL=database,
        DEBUG="off",  # production behaviour: no query log, no debug pages
        SECRET_KEY="bench-only-secret-key-" + "k3y" * 16,
        TOKEN_ENCRYPTION_KEYS=key_file.read_text().strip(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="off",
        ALLOW_HTTP_SITE_URL="on",  # a closed rig on loopback: http links are fine here
        SANDBOX_ENABLED="on",
        SANDBOX_IN_PRODUCTION="on",  # a closed rig on loopback: production settings + sandbox
        SITE_URL=f"http://127.0.0.1:{port}",
        SANDBOX_URL=f"http://127.0.0.1:{port}/sandbox",
        PLATFORM_HTTP_TIMEOUT="30",
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="600",
    )
    return env


def _django() -> None:
    import django

    django.setup()


# --- memory ---------------------------------------------------------------------------------------
def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB -> MB
    return 0.0


def reset_peak() -> float:
    """Reset the peak-RSS mark (Linux) and return the current RSS in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


# --- seeding --------------------------------------------------------------------------------------
def seed(platform: str, n: int) -> int:
    """Make sure ``n`` bench accounts exist on ``platform`` (tokens minted by the sandbox)."""
    _django()
    from accounts.models import Person, Tenant
    from platforms.sandbox.registry import get_fake
    from tokens.models import PlatformAccount
    from tokens.provisioning import attach_account, grant_from_dict

    fake = get_fake(platform)
    have = PlatformAccount.objects.filter(
        platform=platform, person__tenant__slug__startswith=f"bench-{platform}-"
    ).count()
    started = time.monotonic()
    for i in range(have, n):
        slug = f"bench-{platform}-{i // PEOPLE_PER_TENANT:04d}"
        tenant, _ = Tenant.objects.get_or_create(
            slug=slug, defaults={"name": slug, "primary_platform": platform}
        )
        person, _ = Person.objects.get_or_create(
            tenant=tenant, email=f"u{i:06d}@{slug}.example", defaults={"name": f"User {i}"}
        )
        _user, grant = fake.provision(person.email, person.name)
        attach_account(person, platform, grant_from_dict(grant))
        if (i + 1) % 5000 == 0:
            rate = (i + 1 - have) / (time.monotonic() - started)
            print(f"  seeded {i + 1}/{n} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    return n - have


def _mark(platform: str, n: int) -> list[int]:
    """The first ``n`` bench credentials due now and healthy; every other one far in the future."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from tokens.models import Credential

    bench = Credential.objects.filter(
        platform=platform, tenant__slug__startswith=f"bench-{platform}-", kind="user"
    )
    ids = list(bench.order_by("pk").values_list("pk", flat=True)[:n])
    if len(ids) < n:
        raise SystemExit(f"only {len(ids)} {platform} accounts seeded; run seed first")
    now = timezone.now()
    with connection.cursor() as cursor:  # the bench database only: start from an empty history
        cursor.execute("TRUNCATE tokens_checkrecord")
    # Touch only what the last run touched: rewriting 100,000 rows per run would leave the
    # table to autovacuum during the timed part.
    bench.filter(next_check_at__lt=now + timedelta(days=29)).exclude(pk__lte=ids[-1]).update(
        next_check_at=now + timedelta(days=30), claimed_until=None, claimed_by=""
    )
    bench.filter(pk__lte=ids[-1]).update(
        next_check_at=now - timedelta(seconds=1),
        state="healthy",
        situation="",
        failure_count=0,
        claimed_until=None,
        claimed_by="",
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tokens_credential")
    return ids


def _faults(platform: str, latency_ms: int) -> None:
    import requests
    from django.conf import settings

    http = requests.Session()
    http.trust_env = False
    answer = http.post(
        f"{settings.SANDBOX_URL}/api/faults",
        json={"platform": platform, "error_rate": 0, "latency_ms": latency_ms},
        timeout=30,
    )
    answer.raise_for_status()


# --- one timed run --------------------------------------------------------------------------------
def run(mode: str, platform: str, n: int, latency: int) -> dict[str, Any]:
    _django()
    from datetime import timedelta

    from django.conf import settings

    from bench.counting import QueryCounter
    from tokens import conf
    from tokens.checking import adapter_for
    from tokens.models import CheckRecord, Credential
    from tokens.sweep import sweep

    # The limiter runs (its cost is measured) but does not throttle: every bench account of a
    # workspace is due at once, which a real schedule's jitter spreads out.
    settings.HEALTH_RATE_LIMIT = {platform: 1_000_000.0}
    if mode == "sequential":
        settings.HEALTH_CONCURRENCY = {platform: 1}
    concurrency = int(conf.per_platform("HEALTH_CONCURRENCY", platform))
    ids = _mark(platform, n)
    _faults(platform, latency)
    adapter = adapter_for(platform)
    result: dict[str, Any] = {"mode": mode, "platform": platform, "n": n, "latency_ms": latency}
    if mode in ("sweep", "sequential"):
        base = reset_peak()
        with QueryCounter() as queries:
            started = time.monotonic()
            stats = sweep(platforms=[platform], budget=timedelta(hours=3))
            seconds = time.monotonic() - started
        result.update(
            checked=stats.checked,
            outcomes=dict(stats.outcomes),
            queries_per_account=round(queries.count / max(1, stats.checked), 3),
            control_per_account=round(queries.control / max(1, stats.checked), 3),
        )
        assert CheckRecord.objects.count() == stats.checked
    else:
        from tokens.secret import reveal

        # Teams checks redeem the refresh token, then call Graph: the bare loop does both too
        # (it must run after the sweep, whose rotated tokens it reads; it stores nothing).
        refresh_first = adapter.refresh_on_every_check
        work: queue.Queue = queue.Queue()
        for credential in Credential.objects.filter(pk__in=ids).iterator(chunk_size=2000):
            secret = credential.refresh_token if refresh_first else credential.access_token
            work.put((credential, reveal(secret)))
        ok = [0]
        lock = threading.Lock()

        def loop() -> None:
            while True:
                try:
                    credential, token = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    if refresh_first:
                        token = adapter.redeem_refresh_token(credential, token).access_token
                    adapter.probe(credential, token)
                except Exception:  # noqa: S112 - counted: only successful calls are the rate
                    continue
                with lock:
                    ok[0] += 1

        base = reset_peak()
        started = time.monotonic()
        threads = [threading.Thread(target=loop) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        result.update(checked=ok[0])
    _faults(platform, 0)
    result.update(
        concurrency=concurrency,
        seconds=round(seconds, 3),
        rate=round(result["checked"] / seconds, 1),
        base_rss_mb=round(base, 1),
        peak_rss_mb=round(_status("VmHWM"), 1),
    )
    result["growth_mb"] = round(result["peak_rss_mb"] - result["base_rss_mb"], 1)
    return result
