"""The production web server's benchmark: requests per second of the main pages under gunicorn.

    .venv/bin/python -m bench.web [--seconds 8] [--clients 8] [--workers 2] [--threads 4]
                                  [--database postgres://…/mio_web_bench] [--port 8945]

Builds its own PostgreSQL database (dropped and created), migrates it, seeds the demo story
(``seed_demo --story``: four tenants, their people, incidents and prompts), runs
``collectstatic``, then starts gunicorn with the repository's ``gunicorn.conf.py`` and
production settings (DEBUG off, WhiteNoise, the bounded database pool; the sandbox on as a
closed rig, ``SECURE_SSL_REDIRECT=0``). Each page is then requested for ``--seconds`` by
``--clients`` threads, each with its own kept-alive connection, and the table of
docs/benchmarks.md is printed: requests per second, median and 95th-percentile latency, and
any non-200 answer. Signed-in pages use a superuser's session (made in the database, as a
sign-in with its TOTP step would leave it). The load generator runs on the same machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench-web"


def environment(database: str, port: int) -> dict[str, str]:
    from cryptography.fernet import Fernet

    VAR.mkdir(parents=True, exist_ok=True)
    key = VAR / "fernet.key"
    if not key.exists():
        key.write_text(Fernet.generate_key().decode())
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "Q_", "MIO_", "DB_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mio_heal.settings",
        DATABASE_URL=database,
        VAR_DIR=str(VAR),
        DEBUG="off",
        SECRET_KEY="bench-web-only-secret-key-" + "w3b" * 16,
        TOKEN_ENCRYPTION_KEYS=key.read_text().strip(),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="0",
        SANDBOX_ENABLED="on",
        SANDBOX_IN_PRODUCTION="on",
        STATIC_MANIFEST="on",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        WEB_ACCESS_LOG="off",
        LOG_LEVEL="WARNING",
    )
    return env


def prepare(env: dict[str, str], database: str) -> None:
    import subprocess

    import psycopg

    name = database.rsplit("/", 1)[1]
    if not name.startswith("mio_"):
        raise SystemExit(f"refusing to drop {name!r}: the bench's database name starts with mio_")
    with psycopg.connect(database.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    for args, extra in (
        (["migrate", "--no-input", "-v", "0"], {}),
        (["collectstatic", "--no-input", "-v", "0"], {}),
        (["seed_demo", "--story"], {"MIO_QUEUE_SYNC": "1"}),
    ):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**env, **extra},
            check=True,
            stdout=subprocess.DEVNULL,
        )


def superuser_cookie(env: dict[str, str]) -> str:
    """A signed-in superuser's session cookie value (with a TOTP authenticator, as required)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from dashboard.tests.factories import make_user

    user = make_user(superuser=True)  # with its TOTP authenticator
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def hammer(url: str, seconds: float, clients: int, cookie: str) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        http = requests.Session()
        http.trust_env = False
        if cookie:
            http.headers["Cookie"] = f"sessionid={cookie}"
        mine, codes = [], {}
        while time.monotonic() < stop:
            started = time.monotonic()
            response = http.get(url, timeout=30, allow_redirects=False)
            mine.append(time.monotonic() - started)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "statuses": statuses,
    }


def pages(base: str, static_name: str) -> list[tuple[str, str, bool]]:
    return [
        ("Sign-in page (anonymous)", f"{base}/accounts/login/", False),
        ("Static CSS (WhiteNoise, hashed name)", f"{base}/static/{static_name}", False),
        ("/healthz", f"{base}/healthz", False),
        ("/readyz", f"{base}/readyz", False),
        ("Dashboard overview (superuser)", f"{base}/dashboard/", True),
        ("Incidents (superuser)", f"{base}/dashboard/incidents/", True),
        ("People (superuser)", f"{base}/dashboard/people/", True),
        ("Audit log (superuser)", f"{base}/dashboard/audit/", True),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/mio_web_bench")
    parser.add_argument("--port", type=int, default=8945)
    args = parser.parse_args()
    import json
    import subprocess

    env = environment(args.database, args.port)
    print("preparing (migrate, collectstatic, seed_demo --story)…", file=sys.stderr)
    prepare(env, args.database)
    cookie = superuser_cookie(env)
    manifest = json.loads((VAR / "static" / "staticfiles.json").read_text())
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env={
            **env,
            "BIND": f"127.0.0.1:{args.port}",
            "WEB_CONCURRENCY": str(args.workers),
            "WEB_THREADS": str(args.threads),
            "DB_POOL_MAX_SIZE": str(args.threads),
        },
        stderr=(VAR / "gunicorn.log").open("w"),
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(120):
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.25)
        rows = []
        for label, url, signed_in in pages(base, manifest["paths"]["mio/site.css"]):
            hammer(url, 1.0, args.clients, cookie if signed_in else "")  # warm up
            found = hammer(url, args.seconds, args.clients, cookie if signed_in else "")
            others = {k: v for k, v in found["statuses"].items() if k != 200}
            rows.append(
                f"| {label} | {found['rps']:,.0f} | {found['p50']:.1f} | {found['p95']:.1f} | "
                f"{others or '-'} |"
            )
            print(rows[-1], file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(
        f"gunicorn: {args.workers} workers x {args.threads} threads (gthread), "
        f"{args.clients} clients, {args.seconds:.0f} s per page\n"
    )
    print("| page | requests/s | p50 ms | p95 ms | non-200 |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
