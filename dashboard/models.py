"""What the dashboard stores itself: daily snapshots for the trend charts.

The audit log's ``AuditEntry`` lives in the ``audit`` app (every app's admin writes to it);
it is named here too for the code that has always imported it from the dashboard.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Membership, Tenant
from audit.models import AuditEntry  # noqa: F401 - re-exported, see above
from platforms.keys import Platform

ROLE_CHOICES = Membership.Role.choices

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


class Invitation(models.Model):
    """An invitation to a tenant's dashboard, sent by email; its link is signed, expires, and
    works once (``dashboard.team``)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"], name="invitation_by_tenant")]

    def __str__(self) -> str:
        return f"{self.email} to {self.tenant} ({self.role})"

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
