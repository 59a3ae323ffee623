"""Kill a real worker process between sending and recording; the restart sends nothing twice.

The worker is ``manage.py deliver_prompts`` in a subprocess on the test database, talking to the
live server's sandbox over HTTP. ``--pause-after-send`` holds it between the platform accepting
the message and the outbox row being recorded, and the test kills it with SIGKILL right there
(no cleanup, no ``finally``: as a crash or an OOM kill would). A second worker then starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import time as clock_time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.tests.world import build, payload_text

ROOT = Path(__file__).resolve().parents[2]
LEASE = 2  # seconds: the dead worker's claim lapses quickly in this test


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker(*args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mio_heal.settings",
        "DATABASE_URL": database_url(),
        "SITE_URL": settings.SITE_URL,
        "SANDBOX_URL": settings.SANDBOX_URL,
        "SANDBOX_ENABLED": "1",
        "MIO_QUEUE_SYNC": "1",
        "NOTIFY_SEND_LEASE_SECONDS": str(LEASE),
    }
    return subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "deliver_prompts", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(predicate, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.parametrize("platform", ["slack", "teams", "zoom", "webex"])
def test_it_sends_nothing_twice_when_the_worker_dies_between_send_and_record(
    sandbox, platform
) -> None:
    # A tenant in quiet hours right now: the prompt is written but waits, so the subprocess
    # (not this test's inline queue) is the worker that delivers it.
    world = build(
        sandbox,
        platform,
        users=1,
        admins=0,
        quiet_hours_start=clock_time(0, 0),
        quiet_hours_end=clock_time(23, 59, 59),
    )
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = OutboxMessage.objects.get(tenant=world.tenant)
    assert row.status == "pending"
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    doomed = worker("--pause-after-send", "60")
    try:
        wait_for(lambda: len(world.inbox(user.person)) == 1, what="the platform to receive it")
        row.refresh_from_db()
        assert row.status == "sending"  # sent, not yet recorded
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    assert doomed.returncode == -signal.SIGKILL
    row.refresh_from_db()
    assert (row.status, row.sent_at) == ("sending", None)

    time.sleep(LEASE + 0.5)  # the dead worker's lease runs out
    restarted = worker()
    output, _ = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, output
    assert "'sent': 1" in output  # recovered as sent: the platform had it

    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == ("sent", "recovered")
    delivered = world.inbox(user.person)
    assert len(delivered) == 1
    assert row.idempotency_key in payload_text(delivered[0]) + delivered[0]["content_type"]
    # And again: a further pass finds nothing to do.
    again = worker()
    assert again.communicate(timeout=120)[0].count("'sent': 1") == 0
    assert len(world.inbox(user.person)) == 1
