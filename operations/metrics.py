"""Prometheus metrics, read from the database at scrape time.

Every process (web workers, qcluster workers on several machines) writes to the same database,
so the database is the one place that knows the totals: a collector that aggregates it on each
scrape needs neither a multiprocess directory nor a push gateway, and any web process can answer.
Windows are stated in the metric names (``_last_hour``); rates over longer spans are
Prometheus's job. Each family is one grouped query on an indexed column.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import (
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)
HEAL_BUCKETS_S = (60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 86400, 7 * 86400)


class MioCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from self._accounts()
        yield from self._checks()
        yield from self._prompts()
        yield from self._time_to_heal()
        yield from self._queue()
        yield from self._heartbeats()

    def _accounts(self) -> Iterator[Metric]:
        from tokens.models import Credential

        family = GaugeMetricFamily(
            "mio_accounts",
            "Credentials by platform, kind and state.",
            labels=["platform", "kind", "state"],
        )
        rows = Credential.objects.values_list("platform", "kind", "state").annotate(n=Count("id"))
        for platform, kind, state, n in rows.order_by():
            family.add_metric([platform, kind, state], n)
        yield family

    def _checks(self) -> Iterator[Metric]:
        from tokens.models import CheckRecord

        since = timezone.now() - timedelta(hours=1)
        recent = CheckRecord.objects.filter(checked_at__gte=since).order_by()
        checks = GaugeMetricFamily(
            "mio_checks_last_hour",
            "Checks recorded in the last hour, by platform, source and outcome.",
            labels=["platform", "source", "outcome"],
        )
        rows = recent.values_list("credential__platform", "source", "outcome").annotate(
            n=Count("id")
        )
        for platform, source, outcome, n in rows:
            checks.add_metric([platform, source, outcome], n)
        yield checks
        refreshes = GaugeMetricFamily(
            "mio_refreshes_last_hour",
            "Silent heals (access token refreshed) in the last hour, by platform.",
            labels=["platform"],
        )
        healed = recent.filter(outcome=CheckRecord.Outcome.HEALED)
        for platform, n in healed.values_list("credential__platform").annotate(n=Count("id")):
            refreshes.add_metric([platform], n)
        yield refreshes
        latency = GaugeHistogramMetricFamily(
            "mio_check_latency_seconds_last_hour",
            "How long the checks of the last hour took (platform calls included).",
            labels=["platform"],
        )
        buckets = {f"le{b}": Count("id", filter=Q(latency_ms__lte=b)) for b in LATENCY_BUCKETS_MS}
        per_platform = recent.values("credential__platform").annotate(total=Count("id"), **buckets)
        for row in per_platform:
            latency.add_metric(
                [row["credential__platform"]],
                [(str(b / 1000), row[f"le{b}"]) for b in LATENCY_BUCKETS_MS]
                + [("+Inf", row["total"])],
            )
        yield latency

    def _prompts(self) -> Iterator[Metric]:
        from notifications.models import OutboxMessage

        now = timezone.now()
        sent = GaugeMetricFamily(
            "mio_prompts_sent_last_day",
            "Messages sent in the last 24 hours, by channel and template.",
            labels=["channel", "template"],
        )
        rows = (
            OutboxMessage.objects.filter(
                status=OutboxMessage.Status.SENT, sent_at__gte=now - timedelta(days=1)
            )
            .order_by()
            .values_list("channel", "template")
            .annotate(n=Count("id"))
        )
        for channel, template, n in rows:
            sent.add_metric([channel, template], n)
        yield sent
        waiting = OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]
        ).order_by()
        agg = waiting.aggregate(n=Count("id"), oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "mio_outbox_depth", "Messages pending or being sent.", value=agg["n"]
        )
        age = (now - agg["oldest"]).total_seconds() if agg["oldest"] else 0.0
        yield GaugeMetricFamily(
            "mio_outbox_oldest_age_seconds",
            "Age of the oldest message not yet sent (0 when none waits).",
            value=age,
        )

    def _time_to_heal(self) -> Iterator[Metric]:
        from notifications.models import Incident

        since = timezone.now() - timedelta(days=7)
        spans = (
            Incident.objects.filter(resolved_at__gte=since)
            .order_by()
            .values_list("opened_at", "resolved_at")
        )
        counts = [0] * len(HEAL_BUCKETS_S)
        total, seconds = 0, 0.0
        for opened, resolved in spans.iterator(chunk_size=2000):
            took = max((resolved - opened).total_seconds(), 0.0)
            total += 1
            seconds += took
            for i, bound in enumerate(HEAL_BUCKETS_S):
                if took <= bound:
                    counts[i] += 1
        family = GaugeHistogramMetricFamily(
            "mio_time_to_heal_seconds_last_week",
            "Time from an incident opening to its resolution (those resolved in the last 7 days).",
            buckets=[(str(b), c) for b, c in zip(HEAL_BUCKETS_S, counts, strict=True)]
            + [("+Inf", total)],
            gsum_value=seconds,
        )
        yield family

    def _queue(self) -> Iterator[Metric]:
        from django_q.brokers import get_broker

        depth = get_broker().queue_size() or 0
        yield GaugeMetricFamily("mio_queue_depth", "Tasks waiting in the broker.", value=depth)

    def _heartbeats(self) -> Iterator[Metric]:
        from operations.heartbeat import statuses

        last = GaugeMetricFamily(
            "mio_job_last_success_timestamp_seconds",
            "When each watched background job last succeeded (Unix time; 0: never).",
            labels=["job"],
        )
        late = GaugeMetricFamily(
            "mio_job_late", "1 when a watched background job is late.", labels=["job"]
        )
        for status in statuses():
            stamp = status.last_ok_at.timestamp() if status.last_ok_at else 0.0
            last.add_metric([status.job.key], stamp)
            late.add_metric([status.job.key], 1.0 if status.late else 0.0)
        yield last
        yield late
        yield GaugeMetricFamily(
            "mio_scrape_timestamp_seconds", "When this scrape was computed.", value=time.time()
        )
