"""The tenant's prompt policy, one small function per question notifications asks.

Each answer comes from the tenant (and its ``policies.Policy`` row), falling back to the
operator's environment defaults (``POLICY_*`` settings) where the tenant has chosen nothing.
"""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.conf import settings

from accounts.models import Person, Tenant
from policies.models import ChannelOrder, Policy

EMAIL = "email"


def _policy(tenant: Tenant) -> Policy | None:
    # Cached on the tenant object: a delivery asks several questions about one tenant.
    if not hasattr(tenant, "_mio_policy"):
        tenant._mio_policy = Policy.objects.filter(tenant=tenant).first()
    return tenant._mio_policy


def reminder_hours(tenant: Tenant) -> list[int]:
    hours = tenant.reminder_hours
    if hours is None:
        hours = settings.POLICY_REMINDER_HOURS
    return sorted(int(h) for h in hours if int(h) > 0)


def escalate_after_hours(tenant: Tenant) -> int:
    """0 means never escalate."""
    hours = tenant.escalate_after_hours
    return settings.POLICY_ESCALATE_AFTER_HOURS if hours is None else int(hours)


def quiet_hours(tenant: Tenant) -> tuple[time | None, time | None]:
    return tenant.quiet_hours_start, tenant.quiet_hours_end


def time_zone(tenant: Tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tenant.timezone or settings.POLICY_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def daily_digest(tenant: Tenant) -> bool:
    """Admins hear of re-synced users in one daily digest rather than one message each."""
    return tenant.admin_confirmations == Tenant.AdminConfirmations.DAILY_DIGEST


def channel_order(tenant: Tenant) -> str:
    policy = _policy(tenant)
    return (policy.channel_order if policy else "") or settings.POLICY_CHANNEL_ORDER


def order_channels(tenant: Tenant, chat: list[str]) -> list[str]:
    """``chat`` (the person's platforms, best first) with email where the policy puts it."""
    order = channel_order(tenant)
    if order == ChannelOrder.CHAT_ONLY:
        return list(chat)
    if order == ChannelOrder.EMAIL_THEN_CHAT:
        return [EMAIL, *chat]
    return [*chat, EMAIL]


def admin_recipients(tenant: Tenant) -> list[Person]:
    """Who receives the admin prompts: the people the policy names, else every tenant admin."""
    policy = _policy(tenant)
    if policy is not None and policy.pk:
        named = list(policy.admin_recipients.filter(tenant=tenant).order_by("pk"))
        if named:
            return named
    return list(Person.objects.filter(tenant=tenant, is_tenant_admin=True).order_by("pk"))
