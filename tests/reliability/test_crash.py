"""Crash recovery, small: SIGKILL a real qcluster mid-sweep and mid-delivery, then restart it.

The same code as ``python -m reliability.crash``; the approach of
notifications/tests/test_crash.py (a real worker process on the test database, killed with
SIGKILL), with the whole ``manage.py qcluster`` process group as the worker.

The cluster is killed at the first moment when the sweep holds claims and a prompt is being
sent, and no refresh lock is held: that lock's TTL is fixed at 60 s, longer than this test's
4-second claims, so accounts a dead worker was refreshing would only be re-checked a minute
later (nothing lost, a slow test). The full-size run kills at any moment, with claims that
last longer than that minute, as production's 5 minutes do.
"""

from __future__ import annotations

from reliability import world
from reliability.crash import CrashConfig, run

CONFIG = CrashConfig(
    accounts=40,
    broken_fraction=0.2,
    people_per_tenant=10,
    latency_ms=300,
    workers=2,
    concurrency=2,
    claim_ttl=4,
    lease=3,
    kill_timeout=60,
    recover_timeout=150,
    kill_outside_refresh=True,
)


def test_it_loses_no_check_and_sends_every_prompt_once_after_a_sigkill(
    sandbox, worker_base_env, tmp_path
) -> None:
    population = world.seed(
        CONFIG.accounts,
        people_per_tenant=CONFIG.people_per_tenant,
        broken_fraction=CONFIG.broken_fraction,
    )
    result = run(
        CONFIG,
        sandbox,
        population,
        worker_base_env,
        log_dir=tmp_path,
        progress=print,
    )
    assert result.killed_mid_sweep, result.at_kill
    assert result.killed_mid_delivery, result.at_kill
    assert result.recovered, result
    assert result.still_claimed == 0
    assert result.never_checked == 0
    verdict = result.verdict
    assert verdict["incidents"] > 0
    assert verdict["incidents_without_one_prompt"] == 0, verdict
    assert verdict["duplicate_prompts"] == 0
    assert verdict["detected"] == verdict["broken"], verdict["missed"]
    assert verdict["false_incidents"] == 0
    assert result.failed_tasks == []
    assert result.errors == []
