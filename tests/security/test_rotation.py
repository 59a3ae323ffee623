"""Rotating the token key while workers sweep and refresh rotating tokens loses nothing.

Two worker processes (the new key first, the old one second, as an operator deploys them)
sweep accounts whose access tokens have all expired, so every check redeems a refresh token:
Slack and Zoom hand out a new one and void the old, Teams redeems on every check. At the same
time this process runs ``rotate_token_keys`` again and again. A token written back stale, or
under the old key, would show at the end: with the old key gone, every credential must
decrypt, be under the new key, and refresh and check healthy once more.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from platforms.sandbox import core
from reliability import world
from reliability.soak import mark_all_due
from tokens import vault
from tokens.models import Credential
from tokens.secret import reveal
from tokens.services import check_now

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import json, sys, time
from pathlib import Path
import django
django.setup()
from tokens.sweep import sweep
print("ready", flush=True)
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.01)
print(json.dumps(sweep().as_dict()), flush=True)
"""
PLATFORMS = ("slack", "teams", "zoom")


def expire_everything(population) -> None:
    for credential in Credential.objects.filter(pk__in=population.credentials).select_related(
        "account"
    ):
        core.expire_access_tokens(credential.platform, credential.account.email)
    Credential.objects.filter(pk__in=population.credentials).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def ciphertexts() -> list[str]:
    rows = Credential.objects.annotate(
        a=Cast("access_token", TextField()), r=Cast("refresh_token", TextField())
    ).values_list("a", "r")
    return [c for row in rows for c in row if c]


def test_it_loses_no_token_when_the_key_rotates_while_workers_refresh(
    sandbox, settings, worker_base_env, tmp_path
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    population = world.seed(36, platforms=PLATFORMS, people_per_tenant=12, broken_fraction=0)
    expire_everything(population)
    mark_all_due(population.credentials)
    for platform in PLATFORMS:
        sandbox.faults(platform, latency_ms=25)

    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    env = {
        **worker_base_env,
        "DJANGO_SETTINGS_MODULE": "reliability.settings",
        "TOKEN_ENCRYPTION_KEYS": f"{new},{old}",
        "RELIABILITY_CONCURRENCY": "2",
        "RELIABILITY_CLAIM_BATCH": "3",
    }
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    rotations = rewritten = 0
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        go.touch()
        while any(w.poll() is None for w in workers):
            out = io.StringIO()
            call_command("rotate_token_keys", batch_size=1, stdout=out)
            rewritten += int(re.search(r"(\d+) tokens re-encrypted", out.getvalue())[1])
            rotations += 1
            time.sleep(0.05)
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert rotations >= 2  # it really ran while they worked
    assert rewritten > 0
    assert sum(r["checked"] for r in results) == len(population.credentials), results
    assert all(r["outcomes"].get("problem", 0) == 0 for r in results), results

    # The old key is gone: everything is readable, and under the new key already.
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert all(vault.is_current(c) for c in ciphertexts())
    readable = {
        c.pk: (reveal(c.access_token), reveal(c.refresh_token))
        for c in Credential.objects.filter(pk__in=population.credentials)
    }
    assert all(access and refresh for access, refresh in readable.values())
    # Every refresh token stored is the live one: refreshing once more works for all.
    for platform in PLATFORMS:
        sandbox.faults(platform, latency_ms=0)
    expire_everything(population)
    checks = check_now(population.credentials, wait=60)
    assert {c.outcome for c in checks.values()} == {"healed"}, {
        pk: c.evidence for pk, c in checks.items() if c.outcome != "healed"
    }
