"""A real database error on one row: a trigger that refuses a chosen UPDATE of it.

No project code is replaced: the database itself refuses the statement, as it would for a
corrupted page, a constraint someone added, a lock timeout or a full disk on that row's
write. The trigger is dropped when the block ends (a flush between tests keeps triggers).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

MESSAGE = "injected fault: this row cannot be written"


@contextmanager
def poisoned(table: str, pk: int, when: str) -> Iterator[None]:
    """Every UPDATE of row ``pk`` of ``table`` matching ``when`` (SQL over OLD/NEW) fails."""
    name = f"rel_poison_{table}_{pk}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW "
                f"WHEN (OLD.id = {int(pk)} AND {when}) EXECUTE FUNCTION {name}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW "
                f"WHEN OLD.id = {int(pk)} AND {when} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
