"""``/healthz`` and ``/readyz``: what a load balancer and an orchestrator ask.

They are answered by a middleware placed first, before host validation, the HTTPS redirect and
sessions: a probe talks plain HTTP to the process by its address, and must neither be redirected
nor refused for its Host header. They reveal nothing but "ok"/"fail" per check; causes go to
the log. Each is a handful of cheap queries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)

# Seconds to wait for the database to accept a connection.
PROBE_TIMEOUT = 3

# Once every migration is applied it stays so for this process's life (new code means a new
# process), so the migration graph is built once, not on every probe.
_migrations_done = False


def _database() -> bool:
    if connection.vendor == "postgresql":
        # A fresh connection with a short timeout: the pool would keep retrying for its own
        # timeout (a minute) before admitting the server is gone.
        import psycopg

        params = {**connection.get_connection_params(), "connect_timeout": PROBE_TIMEOUT}
        params.pop("cursor_factory", None)
        with psycopg.connect(**params) as direct:
            return direct.execute("SELECT 1").fetchone() == (1,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _broker() -> bool:
    from django_q.brokers import get_broker

    return bool(get_broker().ping())


def _migrations() -> bool:
    global _migrations_done
    if not _migrations_done:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        _migrations_done = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_done


def _scheduler() -> bool:
    from operations.heartbeat import scheduler_late

    return not scheduler_late()


CHECKS: dict[str, Callable[[], bool]] = {
    "database": _database,
    "broker": _broker,
    "migrations": _migrations,
    "scheduler": _scheduler,
}


def _needs_database() -> set[str]:
    """The checks that read the database (the broker too, unless it is Redis)."""
    from django.conf import settings

    return {"migrations", "scheduler"} | (set() if settings.Q_CLUSTER.get("redis") else {"broker"})


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if results.get("database") == "fail" and name in _needs_database():
            results[name] = "skipped"  # it would only time out on the same database again
            continue
        try:
            results[name] = "ok" if check() else "fail"
        except Exception:  # any failure (database, broker, bug) means "not ready"
            log.warning("readyz: the %s check failed", name, exc_info=True)
            results[name] = "fail"
    ready = all(value == "ok" for value in results.values())
    if results.get("database") == "fail":
        # Do not keep a broken connection for the next probe.
        connection.close_if_unusable_or_obsolete()
    return JsonResponse(
        {"status": "ok" if ready else "fail", "checks": results}, status=200 if ready else 503
    )


PATHS = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    """Answers the probe paths before anything else in the stack runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PATHS.get(request.path_info.rstrip("/"))
        if probe is not None and request.method in ("GET", "HEAD"):
            response = probe(request)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
