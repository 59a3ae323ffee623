"""Real ``manage.py qcluster`` processes for the rigs, and the tasks the rigs give them.

A cluster is started in a process group of its own, so "kill the qcluster" kills what a
machine crash or an OOM kill of the container kills: the cluster's parent *and* its worker
processes, with SIGKILL (no cleanup, no ``finally``). Killing only the parent would leave its
workers running the task they hold to the end, which is not a crash.

Tasks are put on the cluster's broker directly (``async_task`` with ``sync=False``, the way the
schedules and the on-commit deliveries do it), each with a name the rig can look for in
django-q's task table. A rig's clusters run under their own ``cluster_name``
(``RELIABILITY_Q_NAME``): the project's schedules (cluster-less rows) stay with the default
cluster, so the rig decides when a sweep or a tick runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class Cluster:
    """One ``manage.py qcluster`` (parent + workers) in its own process group."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("a"),
            start_new_session=True,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole cluster: parent and workers, at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 60) -> None:
        """Stop it the way an operator does: SIGTERM to the parent, which stops its sentinel,
        which lets each worker finish the task in hand (signalling the workers directly would
        leave the sentinel waiting for them)."""
        if not self.alive:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        else:
            self.kill()  # anything of the group still around (nothing, normally)


def cluster_env(base: dict[str, str], *, name: str, **extra: str) -> dict[str, str]:
    """A worker's environment: real queue (never inline), the rig's own cluster name."""
    env = {k: v for k, v in base.items() if k not in ("MIO_QUEUE_SYNC", "Q_REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="reliability.settings", RELIABILITY_Q_NAME=name)
    env.update(extra)
    return env


def broker(name: str, redis_url: str = "") -> Any:
    """The broker a cluster called ``name`` reads: Redis at ``redis_url``, else the ORM."""
    if redis_url:
        import redis
        from django_q.brokers.redis_broker import Redis

        found = Redis(list_key=name)
        found.connection = redis.Redis.from_url(redis_url)
        return found
    from django_q.brokers.orm import ORM

    return ORM(list_key=name)


def enqueue(queue: Any, func: str, *args: Any, label: str = "") -> str:
    """Put one task on ``queue``; its (unique) name, to wait for."""
    from django_q.tasks import async_task

    name = f"{label or func.rsplit('.', 1)[-1]}-{uuid.uuid4().hex[:10]}"
    async_task(func, *args, task_name=name, broker=queue, sync=False)
    return name


def finished(names: list[str]) -> dict[str, Any]:
    """{name: the task's result, or an ``Exception`` for a failed one} of the finished tasks."""
    from django_q.models import Task

    done: dict[str, Any] = {}
    for name, success, result in Task.objects.filter(name__in=names).values_list(
        "name", "success", "result"
    ):
        done[name] = result if success else RuntimeError(str(result)[:500])
    return done


def wait_for(names: list[str], timeout: float, poll: float = 0.2) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        done = finished(names)
        if len(done) == len(names) or time.monotonic() > deadline:
            return done
        time.sleep(poll)
