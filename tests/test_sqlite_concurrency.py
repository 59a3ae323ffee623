"""The embedded default (SQLite) under the workers' concurrency: nobody gets "database is locked".

A worker's transaction often reads before it writes (claim, then record). In SQLite's default
deferred mode such a transaction cannot wait for another writer and fails at once; the settings
open every transaction with BEGIN IMMEDIATE, so it waits its turn instead.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.models import Tenant
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lets_concurrent_read_then_write_transactions_wait_their_turn() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locking only")
    tenant = make_tenant()
    errors: list[str] = []
    done: list[int] = []

    def work(n: int) -> None:
        try:
            for i in range(15):
                try:
                    with transaction.atomic():
                        seen = Tenant.objects.get(pk=tenant.pk)  # read first...
                        time.sleep(0.002)
                        Tenant.objects.filter(pk=seen.pk).update(name=f"t{n}-{i}")  # ...then write
                    done.append(1)
                except Exception as exc:
                    errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(done) == 60
