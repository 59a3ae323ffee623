"""When each piece of background work last finished: the worker heartbeat."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """One row per watched job (``operations.heartbeat.JOBS``), written by the worker."""

    job = models.CharField(max_length=32, primary_key=True)
    # Installed by migrate: a job that never ran counts as late from here on.
    watched_since = models.DateTimeField(default=timezone.now)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    # Set when the operator was told the job is late; cleared when it runs again, so one
    # episode of lateness sends one email.
    alerted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.job}: {self.last_ok_at or 'never'}"
