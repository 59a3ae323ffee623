"""Fault soak: sweep N accounts while the sandbox fails a fifth of all calls transiently.

    .venv/bin/python -m reliability.soak [--accounts 10000] [--error-rate 0.2]
        [--broken 0.05] [--database postgres://…/mio_reliability_soak] [--port 8941]
        [--max-seconds 1800] [--max-requests 2000000]

1. *Baseline*: every account due, no faults, no situations: one sweep, timed.
2. *Soak*: 5 % of the user accounts get a real situation (``POST /sandbox/api/situation``,
   see ``reliability.world``) and every platform fails ``error_rate`` of its calls
   (``POST /sandbox/api/faults``: 5xx, 429 with Retry-After, answers slower than the client's
   timeout, connection resets). Every account is due again; the engine sweeps (the first sweep
   is timed against the baseline), the outbox tick runs after each sweep, and rounds continue
   until every broken account is detected, no account is left retrying, and no prompt is left
   to deliver — or the time, round or request budget runs out.

Time is compressed, not faked: retry backoffs start at 1 s instead of 30 s (health checks and
prompts alike), a send whose answer was lost is looked up again after 1 s instead of 60 s, and
the grouping window of tenant-wide prompts is 1 s. The figures (``figures.judge``) are read
from the sandbox's inbox (what the platforms received) and the database.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from reliability.rig import Progress, database_url, say


@dataclass
class SoakConfig:
    accounts: int = 10_000
    error_rate: float = 0.2
    broken_fraction: float = 0.05
    people_per_tenant: int = 500
    http_timeout: float = 2.0  # the client's timeout ...
    slow_seconds: float = 2.5  # ... and the sandbox's slow answer, longer than it
    max_rounds: int = 60
    max_seconds: float = 1800.0
    max_requests: int = 2_000_000
    seed: int = 7
    # Checks in parallel per platform (production: 16). 8 keeps the rig, its server and a
    # PostgreSQL shared with other work under the default max_connections of 100.
    concurrency: int = 8


def engine_settings(cfg: SoakConfig) -> dict[str, Any]:
    """The settings the engine runs the soak with (production's, with time compressed)."""
    return {
        "PLATFORM_HTTP_TIMEOUT": cfg.http_timeout,
        "SANDBOX_FAULT_SLOW_SECONDS": cfg.slow_seconds,
        "HEALTH_BACKOFF_BASE": timedelta(seconds=1),
        "HEALTH_BACKOFF_CAP": timedelta(seconds=8),
        "HEALTH_SWEEP_BUDGET": timedelta(seconds=cfg.max_seconds),
        "NOTIFY_RETRY_BASE_SECONDS": 1,
        "NOTIFY_RETRY_MAX_SECONDS": 8,
        "NOTIFY_VERIFY_AFTER_SECONDS": 1,
        "NOTIFY_GROUP_WINDOW_SECONDS": 1,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "HEALTH_CONCURRENCY": dict.fromkeys(("slack", "teams", "zoom", "webex"), cfg.concurrency),
    }


@dataclass
class SoakResult:
    accounts: int
    broken: int
    baseline_seconds: float = 0.0
    baseline_outcomes: dict[str, int] = field(default_factory=dict)
    baseline_transients: list[str] = field(default_factory=list)
    first_sweep_seconds: float = 0.0
    first_sweep_outcomes: dict[str, int] = field(default_factory=dict)
    settle_seconds: float = 0.0
    rounds: int = 0
    settled: bool = False
    checks: int = 0
    faults_met: dict[str, int] = field(default_factory=dict)
    requests: int | None = None
    errors: list[str] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)

    @property
    def must_hold(self) -> dict[str, bool]:
        v = self.verdict
        return {
            "prompts for transient faults = 0": v["transient_prompts"] == 0,
            "real situations detected = all": v["detected"] == v["broken"],
            "duplicate prompts = 0": v["duplicate_prompts"] == 0,
            "unhandled exceptions = 0": not self.errors,
        }


def mark_all_due(ids: list[int]) -> None:
    from django.utils import timezone

    from tokens.models import Credential

    for start in range(0, len(ids), 5000):
        Credential.objects.filter(pk__in=ids[start : start + 5000]).update(
            next_check_at=timezone.now() - timedelta(seconds=1),
            claimed_until=None,
            claimed_by="",
            failure_count=0,
        )


def run(
    cfg: SoakConfig,
    control: Any,
    population: Any,
    *,
    requests_served: Any = None,
    server_errors: Any = None,
    progress: Progress = say,
) -> SoakResult:
    """Baseline, then the soak, on a seeded ``population`` (``reliability.world.seed``)."""
    from django.utils import timezone

    from notifications.models import OutboxMessage
    from notifications.tasks import tick
    from reliability import figures
    from tokens.models import CheckRecord
    from tokens.sweep import sweep

    ids = population.credentials
    result = SoakResult(accounts=len(population.users), broken=len(population.broken))
    budget = timedelta(seconds=cfg.max_seconds)
    with figures.errors_logged() as errors:
        # 1. Baseline: the same accounts, the same engine, no faults.
        for platform in ("slack", "teams", "zoom", "webex"):
            control.faults(platform, error_rate=0.0)
        mark_all_due(ids)
        baseline = timezone.now()
        started = time.monotonic()
        stats = sweep(budget=budget)
        result.baseline_seconds = round(time.monotonic() - started, 2)
        result.baseline_outcomes = {str(k): n for k, n in stats.outcomes.items()}
        result.baseline_transients = [
            f"{e.get('platform')} {e.get('endpoint')}: {e.get('description')}"
            for e in CheckRecord.objects.filter(
                checked_at__gte=baseline, outcome=CheckRecord.Outcome.TRANSIENT
            ).values_list("evidence", flat=True)
        ]
        progress(f"baseline sweep: {result.baseline_seconds} s, {stats.as_dict()}")

        # 2. The soak.
        for broken in population.broken:
            control.situation(broken.platform, broken.email, broken.situation)
        for platform in ("slack", "teams", "zoom", "webex"):
            control.faults(platform, error_rate=cfg.error_rate)
        since = timezone.now()
        mark_all_due(ids)
        began = time.monotonic()
        deadline = began + cfg.max_seconds
        try:
            for round_ in range(1, cfg.max_rounds + 1):
                started = time.monotonic()
                stats = sweep(budget=timedelta(seconds=max(1.0, deadline - started)))
                if round_ == 1:
                    result.first_sweep_seconds = round(time.monotonic() - started, 2)
                    result.first_sweep_outcomes = {str(k): n for k, n in stats.outcomes.items()}
                    progress(f"first soak sweep: {result.first_sweep_seconds} s, {stats.as_dict()}")
                tick()
                result.rounds = round_
                if _settled(population, since):
                    result.settled = True
                    break
                served = requests_served() if requests_served else 0
                if time.monotonic() > deadline or served > cfg.max_requests:
                    progress(f"stopping: budget spent ({served} requests)")
                    break
                time.sleep(0.5)  # let backoffs come due
                if round_ % 5 == 0:
                    progress(f"round {round_}: {_pending(population, since)}")
        finally:
            result.settle_seconds = round(time.monotonic() - began, 2)
            for platform in ("slack", "teams", "zoom", "webex"):
                control.faults(platform, error_rate=0.0)
        result.verdict = asdict(figures.judge(population.broken, since))
        result.verdict["missed"] = result.verdict["missed"][:20]
        result.checks = CheckRecord.objects.filter(checked_at__gte=since).count()
        result.faults_met = dict(figures.transient_kinds(since))
        result.verdict["unfinished_rows"] = OutboxMessage.objects.filter(
            created_at__gte=since, status__in=["pending", "sending"]
        ).count()
    result.errors = list(errors.records) + (server_errors() if server_errors else [])
    if requests_served is not None:
        result.requests = requests_served()
    return result


def _pending(population: Any, since: Any) -> dict[str, int]:
    from notifications.models import OutboxMessage
    from reliability import figures
    from tokens.models import Credential

    expected = {b.credential_id: b for b in population.broken}
    detected = sum(
        1
        for pk, state, situation in Credential.objects.filter(pk__in=expected).values_list(
            "pk", "state", "situation"
        )
        if situation == expected[pk].situation
        and state == figures.expected_state(expected[pk].situation)
    )
    return {
        "undetected": len(expected) - detected,
        "retrying": figures.healing(population.credentials),
        "undelivered": OutboxMessage.objects.filter(
            created_at__gte=since, status__in=["pending", "sending"]
        ).count(),
    }


def _settled(population: Any, since: Any) -> bool:
    left = _pending(population, since)
    return not any(left.values())


def table(result: SoakResult, cfg: SoakConfig) -> str:
    from reliability import figures

    v = result.verdict
    ratio = result.first_sweep_seconds / result.baseline_seconds if result.baseline_seconds else 0
    rows = [
        ["accounts (users; + one admin per tenant)", f"{result.accounts:,}"],
        ["transient fault rate per platform call", f"{cfg.error_rate:.0%}"],
        ["accounts with a real situation", f"{result.broken:,}"],
        [
            "faults met by checks",
            ", ".join(f"{k} {n:,}" for k, n in sorted(result.faults_met.items())),
        ],
        ["**prompts for transient faults** (must be 0)", v["transient_prompts"]],
        ["**real situations detected** (must be all)", f"{v['detected']:,} / {v['broken']:,}"],
        ["**duplicate prompts** (must be 0)", v["duplicate_prompts"]],
        ["**unhandled exceptions** (must be 0)", len(result.errors)],
        ["incidents opened (false ones)", f"{v['incidents']:,} ({v['false_incidents']})"],
        ["prompts delivered (by email)", f"{v['delivered']:,} ({v['by_email']})"],
        ["incidents without exactly one delivered prompt", v["incidents_without_one_prompt"]],
        ["fault-free sweep (baseline)", f"{result.baseline_seconds:.1f} s"],
        ["first sweep under faults", f"{result.first_sweep_seconds:.1f} s ({ratio:.2f}x)"],
        ["until everything settled", f"{result.settle_seconds:.1f} s, {result.rounds} sweeps"],
        ["checks recorded under faults", f"{result.checks:,}"],
    ]
    if result.requests is not None:
        rows.append(["HTTP requests served by the sandbox (whole run)", f"{result.requests:,}"])
    return figures.figure_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m reliability.soak")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--error-rate", type=float, default=0.2)
    parser.add_argument("--broken", type=float, default=0.05)
    parser.add_argument("--database", default=database_url("mio_reliability_soak"))
    parser.add_argument("--port", type=int, default=8941)
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    parser.add_argument(
        "--concurrency", type=int, default=8, help="checks in parallel per platform"
    )
    args = parser.parse_args()
    cfg = SoakConfig(
        accounts=args.accounts,
        error_rate=args.error_rate,
        broken_fraction=args.broken,
        max_seconds=args.max_seconds,
        max_requests=args.max_requests,
        concurrency=args.concurrency,
    )
    from reliability import rig

    slow = {"RELIABILITY_FAULT_SLOW_SECONDS": str(cfg.slow_seconds)}
    with rig.running(args.database, args.port, "soak", **slow) as live:
        from django.conf import settings

        for name, value in engine_settings(cfg).items():
            setattr(settings, name, value)
        population = live.populate(cfg)
        result = run(
            cfg,
            live.control,
            population,
            requests_served=live.server.requests,
            server_errors=live.server.errors,
        )
    from reliability import figures

    figures.report("soak", result, table(result, cfg), result.errors, errors_heading="Errors:")


if __name__ == "__main__":
    main()
