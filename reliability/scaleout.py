"""Scale-out: two qcluster processes on PostgreSQL with the Redis broker sweep N accounts.

    .venv/bin/python -m reliability.scaleout [--accounts 10000] [--clusters 2] [--rounds 2]
        [--database postgres://…/mio_reliability_scale] [--redis redis://127.0.0.1:6379/0]
        [--port 8943]

Each round makes every account due, then puts sweep tasks (``tokens.tasks.sweep_due``, labelled
with the cluster that ran it: ``reliability.tasks.sweep``) on the shared Redis queue, as the
minute schedule does when sweeps overlap; both clusters take tasks from it and their sweeps
run at the same time. Claims (``SELECT … FOR UPDATE SKIP LOCKED``) must split the accounts
between them. Figure: checks recorded per account in the round (must be exactly 1 for every
account), and how the checks were shared between the clusters. Every Teams check redeems its
refresh token, and Slack and Zoom rotate theirs on refresh: a credential checked twice at
once would also show up as a refused refresh (a ``problem`` outcome, must be 0).

The clusters are real ``manage.py qcluster`` processes in the layout docs/operations.md
describes for N machines: same ``DATABASE_URL``, same ``Q_REDIS_URL``, same ``SECRET_KEY`` and
``TOKEN_ENCRYPTION_KEYS``, same ``SITE_URL``. (On one machine here: two processes that share
nothing but those.)
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reliability.rig import Progress, database_url, say

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class ScaleConfig:
    accounts: int = 10_000
    clusters: int = 2
    workers: int = 1  # Q_WORKERS per cluster
    concurrency: int = 6  # checks in parallel per platform, per sweep
    claim_batch: int = 200
    tasks_per_round: int = 4
    rounds: int = 2
    latency_ms: int = 0
    people_per_tenant: int = 500
    round_timeout: float = 1200.0
    # Nobody broken: every check must come back healthy, so a refused refresh stands out.
    broken_fraction: float = 0.0
    seed: int = 7


@dataclass
class Round:
    seconds: float = 0.0
    due: int = 0
    checks_per_account: dict[int, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    by_cluster: dict[str, int] = field(default_factory=dict)
    failed_tasks: int = 0


@dataclass
class ScaleResult:
    accounts: int
    clusters: int
    rounds: list[Round] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def must_hold(self) -> dict[str, bool]:
        once = all(set(r.checks_per_account) == {1} for r in self.rounds)
        shared = all(len([n for n in r.by_cluster.values() if n]) >= 2 for r in self.rounds)
        return {
            "every due account checked exactly once per sweep": once and bool(self.rounds),
            "every cluster did part of the work": shared,
            "no refused refresh (problem outcome) = 0": all(
                not r.outcomes.get("problem") for r in self.rounds
            ),
            "failed tasks = 0": all(not r.failed_tasks for r in self.rounds),
        }


def run(
    cfg: ScaleConfig,
    control: Any,
    population: Any,
    env: dict[str, str],
    *,
    redis_url: str,
    log_dir: Path,
    progress: Progress = say,
) -> ScaleResult:
    from django.utils import timezone

    from reliability import cluster, figures
    from reliability.soak import mark_all_due
    from tokens.models import CheckRecord

    ids = population.credentials
    result = ScaleResult(accounts=len(population.users), clusters=cfg.clusters)
    name = f"rel-scale-{os.getpid()}"
    queue = cluster.broker(name, redis_url)
    queue.purge_queue()
    for platform in ("slack", "teams", "zoom", "webex"):
        control.faults(platform, error_rate=0.0, latency_ms=cfg.latency_ms)
    log = log_dir / "scaleout-clusters.log"
    log.write_text("")
    clusters = [
        cluster.Cluster(
            cluster.cluster_env(
                env,
                name=name,
                Q_REDIS_URL=redis_url,
                Q_WORKERS=str(cfg.workers),
                RELIABILITY_WORKER=chr(ord("A") + n),
                RELIABILITY_CONCURRENCY=str(cfg.concurrency),
                RELIABILITY_CLAIM_BATCH=str(cfg.claim_batch),
            ),
            log,
        )
        for n in range(cfg.clusters)
    ]
    try:
        for number in range(1, cfg.rounds + 1):
            since = timezone.now()
            mark_all_due(ids)
            started = time.monotonic()
            names = []
            for _ in range(cfg.tasks_per_round):
                names.append(cluster.enqueue(queue, "reliability.tasks.sweep", label="sweep"))
                time.sleep(0.2)  # one by one, as a schedule queues them
            done = cluster.wait_for(names, timeout=cfg.round_timeout)
            this = Round(seconds=round(time.monotonic() - started, 1), due=len(ids))
            this.checks_per_account = dict(figures.checks_per_credential(ids, since))
            this.outcomes = dict(
                Counter(
                    CheckRecord.objects.filter(
                        credential_id__in=ids, checked_at__gte=since
                    ).values_list("outcome", flat=True)
                )
            )
            shares: Counter = Counter()
            for outcome in done.values():
                if isinstance(outcome, dict):
                    shares[outcome.get("cluster", "?")] += int(outcome.get("checked", 0))
            this.by_cluster = {
                chr(ord("A") + n): shares.get(chr(ord("A") + n), 0) for n in range(cfg.clusters)
            }
            this.failed_tasks = sum(isinstance(o, Exception) for o in done.values()) + (
                len(names) - len(done)
            )
            result.rounds.append(this)
            progress(f"round {number}: {asdict(this)}")
    finally:
        for worker in clusters:
            worker.stop()
    result.errors = [
        line for line in log.read_text().splitlines() if "Traceback" in line or " ERROR " in line
    ]
    return result


def table(result: ScaleResult) -> str:
    from reliability import figures

    rows = []
    for number, r in enumerate(result.rounds, 1):
        per = ", ".join(f"{k} checks: {n:,}" for k, n in sorted(r.checks_per_account.items()))
        rows.append(
            [
                number,
                f"{r.due:,}",
                per,
                " / ".join(f"{k} {n:,}" for k, n in r.by_cluster.items()),
                ", ".join(f"{k} {n:,}" for k, n in sorted(r.outcomes.items())),
                f"{r.seconds:.1f} s ({r.due / r.seconds:,.0f}/s)" if r.seconds else "-",
                r.failed_tasks,
            ]
        )
    return figures.markdown(
        [
            "sweep",
            "due accounts",
            "accounts by checks recorded (must be all 1)",
            "checks by cluster",
            "outcomes",
            "time",
            "failed tasks",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m reliability.scaleout")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--clusters", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--database", default=database_url("mio_reliability_scale"))
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--port", type=int, default=8943)
    args = parser.parse_args()
    cfg = ScaleConfig(
        accounts=args.accounts,
        clusters=args.clusters,
        rounds=args.rounds,
        concurrency=args.concurrency,
    )
    from reliability import rig

    with rig.running(args.database, args.port, "scaleout") as live:
        population = live.populate(cfg)
        result = run(
            cfg,
            live.control,
            population,
            live.env,
            redis_url=args.redis,
            log_dir=rig.RIG_DIR,
        )
        result.errors += live.server.errors()
    from reliability import figures

    figures.report("scaleout", result, table(result), result.errors)


if __name__ == "__main__":
    main()
