"""Relay benchmarks (docs/benchmarks.md, issue 13).

``python -m bench.relay table [--clients 50 --seconds 8 --rounds 5 --accounts 200 --used 0.9]``
prints both tables (``throughput`` prints the first alone); it needs PostgreSQL
(``--database``, default ``mio_relay_bench`` on 127.0.0.1:5432, created if missing) and runs the
server in its own process (``bench/serve.py``'s Nagle-free threaded server, production
settings, the sandbox mounted).

1. **Token API throughput**: ``--clients`` threads, each with its own kept-alive connection,
   call ``POST /api/v1/tokens/`` (healthy accounts, tokens not due for refresh) for
   ``--seconds``; then the same against ``GET /bench/ping/``, a trivial JSON view behind the
   same key check (rate limit, use count). ``--rounds`` times each, taking turns (the machine
   is shared: interleaving spreads other work over both sides); each column is the median of
   the rounds, and the ratio is the median of the rounds' ratios. The load average is printed.
2. **Relay evidence**: ``--accounts`` Webex accounts (tokens minted by the sandbox) through one
   simulated day (``time-machine``): the scheduled sweep every 30 minutes, the real adapter
   over HTTP to the sandbox. Run once as today, once with the relay reporting an ``ok`` for a
   ``--used`` share of them every 30 minutes. Platform calls are counted at the HTTP layer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from bench.runs import BENCH_DIR, ROOT, bench_env, run_module

DATABASE = "postgres://postgres@127.0.0.1:5432/mio_relay_bench"
# Webex's adapter calls the platform through ``requests`` (Slack's goes through slack-sdk's
# urllib client), so every platform call can be counted at one place: requests' HTTPAdapter.
PLATFORM = "webex"


def _sub(env: dict[str, str], *args: str) -> dict[str, Any]:
    return run_module("bench.relay", env, *args)


# --- the server ----------------------------------------------------------------------------------
def serve(address: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.servers.basehttp import (
        ThreadedWSGIServer,
        WSGIRequestHandler,
        get_internal_wsgi_application,
    )

    settings.ROOT_URLCONF = "bench.relay_urls"

    class Handler(WSGIRequestHandler):
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadedWSGIServer):
        request_queue_size = 128  # 50 clients connect at once

    host, port = address.rsplit(":", 1)
    server = Server((host, int(port)), Handler)
    server.daemon_threads = True
    server.set_app(get_internal_wsgi_application())
    server.serve_forever()


def _start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    import requests

    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.relay", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(BENCH_DIR / "relay-server.log").open("w"),
    )
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit((BENCH_DIR / "relay-server.log").read_text())
        try:
            if requests.get(f"http://127.0.0.1:{port}/sandbox/api/", timeout=2).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not come up; see var/bench/relay-server.log")


# --- 1. token API throughput ---------------------------------------------------------------------
def seed_api(n: int) -> dict[str, Any]:
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Person, Tenant
    from api.keys import create_key
    from tokens.models import Credential, PlatformAccount

    # A fresh tenant each run (accounts before their credentials: the link protects them).
    PlatformAccount.objects.filter(person__tenant__slug="bench-relay").delete()
    Credential.objects.filter(tenant__slug="bench-relay").delete()
    Tenant.objects.filter(slug="bench-relay").delete()
    tenant = Tenant.objects.create(slug="bench-relay", name="bench-relay", primary_platform="slack")
    users = []
    for i in range(n):
        person = Person.objects.create(
            tenant=tenant, name=f"U{i}", email=f"u{i}@bench-relay.example"
        )
        credential = Credential.objects.create(
            tenant=tenant,
            platform="slack",
            state="healthy",
            scopes=["chat:write"],
            access_token=f"xoxp-bench-{i}",
            refresh_token=f"xoxe-bench-{i}",
            expires_at=timezone.now() + timedelta(days=30),
        )
        account = PlatformAccount.objects.create(
            person=person,
            platform="slack",
            upstream_user_id=f"UB{i:06d}",
            workspace_id="TBENCH",
            email=person.email,
            credential=credential,
        )
        users.append(account.upstream_user_id)
    _, key = create_key(tenant, "bench")
    return {"key": key, "users": users}


def load(url: str, key: str, users: list[str], clients: int, seconds: float, post: bool) -> dict:
    import requests

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        http = requests.Session()
        http.trust_env = False
        http.headers["Authorization"] = f"Bearer {key}"
        mine: list[float] = []
        bad = 0
        start.wait()
        deadline = time.monotonic() + seconds
        i = n
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                if post:
                    body = {"platform": "slack", "user": users[i % len(users)]}
                    r = http.post(url, json=body, timeout=30)
                else:
                    r = http.get(url, timeout=30)
                bad += r.status_code != 200
            except requests.RequestException:
                bad += 1
            mine.append(time.perf_counter() - t0)
            i += clients
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "errors": errors[0],
    }


# --- 2. relay evidence ---------------------------------------------------------------------------
def evidence_run(n: int, used_share: float, with_evidence: bool) -> dict[str, Any]:
    from bench.runs import _django, seed

    seed(PLATFORM, n)
    _django()
    from datetime import timedelta

    import requests.adapters
    import time_machine
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from tokens.evidence import note_relay_success
    from tokens.models import CheckRecord, Credential
    from tokens.sweep import sweep

    settings.HEALTH_RATE_LIMIT = {PLATFORM: 1_000_000.0}
    bench = Credential.objects.filter(
        platform=PLATFORM, tenant__slug__startswith=f"bench-{PLATFORM}-"
    )
    ids = list(bench.order_by("pk").values_list("pk", flat=True)[:n])
    used = ids[: int(len(ids) * used_share)]
    start = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tokens_checkrecord")
    bench.exclude(pk__in=ids).update(next_check_at=start + timedelta(days=365))
    bench.filter(pk__in=ids).update(
        state="healthy",
        situation="",
        next_check_at=start,
        last_used_at=None,
        claimed_until=None,
        claimed_by="",
        failure_count=0,
    )
    calls = [0]
    lock = threading.Lock()
    original = requests.adapters.HTTPAdapter.send

    def counted(self, request, **kw):  # measurement only: every platform call of the engine
        with lock:
            calls[0] += 1
        return original(self, request, **kw)

    requests.adapters.HTTPAdapter.send = counted
    steps = 48  # every 30 minutes for a day
    for step in range(steps):
        now = start + timedelta(minutes=30 * step)
        with time_machine.travel(now, tick=False):
            if with_evidence:
                note_relay_success(used, now)  # the relay sent as them in the last half hour
            sweep(platforms=[PLATFORM], budget=timedelta(minutes=10))
    requests.adapters.HTTPAdapter.send = original
    checks = CheckRecord.objects.filter(credential_id__in=ids)
    return {
        "accounts": len(ids),
        "active": len(used),
        "calls": calls[0],
        "checks_active": checks.filter(credential_id__in=used).count(),
        "checks_idle": checks.exclude(credential_id__in=used).count(),
        "unhealthy": bench.filter(pk__in=ids).exclude(state="healthy").count(),
    }


# --- the tables ----------------------------------------------------------------------------------
def _prepare(args: argparse.Namespace) -> dict[str, str]:
    from bench.health import _ensure_database

    env = bench_env(args.database, args.port)
    env["RELAY_API_RATE_PER_MINUTE"] = "0"
    _ensure_database(args.database)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


def throughput_runs(
    env: dict[str, str], args: argparse.Namespace, base: str
) -> dict[str, list[dict]]:
    """``args.rounds`` runs of each side, taking turns, against the server at ``base``."""
    seeded = _sub(env, "seed-api", str(args.users))
    runs: dict[str, list[dict]] = {"ping": [], "tokens": [], "load": []}
    for _ in range(args.rounds):
        runs["load"].append(os.getloadavg()[0])
        for name, url, post in (
            ("ping", f"{base}/bench/ping/", False),
            ("tokens", f"{base}/api/v1/tokens/", True),
        ):
            runs[name].append(
                load(url, seeded["key"], seeded["users"], args.clients, args.seconds, post)
            )
    runs["load"].append(os.getloadavg()[0])
    return runs


def median_run(runs: list[dict]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def table(args: argparse.Namespace) -> None:
    env = _prepare(args)
    server = _start_server(env, args.port)
    try:  # the evidence runs call the platform sandbox this server mounts
        runs = throughput_runs(env, args, f"http://127.0.0.1:{args.port}")
        evidence = {
            mode: _sub(env, "evidence-run", str(args.accounts), str(args.used), mode)
            for mode in ("today", "evidence")
        }
    finally:
        server.terminate()
        server.wait(10)
    print(markdown(runs, evidence, args))


def throughput(args: argparse.Namespace) -> None:
    env = _prepare(args)
    server = _start_server(env, args.port)
    try:
        runs = throughput_runs(env, args, f"http://127.0.0.1:{args.port}")
    finally:
        server.terminate()
        server.wait(10)
    print("\n".join(throughput_markdown(runs, args)))
    print(json.dumps(runs))


def throughput_markdown(runs: dict[str, list[dict]], args: argparse.Namespace) -> list[str]:
    ping, tokens = median_run(runs["ping"]), median_run(runs["tokens"])
    ratios = [t["rps"] / p["rps"] for p, t in zip(runs["ping"], runs["tokens"], strict=True)]
    load = runs["load"]
    lines = [
        f"{args.clients} concurrent clients, {args.seconds:g} s per run, {args.rounds} rounds "
        f"taking turns, medians (1-minute load average {min(load):.1f} to {max(load):.1f}):",
        "",
        "| endpoint | requests | req/s | p50 ms | p99 ms | non-200 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in (
        ("`GET /bench/ping/` (trivial, same key check)", ping),
        ("`POST /api/v1/tokens/`", tokens),
    ):
        lines.append(
            f"| {name} | {r['requests']:.0f} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['errors']:.0f} |"
        )
    lines += [
        "",
        f"Token API / trivial view throughput: **{statistics.median(ratios):.2f}x** "
        f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})",
        "",
    ]
    return lines


def markdown(runs: dict[str, list[dict]], evidence: dict, args: argparse.Namespace) -> str:
    lines = throughput_markdown(runs, args)
    lines += [
        f"{args.accounts} {PLATFORM.title()} accounts, one simulated day (sweeps every 30 min), "
        f"{args.used:.0%} of them used by the relay:",
        "",
        "| run | platform calls | calls / account / day | checks / active account / day | "
        "checks / idle account / day | left unhealthy |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, key in (("today (no relay evidence)", "today"), ("with relay evidence", "evidence")):
        e = evidence[key]
        idle = max(1, e["accounts"] - e["active"])
        lines.append(
            f"| {name} | {e['calls']} | {e['calls'] / e['accounts']:.2f} | "
            f"{e['checks_active'] / max(1, e['active']):.2f} | {e['checks_idle'] / idle:.2f} | "
            f"{e['unhealthy']} |"
        )
    today, relay = evidence["today"], evidence["evidence"]
    lines += [
        "",
        f"Platform calls overall, today / with evidence: "
        f"**{today['calls'] / max(1, relay['calls']):.1f}x**",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = argparse.ArgumentParser(add_help=False)
    t.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DATABASE))
    t.add_argument("--port", type=int, default=8766)
    t.add_argument("--clients", type=int, default=50)
    t.add_argument("--seconds", type=float, default=8.0)
    t.add_argument("--rounds", type=int, default=5)
    t.add_argument("--users", type=int, default=200)
    t.add_argument("--accounts", type=int, default=200)
    t.add_argument("--used", type=float, default=0.9)
    sub.add_parser("table", parents=[t])
    sub.add_parser("throughput", parents=[t])
    s = sub.add_parser("serve")
    s.add_argument("address")
    a = sub.add_parser("seed-api")
    a.add_argument("n", type=int)
    e = sub.add_parser("evidence-run")
    e.add_argument("n", type=int)
    e.add_argument("used", type=float)
    e.add_argument("mode", choices=["today", "evidence"])
    args = parser.parse_args()
    if args.command == "table":
        table(args)
    elif args.command == "throughput":
        throughput(args)
    elif args.command == "serve":
        serve(args.address)
    elif args.command == "seed-api":
        print(json.dumps(seed_api(args.n)))
    else:
        print(json.dumps(evidence_run(args.n, args.used, args.mode == "evidence")))


if __name__ == "__main__":
    main()
