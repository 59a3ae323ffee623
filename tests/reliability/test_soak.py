"""The fault soak, small: ~200 accounts through the sandbox while a fifth of all calls fail.

The same code as ``python -m reliability.soak`` (docs/reliability.md has the full-size table):
the live server plays the four platforms, the engine sweeps in this process.
"""

from __future__ import annotations

import pytest

from reliability import world
from reliability.soak import SoakConfig, engine_settings, run

CONFIG = SoakConfig(
    accounts=200,
    people_per_tenant=25,
    http_timeout=2.5,
    slow_seconds=3.0,
    max_rounds=100,
    max_seconds=240,
    concurrency=6,
)


@pytest.fixture
def soaked(sandbox, settings):
    for name, value in engine_settings(CONFIG).items():
        setattr(settings, name, value)
    population = world.seed(
        CONFIG.accounts,
        people_per_tenant=CONFIG.people_per_tenant,
        broken_fraction=CONFIG.broken_fraction,
    )
    return run(CONFIG, sandbox, population, progress=lambda message: None)


def test_it_prompts_for_every_real_situation_once_and_never_for_a_transient_fault(
    soaked,
) -> None:
    verdict = soaked.verdict
    assert soaked.settled, (soaked.rounds, verdict)
    assert verdict["broken"] >= 10
    assert verdict["detected"] == verdict["broken"], verdict["missed"]
    assert verdict["transient_prompts"] == 0
    assert verdict["false_incidents"] == 0
    assert verdict["duplicate_prompts"] == 0
    assert verdict["incidents_without_one_prompt"] == 0
    assert soaked.errors == []
    # The baseline found nothing wrong (on a loaded machine a rare check may time out: that is
    # a transient fault too, retried), and the soak really met every kind of fault.
    assert "problem" not in soaked.baseline_outcomes, soaked.baseline_transients
    assert soaked.baseline_outcomes.get("transient", 0) <= 0.05 * soaked.accounts
    assert {"5xx", "429 + Retry-After", "timeout", "connection reset"} <= set(soaked.faults_met)
