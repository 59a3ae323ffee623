"""State of the fake platforms. Like a real platform, the sandbox keeps only token *hashes*."""

from __future__ import annotations

from django.db import models

from platforms.keys import Platform


class SandboxUser(models.Model):
    platform = models.CharField(max_length=16, choices=Platform.choices)
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    upstream_id = models.CharField(max_length=128)
    workspace_id = models.CharField(max_length=128)
    # The situation this user's tokens fail with (DESIGN.md key), or blank when healthy.
    situation = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "email"], name="sandbox_user_unique"),
        ]
        indexes = [models.Index(fields=["platform", "upstream_id"])]

    def __str__(self) -> str:
        return f"{self.platform}:{self.email}"


class SandboxToken(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access"
        REFRESH = "refresh"
        BOT = "bot"
        CODE = "code"

    platform = models.CharField(max_length=16, choices=Platform.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    # Authorization codes: redirect URI, PKCE challenge, nonce, scopes, client id.
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.platform} {self.kind} token #{self.pk}"


class SandboxScript(models.Model):
    """Answer the next ``times_left`` calls of an endpoint with exactly this response."""

    platform = models.CharField(max_length=16, choices=Platform.choices)
    endpoint = models.CharField(max_length=64)
    user_email = models.EmailField(blank=True)  # blank: any caller
    status = models.PositiveSmallIntegerField(default=200)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    times_left = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["platform", "endpoint", "times_left"])]

    def __str__(self) -> str:
        return f"{self.platform}/{self.endpoint} x{self.times_left}"


class SandboxFaults(models.Model):
    platform = models.CharField(max_length=16, choices=Platform.choices, unique=True)
    error_rate = models.FloatField(default=0.0)
    latency_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.platform}: {self.error_rate:.0%} errors, {self.latency_ms} ms"


class SandboxMessage(models.Model):
    """What a platform delivered: the inbox."""

    platform = models.CharField(max_length=16, choices=Platform.choices)
    recipient = models.CharField(max_length=254, db_index=True)  # email
    at = models.DateTimeField(auto_now_add=True)
    payload = models.TextField()  # the raw request body as the platform received it
    content_type = models.CharField(max_length=100, default="application/json")
    kind = models.CharField(max_length=32, default="message")
    # Who sent it with their own (user) token, as a relay does; blank: the platform's bot.
    sender = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["platform", "recipient", "at"])]

    def __str__(self) -> str:
        return f"{self.platform} {self.kind} to {self.recipient}"
