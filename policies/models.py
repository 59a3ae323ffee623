"""A tenant's prompt policy, the part that is not on ``accounts.Tenant``.

The tenant row has carried the reminder and escalation schedule, the quiet hours and time zone
and the admin confirmations (per user or a daily digest) from the start; this app adds the
order of the channels a prompt tries and who receives the admin prompts. ``policies.rules``
reads all of them, so notifications asks one place. A tenant without a row follows the
operator's environment defaults (``POLICY_*`` settings).
"""

from __future__ import annotations

from django.db import models

from accounts.models import Person, Tenant


class ChannelOrder(models.TextChoices):
    CHAT_THEN_EMAIL = "chat_then_email", "Chat first, then email"
    EMAIL_THEN_CHAT = "email_then_chat", "Email first, then chat"
    CHAT_ONLY = "chat_only", "Chat only (never email)"


class Policy(models.Model):
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="policy")
    channel_order = models.CharField(max_length=20, choices=ChannelOrder.choices, blank=True)
    # Empty: every tenant admin (Person.is_tenant_admin) gets the admin prompts.
    admin_recipients = models.ManyToManyField(Person, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"Policy of {self.tenant}"
