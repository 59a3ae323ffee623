"""Crash recovery: SIGKILL a qcluster mid-sweep and mid-delivery, restart it, count.

    .venv/bin/python -m reliability.crash [--accounts 2000] [--broken 0.05] [--latency-ms 200]
        [--database postgres://…/mio_reliability_crash] [--port 8942] [--redis redis://…]

1. N accounts, some broken (``reliability.world``); the sandbox answers every call after
   ``latency_ms``, so checks and sends are in flight long enough to be cut.
2. A real ``manage.py qcluster`` (``Q_WORKERS`` processes) gets sweep tasks. The rig watches the
   database and, once ``--kill-at`` of the accounts are checked, at the first moment when
   credentials are claimed by the sweep *and* prompts are being sent (outbox rows in
   ``sending``), SIGKILLs the cluster's whole process group.
3. A new cluster starts on the same database and broker. The rig gives it what the schedules
   would (``tokens.tasks.sweep_due``, ``notifications.tasks.tick``) until everything settles.

Figures: credentials still claimed (must be 0 once the claim TTL has passed), accounts never
checked (must be 0), incidents without exactly one delivered prompt (must be 0), prompts
delivered twice (must be 0), failed tasks. Claims lapse after ``--claim-ttl`` seconds
(production: 5 minutes) and a dead worker's lease on a message after ``--lease`` seconds
(production: 2 minutes), so the run takes minutes, not hours.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reliability.rig import Progress, database_url, say


@dataclass
class CrashConfig:
    accounts: int = 2000
    broken_fraction: float = 0.05
    people_per_tenant: int = 500
    latency_ms: int = 200
    workers: int = 4
    concurrency: int = 16  # checks in parallel per platform, per sweep
    claim_ttl: float = 90.0  # above the refresh lock's fixed 60 s, as production's 5 min is
    lease: float = 10.0
    kill_timeout: float = 180.0
    # Kill only at a moment when no refresh lock is held. The lock's TTL is fixed at 60 s;
    # a rig whose claims lapse sooner than that (the small test) would otherwise re-check
    # the accounts a dead worker was refreshing while its lock stands: they wait 15 s, come
    # back transient (``refresh_in_progress``) and are retried a minute later.
    kill_outside_refresh: bool = False
    # Wait until this fraction of the accounts has been checked before looking for the moment.
    kill_at: float = 0.0
    recover_timeout: float = 900.0
    seed: int = 11


@dataclass
class CrashResult:
    accounts: int
    broken: int
    killed_mid_sweep: bool = False
    killed_mid_delivery: bool = False
    at_kill: dict[str, int] = field(default_factory=dict)
    recovered: bool = False
    recover_seconds: float = 0.0
    still_claimed: int = -1
    never_checked: int = -1
    checked_more_than_once: int = -1
    recovered_as_sent: int = 0
    resent_after_lookup: int = 0
    failed_tasks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)

    @property
    def must_hold(self) -> dict[str, bool]:
        v = self.verdict
        return {
            "killed mid-sweep and mid-delivery": self.killed_mid_sweep and self.killed_mid_delivery,
            "credentials still claimed = 0": self.still_claimed == 0,
            "accounts never checked = 0": self.never_checked == 0,
            "incidents without exactly one delivered prompt = 0": v.get(
                "incidents_without_one_prompt"
            )
            == 0
            and v.get("incidents", 0) > 0,
            "duplicate prompts = 0": v.get("duplicate_prompts") == 0,
            "real situations detected = all": v.get("detected") == v.get("broken"),
        }


def worker_env(base: dict[str, str], cfg: CrashConfig, name: str) -> dict[str, str]:
    from reliability.cluster import cluster_env

    return cluster_env(
        base,
        name=name,
        Q_WORKERS=str(cfg.workers),
        RELIABILITY_CLAIM_TTL=str(cfg.claim_ttl),
        RELIABILITY_CONCURRENCY=str(cfg.concurrency),
        RELIABILITY_BACKOFF_BASE="1",
        RELIABILITY_BACKOFF_CAP="5",
        NOTIFY_SEND_LEASE_SECONDS=str(int(cfg.lease)),
        NOTIFY_GROUP_WINDOW_SECONDS="2",
        NOTIFY_RETRY_BASE_SECONDS="1",
        NOTIFY_RETRY_MAX_SECONDS="5",
        RELIABILITY_VERIFY_AFTER="1",
    )


def snapshot(ids: list[int], since: Any) -> dict[str, int]:
    from django.utils import timezone

    from notifications.models import OutboxMessage
    from platforms.sandbox.models import SandboxMessage
    from tokens.models import CheckRecord, Credential

    now = timezone.now()
    return {
        "checks recorded": CheckRecord.objects.filter(
            credential_id__in=ids, checked_at__gte=since
        ).count(),
        "credentials claimed": Credential.objects.filter(pk__in=ids, claimed_until__gt=now)
        .exclude(claimed_by="")
        .count(),
        "prompts being sent": OutboxMessage.objects.filter(
            created_at__gte=since, status=OutboxMessage.Status.SENDING
        ).count(),
        "prompts recorded as sent": OutboxMessage.objects.filter(
            created_at__gte=since, status=OutboxMessage.Status.SENT
        ).count(),
        "messages the platforms received": SandboxMessage.objects.filter(at__gte=since).count(),
        "refresh locks held": Credential.objects.filter(
            pk__in=ids, refresh_locked_until__gt=now
        ).count(),
    }


def run(
    cfg: CrashConfig,
    control: Any,
    population: Any,
    env: dict[str, str],
    *,
    log_dir: Path,
    redis_url: str = "",
    progress: Progress = say,
) -> CrashResult:
    from django.utils import timezone

    from notifications.models import OutboxMessage
    from reliability import cluster, figures
    from reliability.soak import mark_all_due

    ids = population.credentials
    result = CrashResult(accounts=len(population.users), broken=len(population.broken))
    name = f"rel-crash-{os.getpid()}"
    queue = cluster.broker(name, redis_url)
    extra = {"Q_REDIS_URL": redis_url} if redis_url else {}
    workers = {**worker_env(env, cfg, name), **extra}
    log = log_dir / "crash-cluster.log"
    log.write_text("")
    for broken in population.broken:
        control.situation(broken.platform, broken.email, broken.situation)
    for platform in ("slack", "teams", "zoom", "webex"):
        control.faults(platform, error_rate=0.0, latency_ms=cfg.latency_ms)
    since = timezone.now()
    mark_all_due(ids)

    first = cluster.Cluster(workers, log)
    try:
        names = [cluster.enqueue(queue, "tokens.tasks.sweep_due") for _ in range(2)]
        deadline = time.monotonic() + cfg.kill_timeout
        while time.monotonic() < deadline:
            now = snapshot(ids, since)
            refreshing = cfg.kill_outside_refresh and now["refresh locks held"]
            far_enough = now["checks recorded"] >= cfg.kill_at * len(ids)
            if (
                far_enough
                and now["credentials claimed"]
                and now["prompts being sent"]
                and not refreshing
            ):
                break
            time.sleep(0.02)
        first.kill()
        result.at_kill = snapshot(ids, since)
        result.killed_mid_sweep = result.at_kill["credentials claimed"] > 0
        result.killed_mid_delivery = result.at_kill["prompts being sent"] > 0
        waited = time.monotonic() - deadline + cfg.kill_timeout
        progress(f"killed the cluster after {waited:.1f} s: {result.at_kill}")
    finally:
        if first.alive:
            first.kill()

    started = time.monotonic()
    second = cluster.Cluster(workers, log)
    try:
        deadline = started + cfg.recover_timeout
        while time.monotonic() < deadline:
            batch = [
                cluster.enqueue(queue, "notifications.tasks.tick"),
                cluster.enqueue(queue, "tokens.tasks.sweep_due"),
            ]
            names += batch
            cluster.wait_for(batch, timeout=max(1.0, deadline - time.monotonic()))
            left = _left(population, since)
            if not any(left.values()):
                result.recovered = True
                break
            progress(f"recovering ({time.monotonic() - started:.1f} s): {left}")
            time.sleep(1.0)
        result.recover_seconds = round(time.monotonic() - started, 1)
    finally:
        stopping = time.monotonic()
        second.stop()
        progress(f"stopped the cluster in {time.monotonic() - stopping:.1f} s")
    for platform in ("slack", "teams", "zoom", "webex"):
        control.faults(platform, error_rate=0.0, latency_ms=0)

    per_credential = figures.checks_per_credential(ids, since)
    result.still_claimed = figures.still_claimed(ids)
    result.never_checked = per_credential.get(0, 0)
    result.checked_more_than_once = sum(n for k, n in per_credential.items() if k > 1)
    result.failed_tasks = [
        f"{task}: {outcome}"
        for task, outcome in cluster.finished(names).items()
        if isinstance(outcome, Exception)
    ]
    result.verdict = asdict(figures.judge(population.broken, since))
    result.verdict["missed"] = result.verdict["missed"][:20]
    rows = OutboxMessage.objects.filter(created_at__gte=since)
    result.recovered_as_sent = rows.filter(provider_message_id="recovered").count()
    result.resent_after_lookup = rows.filter(last_error__contains="does not have it").count()
    result.errors = [
        line for line in log.read_text().splitlines() if "Traceback" in line or " ERROR " in line
    ]
    return result


def _left(population: Any, since: Any) -> dict[str, int]:
    from notifications.models import Incident, OutboxMessage
    from reliability import figures
    from reliability.soak import _pending

    ids = population.credentials
    pending = _pending(population, since)
    delivered = figures.delivered_prompts(since)
    prompts = OutboxMessage.objects.filter(kind="prompt", created_at__gte=since).exclude(
        status="cancelled"
    )
    unprompted = sum(
        1
        for incident in Incident.objects.filter(opened_at__gte=since)
        if not any(
            delivered.get(key) or status == "sent"
            for key, status in prompts.filter(incident=incident).values_list(
                "idempotency_key", "status"
            )
        )
    )
    return {
        "claimed": figures.still_claimed(ids),
        "never checked": figures.checks_per_credential(ids, since).get(0, 0),
        "undetected": pending["undetected"],
        "undelivered": pending["undelivered"],
        "incidents not prompted": unprompted,
    }


def table(result: CrashResult) -> str:
    from reliability import figures

    v = result.verdict
    rows = [
        ["accounts (users; + one admin per tenant)", f"{result.accounts:,}"],
        ["accounts with a real situation", f"{result.broken:,}"],
        *[[f"at the kill: {k}", f"{n:,}"] for k, n in result.at_kill.items()],
        ["**credentials still claimed** (must be 0)", result.still_claimed],
        ["**accounts never checked** (must be 0)", result.never_checked],
        ["accounts checked more than once", result.checked_more_than_once],
        ["incidents opened (false ones)", f"{v['incidents']:,} ({v['false_incidents']})"],
        [
            "**incidents without exactly one delivered prompt** (must be 0)",
            v["incidents_without_one_prompt"],
        ],
        ["**duplicate prompts** (must be 0)", v["duplicate_prompts"]],
        ["real situations detected", f"{v['detected']:,} / {v['broken']:,}"],
        [
            "prompts the platform had before the kill, recorded by recovery",
            result.recovered_as_sent,
        ],
        ["prompts cut off before arriving, resent after asking", result.resent_after_lookup],
        ["failed tasks", len(result.failed_tasks)],
        ["errors in the workers' log", len(result.errors)],
        ["restart until settled", f"{result.recover_seconds:.1f} s"],
    ]
    return figures.figure_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m reliability.crash")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--broken", type=float, default=0.05)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--claim-ttl", type=float, default=90)
    parser.add_argument("--lease", type=float, default=10)
    parser.add_argument("--database", default=database_url("mio_reliability_crash"))
    parser.add_argument("--port", type=int, default=8942)
    parser.add_argument("--redis", default="", help="use this Redis as the broker")
    parser.add_argument(
        "--kill-at", type=float, default=0.4, help="fraction of accounts checked before the kill"
    )
    args = parser.parse_args()
    cfg = CrashConfig(
        accounts=args.accounts,
        broken_fraction=args.broken,
        latency_ms=args.latency_ms,
        workers=args.workers,
        claim_ttl=args.claim_ttl,
        lease=args.lease,
        kill_at=args.kill_at,
    )
    from reliability import rig

    with rig.running(args.database, args.port, "crash") as live:
        population = live.populate(cfg)
        result = run(
            cfg,
            live.control,
            population,
            live.env,
            log_dir=rig.RIG_DIR,
            redis_url=args.redis,
        )
        result.errors += live.server.errors()
    from reliability import figures

    figures.report("crash", result, table(result), result.failed_tasks + result.errors)


if __name__ == "__main__":
    main()
