"""Django's native psycopg pool, made safe for threads that wait on HTTP and for forking.

``DB_POOL`` (settings) gives each process one bounded pool; these two helpers keep it bounded in
practice: ``release`` hands a thread's connection back before it waits on a platform, and
``forget_inherited_pools`` gives a forked child (django-q2 forks its workers) a pool of its own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

# Inherited pools are kept here, never closed: closing one in a forked child would end the
# parent's sessions (the sockets are shared).
_inherited: list[object] = []


def pool_max(alias: str = "default") -> int | None:
    """The pool's ``max_size``, or None when connections are not pooled."""
    pool = settings.DATABASES[alias].get("OPTIONS", {}).get("pool")
    if not pool:
        return None
    return int(pool.get("max_size", 4)) if isinstance(pool, dict) else 4


def release(alias: str = "default") -> None:
    """Hand this thread's connection back to the pool (no-op without a pool or in a transaction).

    Called by the health engine before it waits on a platform, so a thread blocked on HTTP
    holds no database connection.
    """
    if pool_max(alias) is None:
        return
    connection = connections[alias]
    if connection.connection is not None and not connection.in_atomic_block:
        connection.close()


def forget_inherited_pools() -> None:
    """``os.register_at_fork(after_in_child=...)``: a forked child opens its own pool.

    django-q2 forks its worker processes from a sentinel that may have used the database; a
    psycopg pool (its sockets and threads) must never be shared across processes.
    """
    try:
        from django.db.backends.postgresql.base import DatabaseWrapper
    except ImportError:  # no psycopg: nothing is pooled
        return
    if DatabaseWrapper._connection_pools:
        _inherited.extend(DatabaseWrapper._connection_pools.values())
        DatabaseWrapper._connection_pools.clear()
