"""Incidents, the accounts they affect, and the prompt outbox.

An *incident* is one problem that needs a person: one per (account, situation) while open, or
one per (tenant, platform, situation) for admin situations that hit many accounts at once
(``tenant_wide`` in ``tokens.situations.CATALOGUE``). The ``open_key`` column holds that
identity while the incident is open (NULL once resolved), and its UNIQUE index is what makes
"one open incident" true under concurrent checks, on SQLite and PostgreSQL alike.

The *outbox* holds every message to a person (prompt, reminder, escalation, confirmation). Rows
are written in the same transaction as the incident they belong to and delivered by
``notifications.delivery``; ``idempotency_key`` is UNIQUE so the same logical message can never
be queued twice.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Person, Tenant
from platforms.keys import Platform
from tokens.models import Credential, PlatformAccount
from tokens.situations import Audience, Situation


class Resolution(models.TextChoices):
    USER_RESYNC = "user_resync", "User re-synced"
    ADMIN_VERIFIED = "admin_verified", "Admin fix verified"
    RECOVERED = "recovered", "Recovered on its own"
    SUPERSEDED = "superseded", "Replaced by another situation"
    CLOSED = "closed", "Closed by an admin"


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="incidents")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    situation = models.CharField(max_length=32, choices=Situation.choices)
    audience = models.CharField(max_length=16, choices=Audience.choices)
    tenant_wide = models.BooleanField(default=False)
    # Account-level incidents name their credential (and account, for people); tenant-level
    # incidents list theirs in ``affected``.
    credential = models.ForeignKey(
        Credential, on_delete=models.CASCADE, null=True, blank=True, related_name="incidents"
    )
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="incidents"
    )
    open_key = models.CharField(max_length=96, unique=True, null=True, blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    evidence = models.JSONField(null=True, blank=True, help_text="The evidence it was opened with.")
    affected_count = models.PositiveIntegerField(default=0)

    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)

    # The prompt policy's bookkeeping (reminders and escalation count from the first prompt).
    prompted_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["tenant", "status", "platform"], name="incident_tenant"),
            models.Index(fields=["status", "situation"], name="incident_situation"),
            models.Index(fields=["status", "prompted_at"], name="incident_prompted"),
            # Retention reads resolved incidents by age (notifications.retention).
            models.Index(fields=["status", "resolved_at"], name="incident_resolved"),
        ]

    def __str__(self) -> str:
        scope = "tenant-wide" if self.tenant_wide else f"account {self.account_id}"
        return f"{self.get_situation_display()} on {self.get_platform_display()} ({scope})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @staticmethod
    def key_for_account(credential_id: int, situation: str) -> str:
        return f"a:{credential_id}:{situation}"

    @staticmethod
    def key_for_tenant(tenant_id: int, platform: str, situation: str) -> str:
        return f"t:{tenant_id}:{platform}:{situation}"


class AffectedAccount(models.Model):
    """An account (credential) an incident affects; ``recovered_at`` once it works again."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    credential = models.ForeignKey(
        Credential, on_delete=models.CASCADE, related_name="incident_links"
    )
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    recovered_at = models.DateTimeField(null=True, blank=True)
    # How it left the incident: working again (and how), or moved to another situation.
    left_as = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    evidence = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "credential"], name="affected_once")
        ]
        indexes = [models.Index(fields=["credential", "recovered_at"], name="affected_open")]

    def __str__(self) -> str:
        return f"credential {self.credential_id} in incident {self.incident_id}"


class OutboxMessage(models.Model):
    """One message to one person (or the operator), delivered at most once per key."""

    class Kind(models.TextChoices):
        PROMPT = "prompt", "Prompt"
        REMINDER = "reminder", "Reminder"
        ESCALATION = "escalation", "Escalation"
        CONFIRMATION = "confirmation", "Confirmation"

    class Template(models.TextChoices):
        USER_PROMPT = "user_prompt", "User: re-sync prompt"
        ADMIN_PROMPT = "admin_prompt", "Admin: fix prompt"
        OPERATOR_ALERT = "operator_alert", "Operator: configuration alert"
        ESCALATION = "escalation", "Admin: ignored user prompt"
        USER_RESYNCED = "user_resynced", "User: you're re-synced"
        ADMIN_USER_RESYNCED = "admin_user_resynced", "Admin: a user's token was refreshed"
        ADMIN_DIGEST = "admin_digest", "Admin: daily re-sync digest"
        ADMIN_CONFIGURED = "admin_configured", "Admin: platform configured"
        UNREACHED = "unreached", "Operator: a message reached nobody"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        # The send was cut off (worker died, answer lost) and the channel cannot say whether it
        # arrived: not resent; the reminder schedule covers it.
        UNCONFIRMED = "unconfirmed", "Unconfirmed (may have arrived)"

    EMAIL = "email"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="outbox")
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    recipient = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    recipient_email = models.EmailField(blank=True, help_text="Operator alerts: who to email.")
    audience = models.CharField(max_length=16, choices=Audience.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    template = models.CharField(max_length=24, choices=Template.choices)
    context = models.JSONField(default=dict, blank=True)
    resync_link = models.ForeignKey(
        "accounts.ResyncLink", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # Delivery: the channel in use (a platform key, or "email") is stored before each send, so
    # a recovering worker knows where to ask whether the message arrived.
    channel = models.CharField(max_length=16)
    tried_channels = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=160, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=256, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # Retention reads finished digests (no incident) by age.
            models.Index(fields=["incident", "created_at"], name="outbox_age"),
            models.Index(fields=["status", "claimed_until"], name="outbox_stuck"),
            models.Index(fields=["incident", "kind"], name="outbox_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id or self.recipient_email}"

    def __repr__(self) -> str:
        return f"<OutboxMessage #{self.pk} {self.template} {self.status} via {self.channel}>"
