"""Tenants (customer organisations), the people in them, and dashboard memberships."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from platforms.keys import Platform


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin).")


# A new tenant's prompt policy starts from the operator's environment (``POLICY_*`` settings);
# its admins change it on the dashboard's Policies page (``policies``).
def default_reminder_hours() -> list[int]:
    return list(settings.POLICY_REMINDER_HOURS)


def default_escalate_after_hours() -> int:
    return settings.POLICY_ESCALATE_AFTER_HOURS


def default_time_zone() -> str:
    return settings.POLICY_TIME_ZONE


class Tenant(models.Model):
    class AdminConfirmations(models.TextChoices):
        PER_USER = "per_user", "One message per re-synced user"
        DAILY_DIGEST = "daily_digest", "One daily digest"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    primary_platform = models.CharField(max_length=16, choices=Platform.choices)
    timezone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_timezone]
    )
    entra_tenant_id = models.CharField(
        max_length=64, blank=True, help_text="Directory (tenant) id in Microsoft Entra, if any."
    )
    # Prompt policy: when to remind an ignored prompt, when to escalate, when to stay quiet.
    reminder_hours = models.JSONField(
        default=default_reminder_hours, help_text="Hours after the first prompt to remind."
    )
    escalate_after_hours = models.PositiveIntegerField(
        default=default_escalate_after_hours,
        help_text="Hours after which an ignored user prompt goes to the admins.",
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    admin_confirmations = models.CharField(
        max_length=16, choices=AdminConfirmations.choices, default=AdminConfirmations.PER_USER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone whose chat Mio relays; may be a tenant admin. Not a Django user."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    is_tenant_admin = models.BooleanField(default=False)
    preferred_platform = models.CharField(max_length=16, choices=Platform.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"], name="person_unique_email_per_tenant"
            )
        ]
        indexes = [models.Index(fields=["tenant", "is_tenant_admin"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Membership(models.Model):
    """A dashboard user's access to one tenant."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin (can act)"
        VIEWER = "viewer", "Viewer (read only)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="The person this dashboard user is in the tenant, if any.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class ResyncLink(models.Model):
    """A signed, expiring, single-use re-sync link bound to a person, an account and an incident.

    The URL carries ``Signer(salt).sign_object({"l": pk, "n": nonce})`` (see
    ``accounts.resync.links``): nothing secret is stored here, the signature needs SECRET_KEY,
    and the same row always yields the same URL, so the outbox can render it at send time.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="resync_links")
    account = models.ForeignKey(
        "tokens.PlatformAccount", on_delete=models.CASCADE, related_name="resync_links"
    )
    incident = models.ForeignKey(
        "notifications.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resync_links",
    )
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "account", "-created_at"], name="resync_latest"),
            # Retention reads used and expired links by age (accounts.retention).
            models.Index(fields=["used_at"], name="resync_used"),
            models.Index(fields=["expires_at"], name="resync_expires"),
        ]

    def __str__(self) -> str:
        return f"Re-sync link #{self.pk} for {self.person_id} ({self.account_id})"
