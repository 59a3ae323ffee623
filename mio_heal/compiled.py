"""``CompiledQuery``: a hot-path SELECT built by the ORM once, then run many times.

Building and compiling a queryset costs far more Python than running it: for the relay API's
key check and token lookup (joins, annotations) the ORM took about a millisecond a request,
the database a few tenths (docs/benchmarks.md, "Relay API"). Here it is built once with marker
strings standing in for its inputs and compiled once per database connection; each run puts
the inputs where the markers were, executes the ORM's own SQL through Django's cursor (query
logging, ``CaptureQueriesContext`` and execute wrappers still see it) and converts the row
with the ORM's own converters (decrypting fields, JSON, dates per database), as ``.values()``
would. Nothing is cached but the SQL text: every run reads the database.

Inputs are strings compared with ``exact`` or ``iexact`` (the per-database escaping of
``iexact`` is applied as the ORM does) or integers compared with ``exact``; a query that uses
an input any other way is refused when it is compiled, not run wrong.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable


@dataclass(frozen=True)
class _Plan:
    sql: str
    # Per SQL parameter: (input name, how to prepare it or None), or (None, the constant).
    slots: tuple[tuple[str | None, Any], ...]
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[list[Callable], Any]], ...]


class CompiledQuery:
    """``build(**inputs)`` must return a ``.values(...)`` queryset; ``first(**inputs)`` runs it
    and returns its first row as a dict (or None). Order and limit belong in ``build``."""

    def __init__(
        self, build: Callable[..., QuerySet], using: str = "default", **inputs: type[str | int]
    ):
        if any(kind not in (str, int) for kind in inputs.values()):
            raise TypeError("CompiledQuery inputs are str or int")
        self._build = build
        self._inputs = inputs
        self._using = using
        # One plan per connection object: Django's connections are per thread, and the ORM's
        # converters belong to the connection they were made for.
        self._plans: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Plan] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def first(self, **values: str | int) -> dict[str, Any] | None:
        connection = connections[self._using]
        plan = self._plans.get(connection)
        if plan is None:
            plan = self._compile(connection)
            with self._lock:
                self._plans[connection] = plan
        params = [
            self._fill(name, values[name], how) if name is not None else how
            for name, how in plan.slots
        ]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for pos, (convs, expression) in plan.converters:
            value = row[pos]
            for convert in convs:
                value = convert(value, expression, connection)
            row[pos] = value
        return dict(zip(plan.names, row, strict=True))

    def _fill(self, name: str, value: str | int, prepare: Callable[[str], str] | None) -> Any:
        if type(value) is not self._inputs[name]:
            raise TypeError(f"{name} must be {self._inputs[name].__name__}")
        return prepare(value) if prepare is not None else value

    def _compile(self, connection: BaseDatabaseWrapper) -> _Plan:
        # An underscore makes the per-database iexact escaping visible (SQLite escapes it for
        # LIKE; PostgreSQL compares with UPPER and leaves it alone).
        tag = secrets.token_hex(8)  # found in a marker however a database escapes it
        markers: dict[str, str | int] = {
            name: f"mio_input_{name}_{tag}"
            if kind is str
            else -(secrets.randbits(60) | 1 << 60)  # no id or count is ever this
            for name, kind in self._inputs.items()
        }
        traces = [tag, *(str(m) for m in markers.values() if isinstance(m, int))]
        queryset = self._build(**markers)
        if queryset._iterable_class is not ValuesIterable:
            raise TypeError("CompiledQuery needs a .values(...) queryset")
        query = queryset.query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        iexact = connection.ops.prep_for_iexact_query
        slots: list[tuple[str | None, Any]] = []
        for param in params:
            for name, marker in markers.items():
                if type(param) is type(marker) and param == marker:
                    slots.append((name, None))
                    break
                if isinstance(marker, str) and param == iexact(marker):
                    slots.append((name, iexact))
                    break
            else:
                if any(trace in str(param) for trace in traces):
                    raise ValueError(f"an input is used in a way CompiledQuery cannot fill: {sql}")
                slots.append((None, param))
        if any(trace in sql for trace in traces):
            raise ValueError(f"an input was written into the SQL itself: {sql}")
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        selected = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(selected)
        return _Plan(
            sql=sql,
            slots=tuple(slots),
            names=names,
            converters=tuple(converters.items()),
        )


def instance(model: type[Model], names: list[str], row: dict[str, Any], prefix: str = "") -> Any:
    """A ``model`` as the ORM loads one (``Model.from_db``) from a row of ``first()``: the
    fields ``names`` (attnames, in the model's field order; the others deferred), each read
    from ``row[prefix + name]``."""
    return model.from_db("default", names, [row[prefix + name] for name in names])
