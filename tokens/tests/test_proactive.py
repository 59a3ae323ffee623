"""Proactive refresh: a quiet user near the inactivity limit is refreshed, never prompted.

Driven by a controlled clock (time-machine) that the live server answering as the sandbox shares,
so the sandbox's own 90-day refresh-token lifetime really runs out for a token left unused.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from platforms.registry import get_adapter
from platforms.sandbox.models import SandboxToken
from tests.factories import make_account, make_person, make_tenant
from tokens import proactive
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.services import check_now
from tokens.sweep import sweep
from tokens.tests.conftest import PLATFORMS, fresh

pytestmark = pytest.mark.skipif("webex" not in PLATFORMS, reason="needs the Webex adapter")
DAY = timedelta(days=1)


def test_a_quiet_user_near_the_inactivity_limit_is_refreshed_without_a_prompt(
    sandbox, enroll, settings
) -> None:
    # Checks so sparse that only the proactive schedule can save the token: nothing else would
    # look at this account for a year.
    settings.HEALTH_CHECK_INTERVAL = timedelta(days=365)
    t0 = timezone.now()
    quiet = enroll("webex")
    forgotten = enroll("webex", tenant=quiet.person.tenant)
    # The control: removed from sync, so the engine leaves its token alone.
    Credential.objects.filter(pk=forgotten.credential_id).update(state=CredentialState.DISABLED)

    with time_machine.travel(t0 + timedelta(seconds=5), tick=True):
        assert sweep(platforms=["webex"]).checked == 1
    first = fresh(quiet)
    assert first.state == CredentialState.HEALTHY
    # Next look: when 80 % of Webex's 90 idle days have passed, not a year from now.
    assert abs(first.next_check_at - (t0 + 72 * DAY)) < DAY

    with time_machine.travel(first.next_check_at + timedelta(minutes=1), tick=True):
        stats = sweep(platforms=["webex"])
        assert stats.checked == 1
        refreshed = fresh(quiet)
        assert refreshed.refresh_token_last_used_at > t0 + 71 * DAY
        assert refreshed.state == CredentialState.HEALTHY

    with time_machine.travel(t0 + 100 * DAY, tick=True):
        # 100 days after sign-in, 28 days after the proactive refresh: still alive.
        check = check_now([quiet.credential_id])[quiet.credential_id]
        assert check.outcome in (CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED)
        # The token nobody refreshed died of inactivity: the prompt the quiet user never got.
        Credential.objects.filter(pk=forgotten.credential_id).update(state=CredentialState.HEALTHY)
        dead = check_now([forgotten.credential_id])[forgotten.credential_id]
        assert dead.situation == "refresh_token_inactive", dead.evidence

    history = CheckRecord.objects.filter(credential_id=quiet.credential_id)
    assert not history.filter(outcome=CheckRecord.Outcome.PROBLEM).exists()
    assert history.filter(outcome=CheckRecord.Outcome.HEALED).exists()
    assert fresh(quiet).state == CredentialState.HEALTHY


def test_it_refreshes_ahead_even_while_the_access_token_is_still_valid(
    sandbox, enroll, settings
) -> None:
    settings.HEALTH_PROACTIVE_FRACTION = 0.1  # due after 9 of the 90 idle days
    t0 = timezone.now()
    account = enroll("webex")
    with time_machine.travel(t0 + 10 * DAY, tick=True):
        # Webex access tokens live 14 days: nothing but the proactive rule refreshes now.
        assert fresh(account).expires_at > timezone.now()
        check = check_now([account.credential_id])[account.credential_id]
        assert check.outcome == CheckRecord.Outcome.HEALED
        assert fresh(account).refresh_token_last_used_at > t0 + 9 * DAY
        # The sandbox slid the refresh token's lifetime: 90 days from now.
        alive = SandboxToken.objects.filter(
            platform="webex", kind="refresh", user__email=account.person.email, revoked=False
        ).latest("expires_at")
        assert alive.expires_at > t0 + 99 * DAY


def test_it_refreshes_once_when_an_absolute_expiry_comes_near(db, settings) -> None:
    adapter = get_adapter("webex")
    credential = make_account(make_person(make_tenant()), "webex").credential
    now = timezone.now()
    credential.refresh_token_last_used_at = now - 10 * DAY  # before the margin began
    credential.refresh_token_expires_at = now + 5 * DAY  # inside the 7-day margin
    assert proactive.needs_refresh(credential, adapter, now)
    credential.refresh_token_last_used_at = now  # refreshed, but the expiry did not move
    assert not proactive.needs_refresh(credential, adapter, now + DAY)


def test_it_never_refreshes_ahead_where_every_check_refreshes(db) -> None:
    if "teams" not in PLATFORMS:
        pytest.skip("needs the Teams adapter")
    credential = make_account(make_person(make_tenant()), "teams").credential
    credential.refresh_token_last_used_at = timezone.now() - 89 * DAY
    assert proactive.refresh_due_at(credential, get_adapter("teams")) is None
