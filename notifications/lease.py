"""A worker's claim on an outbox row, kept alive for as long as the worker is.

A row in ``sending`` whose lease (``claimed_until``) has run out counts as left by a dead
worker, and recovery asks the channel about it — and resends when the channel says the message
is not there. A live worker whose send simply takes long (a slow platform: several HTTP calls
per send, each up to ``PLATFORM_HTTP_TIMEOUT``, and fallback channels after it) must therefore
never see its lease lapse, or a message still in flight would be sent twice.

No fixed lease is right for both (short: a slow send is taken for dead; long: a dead worker's
message waits long), so the lease is *renewed*: a heartbeat thread pushes ``claimed_until``
forward every third of the lease while the worker runs, and the worker renews it itself before
each fallback channel. A killed worker stops renewing with it, so its lease lapses on time. The
renewal is a conditional UPDATE on the claim token: once another worker has taken the row over,
renewing fails and the worker knows it lost the claim.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from types import TracebackType

from django.conf import settings
from django.db import connections
from django.utils import timezone

from notifications.models import OutboxMessage

log = logging.getLogger(__name__)


def seconds() -> float:
    return float(settings.NOTIFY_SEND_LEASE_SECONDS)


def until() -> datetime:
    return timezone.now() + timedelta(seconds=seconds())


class Lease:
    def __init__(self, row_id: int, token: str) -> None:
        self.row_id, self.token = row_id, token
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew(self) -> bool:
        """Push the lease forward; False once the row is no longer ours."""
        kept = OutboxMessage.objects.filter(
            pk=self.row_id, claim_token=self.token, status=OutboxMessage.Status.SENDING
        ).update(claimed_until=until())
        if not kept:
            self.lost = True
        return bool(kept)

    def __enter__(self) -> Lease:
        self._thread = threading.Thread(
            target=self._beat, name=f"outbox-lease-{self.row_id}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(seconds(), 5.0))

    def _beat(self) -> None:
        # Nothing is written for a send shorter than a third of the lease (the usual case).
        try:
            while not self._stop.wait(seconds() / 3):
                if not self.renew():
                    return
        except Exception:  # a heartbeat that fails must not take the worker down
            log.exception("outbox row %s: renewing the send lease failed", self.row_id)
        finally:
            # This thread's own connections (Django keeps one per thread).
            connections.close_all()
