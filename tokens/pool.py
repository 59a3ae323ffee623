"""A bounded pool of checking threads per platform.

Checks are network-bound (one or two HTTP calls each), so threads give the parallelism; the
bound per platform keeps one worker from flooding a platform, and the bounded queue in front
of each pool keeps memory flat however many credentials a sweep goes through. Every thread
closes its own database connections when it ends (Django opens one per thread).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections

from tokens import conf
from tokens.checking import check_credential
from tokens.models import CheckRecord, Credential
from tokens.ratelimit import RateLimiter

log = logging.getLogger(__name__)

_STOP = object()


@dataclass
class Stats:
    claimed: int = 0
    checked: int = 0
    deferred: int = 0  # handed back: rate limited, or the claim was lost
    failed: int = 0  # the check raised (e.g. the database); the claim lapses and it is retried
    outcomes: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "claimed": self.claimed,
            "checked": self.checked,
            "deferred": self.deferred,
            "failed": self.failed,
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
                item = q.get()
                if item is _STOP:
                    return
                self._run(*item)
        finally:
            connections.close_all()  # this thread's connections only

    def _run(self, credential: Credential, claim_token: str) -> None:
        try:
            check = check_credential(
                credential,
                source=self.source,
                claim_token=claim_token,
                limiter=self.limiter,
                hint=self.hint,
            )
        except Exception:
            log.exception("credential %s: recording the check failed", credential.pk)
            with self._lock:
                self.stats.failed += 1
            check = None
        else:
            with self._lock:
                if check is None:
                    self.stats.deferred += 1
                else:
                    self.stats.checked += 1
                    self.stats.outcomes[check.outcome] += 1
        if self.on_result is not None:
            self.on_result(credential, check)
