"""Platform accounts, bot installations, their credentials (encrypted) and check history."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Person, Tenant
from platforms.keys import Platform
from tokens.fields import EncryptedTextField
from tokens.situations import Situation


class CredentialState(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked yet"
    HEALTHY = "healthy", "Healthy"
    HEALING = "healing", "Healing (retrying)"
    WAITING_USER = "waiting_user", "Waiting on the user"
    WAITING_ADMIN = "waiting_admin", "Waiting on an admin"
    WAITING_OPERATOR = "waiting_operator", "Waiting on the operator"
    DISABLED = "disabled", "Removed from sync"


class Credential(models.Model):
    """One OAuth grant: a person's user token, or the Mio bot's token in a tenant."""

    class Kind(models.TextChoices):
        USER = "user", "User"
        BOT = "bot", "Bot"

    # tenant and platform are copied here from the owner so the health engine and the dashboard
    # filter and count on one table, with one index.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="credentials")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.USER)

    access_token = EncryptedTextField(null=True, blank=True)
    refresh_token = EncryptedTextField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Access token expiry.")
    refresh_token_issued_at = models.DateTimeField(null=True, blank=True)
    refresh_token_last_used_at = models.DateTimeField(null=True, blank=True)
    refresh_token_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Absolute expiry of the refresh token, when known."
    )
    scopes = models.JSONField(default=list, blank=True)

    state = models.CharField(
        max_length=20, choices=CredentialState.choices, default=CredentialState.UNCHECKED
    )
    situation = models.CharField(max_length=32, choices=Situation.choices, blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    failure_count = models.PositiveIntegerField(default=0)
    last_evidence = models.JSONField(null=True, blank=True)

    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(default=timezone.now)
    # A worker's claim; it lapses by itself if the worker dies.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    # Held while a refresh is in flight (rotating refresh tokens must never be redeemed twice).
    refresh_locked_until = models.DateTimeField(null=True, blank=True)
    # A refresh the platform honoured but whose answer Mio could not read: the old refresh token
    # may be spent, through no fault of the user. Until the operator acts (or a refresh stores a
    # new refresh token again) every failure of this credential goes to the operator, never to
    # its user (``tokens.redemption``).
    grant_lost_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a refresh the platform honoured could not be read; the operator holds "
        "this credential until they act.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_check_at"], name="credential_due"),
            models.Index(fields=["tenant", "platform", "state"], name="credential_state"),
            models.Index(fields=["state", "situation"], name="credential_situation"),
            # The sweep's claim: one platform's user credentials in due order.
            models.Index(
                fields=["platform", "next_check_at"],
                name="credential_claim",
                condition=models.Q(kind="user"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.kind} credential #{self.pk}"

    def __repr__(self) -> str:
        return f"<Credential #{self.pk} {self.platform} {self.kind} {self.state}>"


class PlatformAccount(models.Model):
    """A person's identity on one platform: who they are upstream and how to reach them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="accounts")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    upstream_user_id = models.CharField(
        max_length=128, help_text="The platform's own user id (Slack U…, Entra object id, …)."
    )
    workspace_id = models.CharField(
        max_length=128, blank=True, help_text="Slack team, Entra tenant, Zoom account, Webex org."
    )
    email = models.EmailField(blank=True, help_text="The email the platform knows them by.")
    conversation_id = models.CharField(
        max_length=256, blank=True, help_text="Cached bot conversation (Teams proactive messages)."
    )
    chat_address = models.CharField(
        max_length=256,
        blank=True,
        help_text="How the bot addresses this person, as the platform names it (Zoom: the JID "
        "from GET /v2/users/me; Teams: the 29:… user id). Read at sign-in and re-sync.",
    )
    credential = models.OneToOneField(
        Credential, on_delete=models.PROTECT, related_name="account", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "platform"], name="account_one_per_platform"),
            models.UniqueConstraint(
                fields=["platform", "workspace_id", "upstream_user_id"],
                name="account_unique_upstream",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.email} on {self.get_platform_display()}"


class Installation(models.Model):
    """The Mio bot/app installed in a tenant's workspace on one platform."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="installations")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    workspace_id = models.CharField(max_length=128)
    bot_user_id = models.CharField(
        max_length=128, blank=True, help_text="Slack bot user, Zoom robot JID, Teams/Webex bot id."
    )
    service_url = models.URLField(blank=True, help_text="Bot Framework service URL (Teams).")
    credential = models.OneToOneField(
        Credential, on_delete=models.PROTECT, related_name="installation", null=True, blank=True
    )
    is_active = models.BooleanField(default=True)
    installed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "platform"], name="installation_one_per_platform"
            )
        ]

    def __str__(self) -> str:
        return f"Mio on {self.get_platform_display()} for {self.tenant}"


class CheckRecord(models.Model):
    """One check of one credential: what was found, with the evidence, and how long it took."""

    class Source(models.TextChoices):
        SCHEDULE = "schedule", "Scheduled sweep"
        EVENT = "event", "Platform event"
        RELAY = "relay", "Relay failure"
        MANUAL = "manual", "Manual"
        RESYNC = "resync", "User re-sync"

    class Outcome(models.TextChoices):
        OK = "ok", "Healthy"
        HEALED = "healed", "Healed silently"
        TRANSIENT = "transient", "Transient fault"
        PROBLEM = "problem", "Needs a person"

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SCHEDULE)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    situation = models.CharField(max_length=32, choices=Situation.choices, blank=True)
    state_after = models.CharField(max_length=20, choices=CredentialState.choices)
    evidence = models.JSONField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["credential", "-checked_at"], name="check_history"),
            models.Index(fields=["checked_at"], name="check_retention"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.situation or ''} @ {self.checked_at:%Y-%m-%d %H:%M}"


class ProcessedEvent(models.Model):
    """A platform event already handled: platforms retry deliveries, we act on each id once.

    Rows older than ``HEALTH_EVENT_RETENTION_DAYS`` are deleted by the retention task; platforms
    stop retrying long before that (Slack after about an hour, Graph and Zoom within a day).
    """

    platform = models.CharField(max_length=16, choices=Platform.choices)
    event_id = models.CharField(max_length=200)
    event = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "event_id"], name="event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.event or 'event'} {self.event_id}"


def all_relay_scopes() -> list[str]:
    return ["tokens:read", "events:write", "read"]


class RelayApiKey(models.Model):
    """A tenant's key for the relay API (``/api/v1/``, ``POST /api/relay-failures/``).

    Only a SHA-256 of the key is stored. ``scopes``: ``tokens:read`` (the token API),
    ``events:write`` (send outcomes, failure reports), ``read`` (accounts, incidents).

    The key is 32 random bytes, so a plain (unsalted) hash is enough: nobody can brute-force it,
    and a hash lookup keeps authentication to one indexed query.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="relay_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(
        max_length=16, help_text="The key's first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=all_relay_scopes)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.tenant}"

    def __repr__(self) -> str:
        return f"<RelayApiKey #{self.pk} {self.prefix}… tenant={self.tenant_id}>"


class WorkspaceBackoff(models.Model):
    """A platform told us (Retry-After) to leave one workspace alone until ``until``.

    Shared by every worker through the database, so a 429 seen by one worker slows all of them.
    """

    platform = models.CharField(max_length=16, choices=Platform.choices)
    workspace_id = models.CharField(max_length=128, blank=True)
    until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "workspace_id"], name="backoff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}/{self.workspace_id or '-'} until {self.until:%H:%M:%S}"
