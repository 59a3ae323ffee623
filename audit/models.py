"""The audit log: who did what, when, to what, in which tenant.

Its own app, below the dashboard, accounts, tokens and notifications, so every app's Django
admin (``audit.audited_admin.AuditedAdmin``) and the dashboard's views record here without
depending on each other. The table keeps its first name (``dashboard_auditentry``): the model
moved here from the dashboard without touching the data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Tenant


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
        db_table = "dashboard_auditentry"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_label}"
