"""The health engine's benchmark: the full sweep against a bare loop on the same sandbox.

    .venv/bin/python -m bench.health table [--sizes 1000,10000,100000] [--latencies 0,50]
                                           [--platform webex] [--database postgres://…]

``table`` creates (once) a PostgreSQL database ``mio_health_bench``, migrates it, serves the
project with its platform sandbox on a local port (Django's threaded dev server with Nagle's
algorithm off, see ``bench.serve``; production settings with the sandbox on), seeds the
accounts through the sandbox fakes (``seed``), then for each size and sandbox latency runs,
each in a fresh process (``run``):

- ``sweep``: the real engine (``tokens.sweep.sweep``): claims, parallel checks per platform,
  rate limiter, recording, signal (the notifications layer's receiver included);
- ``bare``: the same HTTP calls with the same client (the adapter's own ``probe``, one shared
  adapter as the engine uses), the same concurrency, against the same sandbox, with nothing
  else: the physical limit here;
- ``sequential`` (with latency): the engine checking one account after another.

and prints the Markdown table of docs/benchmarks.md: accounts/second, the ratio, SQL queries per
account (transaction control counted apart), peak memory (VmHWM, reset before the timed part).
"""

from __future__ import annotations

import argparse
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
        SANDBOX_ENABLED="on",
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
    bench.update(next_check_at=now + timedelta(days=30), claimed_until=None, claimed_by="")
    bench.filter(pk__lte=ids[-1]).update(
        next_check_at=now - timedelta(seconds=1), state="healthy", situation="", failure_count=0
    )
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


# --- orchestration --------------------------------------------------------------------------------
def _sub(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.health", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"bench {' '.join(args)} failed:\n{out.stderr[-4000:]}")
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ensure_database(database: str) -> None:
    import psycopg

    name = database.rsplit("/", 1)[1]
    admin = database.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    import requests

    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(BENCH_DIR / "server.log").open("w"),
    )
    http = requests.Session()
    http.trust_env = False
    for _ in range(100):
        if server.poll() is not None:  # e.g. the port is taken by someone else's server
            raise SystemExit(f"the sandbox server exited: {(BENCH_DIR / 'server.log').read_text()}")
        try:
            if http.get(f"http://127.0.0.1:{port}/sandbox/api/", timeout=2).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the sandbox server did not come up; see var/bench/server.log")


def table(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    latencies = [int(s) for s in args.latencies.split(",")]
    env = bench_env(args.database, args.port)
    _ensure_database(args.database)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = _serve(env, args.port)
    rows = []
    try:
        print(f"seeding {max(sizes)} {args.platform} accounts…", file=sys.stderr, flush=True)
        _sub(env, "seed", "--platform", args.platform, "--n", str(max(sizes)))
        for latency in latencies:
            for n in sizes:
                row: dict[str, Any] = {"n": n, "latency_ms": latency}
                # Sweep and bare loop take turns; the best of each counts, so a burst of load
                # from elsewhere on the machine does not decide the ratio.
                for _ in range(args.repeat if n <= 10_000 else 1):
                    for mode in ("sweep", "bare"):
                        got = _sub(
                            env,
                            "run",
                            mode,
                            "--platform",
                            args.platform,
                            "--n",
                            str(n),
                            "--latency",
                            str(latency),
                        )
                        print(json.dumps(got), file=sys.stderr, flush=True)
                        if mode not in row or got["rate"] > row[mode]["rate"]:
                            row[mode] = got
                if latency:
                    row["sequential"] = _sub(
                        env,
                        "run",
                        "sequential",
                        "--platform",
                        args.platform,
                        "--n",
                        str(min(n, args.sequential)),
                        "--latency",
                        str(latency),
                    )
                rows.append(row)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(markdown(rows, args.platform))
    (BENCH_DIR / f"results-{args.platform}.json").write_text(json.dumps(rows, indent=2))


def markdown(rows: list[dict[str, Any]], platform: str) -> str:
    lines = [
        "| platform | N | sandbox latency | sweep acc/s | bare loop acc/s | sweep / bare "
        "| queries / account | sweep peak RSS (MB) | RSS growth (MB) | one-by-one acc/s "
        "| parallel speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        sweep, bare = row["sweep"], row["bare"]
        sequential = row.get("sequential")
        one_by_one = speed_up = "-"
        if sequential:
            one_by_one = f"{sequential['rate']:,.1f}"
            speed_up = f"{sweep['rate'] / sequential['rate']:.1f}x"
        lines.append(
            f"| {platform} | {row['n']:,} | {row['latency_ms']} ms | {sweep['rate']:,.0f} "
            f"| {bare['rate']:,.0f} | {sweep['rate'] / bare['rate']:.2f} "
            f"| {sweep['queries_per_account']:.2f} | {sweep['peak_rss_mb']:.0f} "
            f"| {sweep['growth_mb']:.0f} | {one_by_one} | {speed_up} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.health")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("table", help="run the whole benchmark and print the table")
    t.add_argument("--sizes", default="1000,10000,100000")
    t.add_argument("--latencies", default="0,50")
    t.add_argument("--platform", default="webex", choices=["slack", "teams", "zoom", "webex"])
    t.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/mio_health_bench")
    t.add_argument("--port", type=int, default=8917)
    t.add_argument("--sequential", type=int, default=300, help="accounts for the 1-by-1 run")
    t.add_argument("--repeat", type=int, default=3, help="runs per mode up to N=10,000")
    s = sub.add_parser("seed")
    s.add_argument("--platform", required=True)
    s.add_argument("--n", type=int, required=True)
    r = sub.add_parser("run")
    r.add_argument("mode", choices=["sweep", "bare", "sequential"])
    r.add_argument("--platform", required=True)
    r.add_argument("--n", type=int, required=True)
    r.add_argument("--latency", type=int, default=0)
    args = parser.parse_args()
    if args.command == "table":
        table(args)
    elif args.command == "seed":
        print(json.dumps({"seeded": seed(args.platform, args.n)}))
    else:
        print(json.dumps(run(args.mode, args.platform, args.n, args.latency)))


if __name__ == "__main__":
    main()
