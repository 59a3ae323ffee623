"""Two worker processes sweeping the same due credentials at once (PostgreSQL, row locks).

Every access token is expired on both sides first, so every check must redeem its refresh
token; Slack, Zoom and Teams rotate them (a refresh token redeemed twice is refused). If two
workers ever checked or refreshed one credential at once, that credential would get two check
records, or the loser's refresh would fail and the account would read ``grant_revoked``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from platforms.registry import get_adapter
from platforms.sandbox import core
from platforms.sandbox.models import SandboxToken
from tests.factories import make_tenant
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.tests.conftest import PLATFORMS, database_url

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import json, sys, time
from pathlib import Path
import django
django.setup()
from django.conf import settings
# Small pools and batches so the two workers interleave over the same rows.
settings.HEALTH_CONCURRENCY = {p: 2 for p in ("slack", "teams", "zoom", "webex")}
settings.HEALTH_CLAIM_BATCH = 3
from tokens.sweep import sweep
print("ready", flush=True)
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.01)
print(json.dumps(sweep().as_dict()), flush=True)
"""


@pytest.mark.postgres_only
def test_two_workers_never_check_or_refresh_one_credential_at_once(
    sandbox, enroll, live_server, tmp_path
) -> None:
    accounts = []
    for platform in PLATFORMS:
        tenant = make_tenant(primary_platform=platform)
        accounts += [enroll(platform, tenant=tenant) for _ in range(12)]
    for account in accounts:
        core.expire_access_tokens(account.platform, account.person.email)
    Credential.objects.filter(pk__in=[a.credential_id for a in accounts]).update(
        expires_at=timezone.now() - timedelta(minutes=1),
        next_check_at=timezone.now() - timedelta(seconds=1),
    )
    for platform in PLATFORMS:
        sandbox.faults(platform, latency_ms=40)
    before = {
        a.credential_id: SandboxToken.objects.filter(
            platform=a.platform, kind="refresh", user__email=a.person.email
        ).count()
        for a in accounts
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mio_heal.test_settings",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "SITE_URL": live_server.url,
        "SANDBOX_URL": f"{live_server.url}/sandbox",
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
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        go.touch()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    # Both really worked, and together they checked every account exactly once.
    assert all(r["checked"] > 0 for r in results), results
    assert sum(r["checked"] for r in results) == len(accounts), results
    for account in accounts:
        checks = CheckRecord.objects.filter(credential_id=account.credential_id)
        assert checks.count() == 1, account
        assert checks.get().outcome == CheckRecord.Outcome.HEALED, checks.get().evidence
        assert Credential.objects.get(pk=account.credential_id).state == CredentialState.HEALTHY
        if get_adapter(account.platform).rotating_refresh_tokens:
            minted = SandboxToken.objects.filter(
                platform=account.platform, kind="refresh", user__email=account.person.email
            ).count()
            assert minted == before[account.credential_id] + 1  # redeemed exactly once
