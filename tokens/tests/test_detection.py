"""Done means: every situation the sandbox can produce is detected and classified right —
read back by ``check_tokens --json``, by the scheduled sweep, and through the platform's push
event where it pushes one. All over real HTTP to the sandbox, through the real adapters."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from platforms.sandbox.registry import get_fake
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.situations import audience_key
from tokens.sweep import sweep
from tokens.tests.conftest import PLATFORMS, fresh

# Healed silently: the account reads healthy.
SILENT = {"access_token_expired"}
CASES = [(p, s) for p in PLATFORMS for s in sorted(get_fake(p).situations)]
IDS = [f"{p}-{s}" for p, s in CASES]


def check_tokens_json(*args: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("check_tokens", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def assert_reads(row: dict[str, Any], platform: str, situation: str) -> None:
    if situation in SILENT:
        assert (row["state"], row["situation"], row["audience"]) == ("healthy", None, None), row
        assert row["evidence"] is None
        return
    assert row["situation"] == situation, row
    assert row["audience"] == audience_key(situation)
    assert (
        row["state"]
        == {
            None: "healing",
            "user": "waiting_user",
            "admin": "waiting_admin",
            "operator": "waiting_operator",
        }[row["audience"]]
    )
    evidence = row["evidence"]
    assert evidence["platform"] == platform
    assert evidence["error"] or evidence["http_status"], evidence
    if platform == "teams" and evidence["endpoint"] == "token" and situation != "transient":
        # What an admin needs to find the sign-in in Entra's logs.
        assert evidence["error_codes"], evidence
        assert evidence["correlation_id"], evidence
        assert evidence["timestamp"], evidence


@pytest.mark.parametrize(("platform", "situation"), CASES, ids=IDS)
def test_check_tokens_json_reads_each_situation(sandbox, enroll, platform, situation) -> None:
    account = enroll(platform)
    bystander = enroll(platform, tenant=account.person.tenant)
    sandbox.situation(platform, account.person.email, situation)
    rows = {r["person"]: r for r in check_tokens_json("--platform", platform)}
    row = rows[account.person.email]
    assert (row["tenant"], row["platform"]) == (account.person.tenant.slug, platform)
    assert_reads(row, platform, situation)
    if situation != "app_uninstalled":  # removing the app breaks the whole workspace
        assert rows[bystander.person.email]["state"] == "healthy"
    # Healed upstream: healthy again at the next check.
    sandbox.situation(platform, account.person.email, None)
    (row,) = [
        r for r in check_tokens_json("--platform", platform) if r["person"] == account.person.email
    ]
    assert (row["state"], row["situation"]) == ("healthy", None), row["evidence"]


@pytest.mark.parametrize(("platform", "situation"), CASES, ids=IDS)
def test_the_scheduled_sweep_detects_each_situation(sandbox, enroll, platform, situation) -> None:
    account = enroll(platform)
    sandbox.situation(platform, account.person.email, situation)
    Credential.objects.filter(pk=account.credential_id).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    sweep(platforms=[platform])
    (check,) = CheckRecord.objects.filter(credential_id=account.credential_id)
    assert check.source == CheckRecord.Source.SCHEDULE
    credential = fresh(account)
    if situation in SILENT:
        assert check.outcome == CheckRecord.Outcome.HEALED
        assert credential.state == CredentialState.HEALTHY
    else:
        assert credential.situation == situation, check.evidence
        assert check.situation == situation


# (platform, event the sandbox pushes, what the account reads afterwards, whether the event is
# about the whole workspace — then its colleagues are checked too)
EVENTS = [
    ("slack", "tokens_revoked", "grant_revoked", False),
    ("slack", "app_uninstalled", "app_uninstalled", True),
    ("slack", "user_change_deleted", "user_deleted", False),
    ("teams", "reauthorizationRequired", None, True),  # the access token is refreshed: healthy
    ("teams", "subscriptionRemoved", "grant_revoked", True),
    ("zoom", "app_deauthorized", "grant_revoked", False),
]


@pytest.mark.parametrize(
    ("platform", "event", "expected", "workspace_wide"),
    [e for e in EVENTS if e[0] in PLATFORMS],
    ids=[f"{e[0]}-{e[1]}" for e in EVENTS if e[0] in PLATFORMS],
)
def test_a_pushed_event_gets_the_account_checked_and_classified(
    sandbox, enroll, platform, event, expected, workspace_wide
) -> None:
    account = enroll(platform)
    bystander = enroll(platform, tenant=account.person.tenant)
    delivery = sandbox.event(platform, event, account.person.email)["delivery"]
    assert delivery.get("status") in (200, 202), delivery
    checks = CheckRecord.objects.filter(
        credential_id=account.credential_id, source=CheckRecord.Source.EVENT
    )
    assert checks.exists(), delivery  # checked at once (the queue runs inline in tests)
    credential = fresh(account)
    if expected is None:
        assert credential.state == CredentialState.HEALTHY
        assert checks.get().outcome == CheckRecord.Outcome.HEALED
    else:
        assert credential.situation == expected, checks.last().evidence
        assert credential.state != CredentialState.HEALING
    colleague = CheckRecord.objects.filter(credential_id=bystander.credential_id)
    assert colleague.exists() is workspace_wide
