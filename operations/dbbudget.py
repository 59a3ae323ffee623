"""The PostgreSQL connection budget: how many connections a deployment can open, at most.

With ``DB_POOL`` on (the production default) each process has one psycopg pool of at most
``DB_POOL_MAX_SIZE`` connections, shared by its threads; the health engine's checking threads
hand their connection back to the pool before each platform call
(``mio_heal.dbpool.release``), so 64 threads
waiting on HTTP hold none. Then::

    web      = web processes x DB_POOL_MAX_SIZE
    workers  = qcluster machines x (Q_WORKERS x DB_POOL_MAX_SIZE + 3)
    total    = web + workers + your own tools (psql, backups, migrate)

(the 3: a cluster's sentinel/scheduler, monitor and pusher each use at most one). It must
stay below PostgreSQL's ``max_connections`` minus its ``superuser_reserved_connections``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from mio_heal.dbpool import pool_max

# A cluster's processes besides its workers that touch the database.
CLUSTER_OVERHEAD = 3


@dataclass(frozen=True)
class Budget:
    web_processes: int
    clusters: int
    per_process: int
    workers: int

    @property
    def web(self) -> int:
        return self.web_processes * self.per_process

    @property
    def engine(self) -> int:
        return self.clusters * (self.workers * self.per_process + CLUSTER_OVERHEAD)

    @property
    def total(self) -> int:
        return self.web + self.engine


def planned() -> Budget | None:
    """This configuration's budget (``WEB_CONCURRENCY`` and ``QCLUSTER_MACHINES`` say how many
    web processes and clusters are planned); None when no pool bounds it."""
    size = pool_max()
    if size is None:
        return None
    return Budget(
        web_processes=int(os.environ.get("WEB_CONCURRENCY", "2")),
        clusters=int(os.environ.get("QCLUSTER_MACHINES", "1")),
        per_process=size,
        workers=int(settings.Q_CLUSTER.get("workers", 2)),
    )


def server_limit(alias: str = "default") -> int | None:
    """``max_connections`` minus the superuser reserve, or None when not PostgreSQL."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
        )
        return int(cursor.fetchone()[0])
