"""What the dashboard stores itself: daily snapshots for the trend charts, and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Tenant
from platforms.keys import Platform

# The states a snapshot counts, in the order the charts stack them.
COUNTED_STATES = (
    "healthy",
    "healing",
    "waiting_user",
    "waiting_admin",
    "waiting_operator",
    "unchecked",
    "disabled",
)


class DailySnapshot(models.Model):
    """One tenant's accounts on one platform on one (UTC) day.

    Today's row is rewritten by the scheduled task every few minutes (and after a dashboard
    action), so the overview reads a handful of small rows instead of counting every account.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="snapshots")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    day = models.DateField()
    total = models.PositiveIntegerField(default=0)
    healthy = models.PositiveIntegerField(default=0)
    healing = models.PositiveIntegerField(default=0)
    waiting_user = models.PositiveIntegerField(default=0)
    waiting_admin = models.PositiveIntegerField(default=0)
    waiting_operator = models.PositiveIntegerField(default=0)
    unchecked = models.PositiveIntegerField(default=0)
    disabled = models.PositiveIntegerField(default=0)
    prompts_sent = models.PositiveIntegerField(default=0, help_text="Prompts delivered that day.")
    incidents_opened = models.PositiveIntegerField(default=0)
    incidents_resolved = models.PositiveIntegerField(default=0)
    median_heal_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Median open-to-resolved time of that day's resolutions."
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "platform", "day"], name="snapshot_one_per_tenant_platform_day"
            )
        ]
        indexes = [models.Index(fields=["day", "tenant"], name="snapshot_by_day")]
        ordering = ["day", "tenant_id", "platform"]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.platform} {self.day}: {self.healthy}/{self.total} healthy"


class AuditEntry(models.Model):
    """Who did what, when, to what, in which tenant. Written once, never edited."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Kept as text too, so the entry still says who it was after the user is deleted.
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries"
    )
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-at"], name="audit_by_tenant"),
            models.Index(fields=["-at"], name="audit_by_time"),
            # An object's own history (the incident timeline, a person's page).
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_by_target"),
        ]
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_label}"
