"""System checks: the connection budget against the server (``check --database default``)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.database)
def connection_budget(app_configs: Any = None, databases: Any = None, **_: Any) -> list:
    """Warn when the planned processes could open more connections than the server allows."""
    if not databases or "default" not in databases:
        return []
    from operations import dbbudget

    budget = dbbudget.planned()
    try:
        limit = dbbudget.server_limit()
    except DatabaseError:
        return []  # the database check itself reports an unreachable server
    if limit is None:
        return []
    if budget is None:
        return [
            checks.Warning(
                "PostgreSQL connections are not bounded (DB_POOL is off): every thread keeps "
                "its own connection, and a sweep can exhaust the server.",
                hint="Set DB_POOL=on (the production default); see docs/operations.md.",
                id="operations.W001",
            )
        ]
    return over_budget(budget, limit)


def over_budget(budget: Any, limit: int) -> list:
    """W002 when ``budget`` (an ``operations.dbbudget.Budget``) can exceed ``limit``."""
    from operations import dbbudget

    if budget.total > limit:
        return [
            checks.Warning(
                f"This deployment can open {budget.total} PostgreSQL connections "
                f"({budget.web_processes} web x {budget.per_process} + {budget.clusters} "
                f"qcluster x ({budget.workers} workers x {budget.per_process} + "
                f"{dbbudget.CLUSTER_OVERHEAD})), more than the server's {limit}.",
                hint="Lower DB_POOL_MAX_SIZE, Q_WORKERS or WEB_CONCURRENCY, or raise the "
                "server's max_connections; docs/operations.md, 'Connection budget'.",
                id="operations.W002",
            )
        ]
    return []
