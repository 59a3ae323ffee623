"""Next-check policy and the per-workspace rate limiter."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tokens.models import CredentialState
from tokens.ratelimit import RateLimiter
from tokens.scheduling import backoff, next_check_at

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_it_checks_a_healthy_account_after_the_interval_with_jitter() -> None:
    times = {next_check_at(CredentialState.HEALTHY, now=NOW) for _ in range(50)}
    assert all(
        timedelta(hours=5, minutes=24) <= t - NOW <= timedelta(hours=6, minutes=36) for t in times
    )
    assert len(times) > 40  # spread, not one instant for every account


def test_it_checks_an_account_waiting_on_a_person_more_slowly() -> None:
    for state in (CredentialState.WAITING_USER, CredentialState.WAITING_ADMIN):
        delay = next_check_at(state, now=NOW) - NOW
        assert timedelta(hours=10) < delay < timedelta(hours=14)


def test_it_backs_off_exponentially_up_to_a_cap() -> None:
    ceilings = [max(backoff(n).total_seconds() for _ in range(200)) for n in (1, 2, 3, 4)]
    assert ceilings[0] <= 30
    assert ceilings[1] <= 60
    assert ceilings[2] <= 120
    assert ceilings[3] <= 240
    assert ceilings[3] > ceilings[0] * 4
    assert min(backoff(1).total_seconds() for _ in range(200)) >= 15
    assert max(backoff(40).total_seconds() for _ in range(200)) <= 3600


def test_it_never_retries_before_retry_after() -> None:
    assert all(backoff(1, retry_after=120).total_seconds() >= 120 for _ in range(50))
    when = next_check_at(CredentialState.HEALING, now=NOW, failures=1, retry_after=90)
    assert when - NOW >= timedelta(seconds=90)


def test_it_looks_again_when_a_proactive_refresh_falls_due() -> None:
    due = NOW + timedelta(hours=1)
    assert next_check_at(CredentialState.HEALTHY, now=NOW, proactive_due=due) == due
    overdue = NOW - timedelta(days=1)
    assert next_check_at(CredentialState.HEALTHY, now=NOW, proactive_due=overdue) == NOW


def test_it_spaces_calls_to_one_workspace_and_not_to_others(settings) -> None:
    settings.HEALTH_RATE_LIMIT = {"slack": 5.0}
    limiter = RateLimiter()
    waits = [limiter.acquire(("slack", "T1")) for _ in range(7)]
    assert waits[:5] == [0.0] * 5  # a one-second burst
    assert 0.15 < waits[5] < 0.25
    assert 0.35 < waits[6] < 0.45
    assert limiter.acquire(("slack", "T2")) == 0.0


def test_it_blocks_a_workspace_for_its_retry_after(settings) -> None:
    settings.HEALTH_RATE_LIMIT = {"slack": 0}
    limiter = RateLimiter()
    limiter.block(("slack", "T1"), 30)
    assert 29 < limiter.acquire(("slack", "T1")) <= 30
    assert limiter.acquire(("slack", "T2")) == 0.0
    limiter.block(("slack", "T3"), 0.05)
    time.sleep(0.06)
    assert limiter.acquire(("slack", "T3")) == 0.0
