"""A bounded pool of checking threads per platform.

Checks are network-bound (one or two HTTP calls each), so threads give the parallelism; the
bound per platform keeps one worker from flooding a platform, and the bounded queue in front
of each pool keeps memory flat however many credentials a sweep goes through. Every thread
closes its own database connections when it ends (Django opens one per thread).

Routine results (healthy, still healthy) are recorded in batches (``tokens.batching``): the
threads of a pool share one list, and the thread that fills it to ``HEALTH_RECORD_BATCH``
records it; so does a thread whose queue runs dry for a moment, and ``close()`` records the
rest. Everything else is recorded at once, in its own transaction.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections
from django.utils import timezone

from mio_heal.dbpool import release as release_connection
from tokens import claims, conf, evidence
from tokens.batching import Routine, is_routine, record_routine
from tokens.checking import examine
from tokens.models import CheckRecord, Credential
from tokens.ratelimit import RateLimiter
from tokens.recording import record

log = logging.getLogger(__name__)

_STOP = object()
# A thread with routine results waiting records them after this long without new work.
FLUSH_AFTER = 0.25


@dataclass
class Stats:
    claimed: int = 0
    checked: int = 0
    deferred: int = 0  # handed back: rate limited, or the claim was lost
    vouched: int = 0  # handed back: the relay used it successfully within the interval
    failed: int = 0  # the check raised (e.g. the database); the claim lapses and it is retried
    outcomes: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "claimed": self.claimed,
            "checked": self.checked,
            "deferred": self.deferred,
            "failed": self.failed,
            "vouched": self.vouched,
            "outcomes": dict(self.outcomes),
        }


class CheckPool:
    """Submit claimed credentials; ``close()`` (or leaving the ``with``) waits for them all.

    ``inline=True`` checks in the caller's thread instead: for callers inside a transaction
    (other threads could not see its rows) and for a single credential.
    """

    def __init__(
        self,
        *,
        source: str,
        limiter: RateLimiter | None = None,
        on_result: Callable[[Credential, CheckRecord | None], None] | None = None,
        inline: bool = False,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.hint = hint
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.on_result = on_result
        self.inline = inline
        self.stats = Stats()
        self._queues: dict[str, queue.Queue] = {}
        self._pending: list[Routine] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> CheckPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, credential: Credential, claim_token: str) -> None:
        with self._lock:
            self.stats.claimed += 1
        if self.inline:
            self._run(credential, claim_token)
        else:
            self._queue(credential.platform).put((credential, claim_token))

    def close(self) -> None:
        for platform, q in self._queues.items():
            for _ in range(self.concurrency(platform)):
                q.put(_STOP)
        for thread in self._threads:
            thread.join()
        self._flush()
        self._queues.clear()
        self._threads.clear()

    @staticmethod
    def concurrency(platform: str) -> int:
        return max(1, int(conf.per_platform("HEALTH_CONCURRENCY", platform) or 1))

    def _queue(self, platform: str) -> queue.Queue:
        with self._lock:
            q = self._queues.get(platform)
            if q is None:
                size = self.concurrency(platform)
                # Twice the pool: threads never starve, and the producer blocks (memory stays
                # flat) when checks are slower than claims.
                q = self._queues[platform] = queue.Queue(maxsize=2 * size)
                for n in range(size):
                    thread = threading.Thread(
                        target=self._work, args=(q,), name=f"check-{platform}-{n}", daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)
            return q

    def _work(self, q: queue.Queue) -> None:
        try:
            while True:
                # Waiting for work holds no database connection (a pooled one goes back).
                release_connection()
                try:
                    item = q.get(timeout=FLUSH_AFTER if self._pending else None)
                except queue.Empty:
                    self._flush()
                    continue
                if item is _STOP:
                    return  # what is still pending is recorded by close(), all at once
                self._run(*item, batch=True)
        finally:
            connections.close_all()  # this thread's connections only

    def _run(self, credential: Credential, claim_token: str, batch: bool = False) -> None:
        try:
            until = evidence.vouched_until(credential, self.source)
            if until is not None and claims.release(credential, claim_token, next_check_at=until):
                with self._lock:
                    self.stats.vouched += 1
                if self.on_result is not None:
                    self.on_result(credential, None)
                return None
            examined = examine(
                credential, claim_token=claim_token, limiter=self.limiter, hint=self.hint
            )
            if examined is None:
                return self._done(credential, None)
            outcome, adapter = examined
            if batch and is_routine(credential, outcome):
                routine = Routine(credential, outcome, adapter, claim_token, timezone.now())
                with self._lock:
                    self._pending.append(routine)
                    full = len(self._pending) >= int(conf.get("HEALTH_RECORD_BATCH"))
                if full:
                    self._flush()
                return None
            check = record(
                credential, outcome, source=self.source, claim_token=claim_token, adapter=adapter
            )
        except Exception:
            log.exception("credential %s: the check failed", credential.pk)
            return self._done(credential, None, failed=True)
        return self._done(credential, check)

    def _flush(self) -> None:
        with self._lock:
            items, self._pending = self._pending, []
        self._flush_items(items)

    def _flush_items(self, items: list[Routine]) -> None:
        if not items:
            return
        try:
            results = record_routine(items, source=self.source)
        except Exception:
            if len(items) == 1:
                log.exception("recording a routine check failed; its claim lapses")
                self._done(items[0].credential, None, failed=True)
                return
            # One row the database refuses must not cost the rest of the batch: record them
            # one by one, so only the bad one is left to its lapsing claim.
            log.warning("recording %d routine checks as a batch failed; one by one", len(items))
            for item in items:
                self._flush_items([item])
            return
        for credential, check in results:
            self._done(credential, check)

    def _done(
        self, credential: Credential, check: CheckRecord | None, failed: bool = False
    ) -> None:
        with self._lock:
            if failed:
                self.stats.failed += 1
            elif check is None:
                self.stats.deferred += 1
            else:
                self.stats.checked += 1
                self.stats.outcomes[check.outcome] += 1
        if self.on_result is not None:
            self.on_result(credential, check)
