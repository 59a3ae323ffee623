"""The Policies page's form: the tenant's prompt policy in one form, validated, and the list of
what changed for the audit log."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms

from accounts.models import Person, Tenant
from policies.models import ChannelOrder, Policy

MAX_REMINDERS = 5
MAX_HOURS = 24 * 30


class PolicyForm(forms.Form):
    reminder_hours = forms.CharField(
        label="Remind after (hours)",
        max_length=60,
        required=False,
        help_text="Hours after the first prompt, comma-separated (24, 72). Empty: no reminders.",
    )
    escalate_after_hours = forms.IntegerField(
        label="Escalate to admins after (hours)",
        min_value=0,
        max_value=MAX_HOURS,
        help_text="A user prompt still ignored this long goes to the admins. 0: never.",
    )
    quiet_hours_start = forms.TimeField(label="Quiet hours from", required=False)
    quiet_hours_end = forms.TimeField(label="Quiet hours until", required=False)
    timezone = forms.ChoiceField(label="Time zone")
    channel_order = forms.ChoiceField(label="Channel order", choices=ChannelOrder.choices)
    admin_recipients = forms.ModelMultipleChoiceField(
        label="Admin prompts go to",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every tenant admin.",
    )
    admin_confirmations = forms.ChoiceField(
        label="Re-synced users are reported", choices=Tenant.AdminConfirmations.choices
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["timezone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
        self.fields["admin_recipients"].queryset = Person.objects.filter(
            tenant=tenant, is_tenant_admin=True
        ).order_by("name")

    def clean_reminder_hours(self) -> list[int]:
        raw = self.cleaned_data["reminder_hours"]
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if len(parts) > MAX_REMINDERS:
            raise forms.ValidationError(f"At most {MAX_REMINDERS} reminders.")
        try:
            hours = sorted({int(p) for p in parts})
        except ValueError:
            raise forms.ValidationError("Whole hours, separated by commas: 24, 72.") from None
        if any(h < 1 or h > MAX_HOURS for h in hours):
            raise forms.ValidationError(f"Each between 1 and {MAX_HOURS} hours.")
        return hours

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both ends of the quiet hours, or neither.")
        return data


def initial_for(tenant: Tenant, policy: Policy | None, channel_order: str) -> dict[str, Any]:
    return {
        "reminder_hours": ", ".join(str(h) for h in tenant.reminder_hours or []),
        "escalate_after_hours": tenant.escalate_after_hours,
        "quiet_hours_start": tenant.quiet_hours_start,
        "quiet_hours_end": tenant.quiet_hours_end,
        "timezone": tenant.timezone,
        "channel_order": channel_order,
        "admin_recipients": list(policy.admin_recipients.all()) if policy and policy.pk else [],
        "admin_confirmations": tenant.admin_confirmations,
    }


TENANT_FIELDS = (
    "reminder_hours",
    "escalate_after_hours",
    "quiet_hours_start",
    "quiet_hours_end",
    "timezone",
    "admin_confirmations",
)


def _shown(value: Any) -> Any:
    """A value as the audit log keeps it (JSON): times and zones as text."""
    if value is None or isinstance(value, (int, list)):
        return value
    return str(value)


def save(form: PolicyForm) -> dict[str, list[Any]]:
    """Store the form; returns {field: [before, after]} for what changed."""
    tenant, data = form.tenant, form.cleaned_data
    policy, _ = Policy.objects.get_or_create(tenant=tenant)
    changed: dict[str, list[Any]] = {}
    for name in TENANT_FIELDS:
        old = getattr(tenant, name)
        if old != data[name]:
            changed[name] = [_shown(old), _shown(data[name])]
        setattr(tenant, name, data[name])
    tenant.save(update_fields=list(TENANT_FIELDS))
    if policy.channel_order != data["channel_order"]:
        changed["channel_order"] = [policy.channel_order or "default", data["channel_order"]]
        policy.channel_order = data["channel_order"]
        policy.save(update_fields=["channel_order", "updated_at"])
    before = list(policy.admin_recipients.order_by("pk"))
    after = sorted(data["admin_recipients"], key=lambda p: p.pk)
    if [p.pk for p in before] != [p.pk for p in after]:
        changed["admin_recipients"] = [[p.email for p in before], [p.email for p in after]]
        policy.admin_recipients.set(after)
    return changed
