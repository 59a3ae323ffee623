"""Scale-out, small: two real qcluster processes on PostgreSQL with the Redis broker.

The same code as ``python -m reliability.scaleout``. Small claim batches and few threads, so
the two clusters' sweeps interleave over the same rows; every account must be checked exactly
once per round.
"""

from __future__ import annotations

import os

import pytest

from reliability import world
from reliability.scaleout import ScaleConfig, run

CONFIG = ScaleConfig(
    accounts=160,
    clusters=2,
    workers=1,
    concurrency=2,
    claim_batch=5,
    tasks_per_round=4,
    rounds=2,
    latency_ms=20,
    people_per_tenant=20,
    round_timeout=150,
)


@pytest.fixture
def redis_url() -> str:
    import redis

    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip(f"no Redis at {url}: {exc}")
    return url


@pytest.mark.postgres_only
def test_two_clusters_check_every_due_account_exactly_once_per_sweep(
    sandbox, worker_base_env, redis_url, tmp_path
) -> None:
    population = world.seed(
        CONFIG.accounts, people_per_tenant=CONFIG.people_per_tenant, broken_fraction=0
    )
    result = run(
        CONFIG,
        sandbox,
        population,
        worker_base_env,
        redis_url=redis_url,
        log_dir=tmp_path,
        progress=print,
    )
    assert len(result.rounds) == CONFIG.rounds
    for sweep in result.rounds:
        assert sweep.checks_per_account == {1: len(population.credentials)}, sweep
        assert sweep.failed_tasks == 0
        assert all(sweep.by_cluster.values()), sweep.by_cluster  # both really worked
        assert set(sweep.outcomes) <= {"ok", "healed"}, sweep.outcomes
    assert result.errors == []
