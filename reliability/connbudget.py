"""Connection budget: a sweep over all four platforms by two worker processes on PostgreSQL,
with every connection counted from ``pg_stat_activity``.

    .venv/bin/python -m reliability.connbudget [--accounts 2000] [--workers 2]
        [--latency-ms 50] [--database postgres://…/mio_reliability_conns] [--port 8944]

One ``manage.py qcluster`` with ``Q_WORKERS`` worker processes and the production defaults
(``DB_POOL`` on with ``DB_POOL_MAX_SIZE`` 8, ``HEALTH_CONCURRENCY`` 16 per platform, so 64
checking threads per sweep), on the ORM broker (the queue itself in PostgreSQL too). Every
account is made due and one sweep task per worker is queued, so both workers sweep all four
platforms at once while the sandbox answers each call after ``latency_ms``. A sampler counts
the database's connections every 50 ms by ``application_name`` (the cluster's processes call
themselves ``mio-qcluster``). Must hold: the cluster's peak stays within the documented budget
(``Q_WORKERS x DB_POOL_MAX_SIZE + 3``, and at most 40), every due account is checked, and no
log has "too many clients".
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reliability.rig import database_url

ENGINE = "mio-qcluster"


@dataclass
class BudgetConfig:
    accounts: int = 2_000
    workers: int = 2
    latency_ms: int = 50
    pool_max: int = 8
    people_per_tenant: int = 500
    broken_fraction: float = 0.0
    seed: int = 11
    timeout: float = 900.0


@dataclass
class BudgetResult:
    cfg: BudgetConfig
    seconds: float = 0.0
    checked: int = 0
    due: int = 0
    peaks: dict[str, int] = field(default_factory=dict)
    peak_total: int = 0
    failed_tasks: int = 0
    too_many_clients: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def budget(self) -> int:
        from operations.dbbudget import CLUSTER_OVERHEAD

        return self.cfg.workers * self.cfg.pool_max + CLUSTER_OVERHEAD

    @property
    def must_hold(self) -> dict[str, bool]:
        engine = self.peaks.get(ENGINE, 0)
        return {
            f"engine's peak <= budget ({self.budget})": 0 < engine <= self.budget,
            "engine's peak <= 40": 0 < engine <= 40,
            "every due account checked": self.checked >= self.due > 0,
            'no "too many clients" in any log': self.too_many_clients == 0,
            "failed tasks = 0": self.failed_tasks == 0,
        }


class Sampler(threading.Thread):
    """Counts the rig database's connections by application_name, keeping each peak."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.name_of_db = database.rsplit("/", 1)[1]
        self.peaks: Counter = Counter()
        self.peak_total = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        admin = self.database.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT application_name, count(*) FROM pg_stat_activity"
                    " WHERE datname = %s GROUP BY 1",
                    (self.name_of_db,),
                ).fetchall()
                for name, count in rows:
                    self.peaks[name or "?"] = max(self.peaks[name or "?"], count)
                self.peak_total = max(self.peak_total, sum(count for _, count in rows))
                time.sleep(0.05)


def run(cfg: BudgetConfig, live: Any, database: str, log_dir: Path) -> BudgetResult:
    from django.utils import timezone

    from reliability import cluster, figures
    from reliability.soak import mark_all_due
    from tokens.models import CheckRecord

    population = live.populate(cfg)
    ids = population.credentials
    result = BudgetResult(cfg=cfg, due=len(ids))
    for platform in ("slack", "teams", "zoom", "webex"):
        live.control.faults(platform, error_rate=0.0, latency_ms=cfg.latency_ms)
    name = f"rel-conns-{os.getpid()}"
    queue = cluster.broker(name)
    log = log_dir / "connbudget-cluster.log"
    log.write_text("")
    sampler = Sampler(database)
    sampler.start()
    worker = cluster.Cluster(
        cluster.cluster_env(
            live.env,
            name=name,
            Q_WORKERS=str(cfg.workers),
            DB_POOL="on",
            DB_POOL_MAX_SIZE=str(cfg.pool_max),
            LOG_LEVEL="WARNING",
        ),
        log,
    )
    try:
        time.sleep(3)  # the cluster's processes start and connect
        since = timezone.now()
        mark_all_due(ids)
        started = time.monotonic()
        names = [
            cluster.enqueue(queue, "reliability.tasks.sweep", label="sweep")
            for _ in range(cfg.workers)
        ]
        done = cluster.wait_for(names, timeout=cfg.timeout)
        result.seconds = round(time.monotonic() - started, 1)
        result.failed_tasks = sum(isinstance(o, Exception) for o in done.values()) + (
            len(names) - len(done)
        )
        per = figures.checks_per_credential(ids, since)
        result.checked = sum(n for checks, n in per.items() if checks >= 1)
        result.outcomes = dict(
            Counter(
                CheckRecord.objects.filter(credential_id__in=ids, checked_at__gte=since)
                .values_list("outcome", flat=True)
                .iterator()
            )
        )
    finally:
        worker.stop()
        sampler.stop.set()
        sampler.join(timeout=5)
    result.peaks = dict(sampler.peaks)
    result.peak_total = sampler.peak_total
    logs = log.read_text() + "\n".join(live.server.errors())
    result.too_many_clients = logs.count("too many clients")
    return result


def table(result: BudgetResult) -> str:
    from reliability import figures

    cfg = result.cfg
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(result.outcomes.items()))
    rows = [
        [
            f"{result.due:,}",
            f"{cfg.workers} x {cfg.pool_max} + 3 = {result.budget}",
            result.peaks.get(ENGINE, 0),
            ", ".join(f"{k} {v}" for k, v in sorted(result.peaks.items()) if k != ENGINE),
            result.peak_total,
            f"{result.checked:,} ({outcomes})",
            f"{result.seconds:.1f} s",
            result.too_many_clients,
        ]
    ]
    return figures.markdown(
        [
            "due accounts",
            "engine budget (workers x pool + 3)",
            "engine peak (mio-qcluster)",
            "other peaks",
            "database peak, all",
            "accounts checked (outcomes)",
            "sweep time",
            '"too many clients"',
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m reliability.connbudget")
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--database", default=database_url("mio_reliability_conns"))
    parser.add_argument("--port", type=int, default=8944)
    args = parser.parse_args()
    cfg = BudgetConfig(accounts=args.accounts, workers=args.workers, latency_ms=args.latency_ms)
    from reliability import rig

    with rig.running(args.database, args.port, "connbudget", DB_POOL="on") as live:
        result = run(cfg, live, args.database, rig.RIG_DIR)
    from reliability import figures

    print(table(result))
    print("\n".join(figures.verdict_lines(result.must_hold)))


if __name__ == "__main__":
    main()
