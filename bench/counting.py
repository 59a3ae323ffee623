"""Count the SQL queries of every thread (Django opens one connection per thread)."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from django.db import connections
from django.db.backends.signals import connection_created

# The health engine's own threads (tokens.sweep, tokens.pool); anything else in the process —
# notably a test's live server answering as the sandbox — is not the engine's cost.
ENGINE_THREADS = ("check-", "claim-")

# Transaction control is not a query: SQLite's backend sends BEGIN through the cursor, while
# psycopg sends PostgreSQL's BEGIN itself (unseen here). Counted apart, so both count alike.
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


class QueryCounter:
    """``with QueryCounter() as q: ...``; ``q.count`` is the number of SQL queries executed while
    inside by the entering thread and the engine's worker threads; ``q.control`` the number of
    transaction-control statements."""

    def __init__(self, *, keep: bool = False) -> None:
        self.count = 0
        self.control = 0
        self.keep = keep
        self.statements: list[str] = []  # with keep=True: what was run, for a closer look
        self._lock = threading.Lock()
        self._wrapped: list[weakref.ref] = []
        self._owner = threading.get_ident()

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        thread = threading.current_thread()
        if thread.ident == self._owner or thread.name.startswith(ENGINE_THREADS):
            control = sql.lstrip().upper().startswith(CONTROL)
            with self._lock:
                if control:
                    self.control += 1
                else:
                    self.count += 1
                    if self.keep:
                        self.statements.append(sql)
        return execute(sql, params, many, context)

    def _attach(self, wrapper: Any) -> None:
        if self not in wrapper.execute_wrappers:
            wrapper.execute_wrappers.append(self)
            self._wrapped.append(weakref.ref(wrapper))

    def _on_created(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        self._attach(connection)

    def __enter__(self) -> QueryCounter:
        for wrapper in connections.all(initialized_only=True):
            self._attach(wrapper)
        connection_created.connect(self._on_created, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        connection_created.disconnect(self._on_created)
        for ref in self._wrapped:
            wrapper = ref()
            if wrapper is not None and self in wrapper.execute_wrappers:
                wrapper.execute_wrappers.remove(self)
