"""Quiet hours: prompts, reminders and escalations wait until the tenant's quiet hours end."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from accounts.models import Tenant
from policies import rules


def in_quiet_hours(start: time | None, end: time | None, local: time) -> bool:
    """Whether ``local`` falls in [start, end); a window may wrap past midnight (22:00-07:00)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(tenant: Tenant, moment: datetime) -> datetime:
    """``moment`` itself, or the end of the quiet hours it falls in (in the tenant's zone)."""
    start, end = rules.quiet_hours(tenant)
    zone = rules.time_zone(tenant)
    local = moment.astimezone(zone)
    if not in_quiet_hours(start, end, local.time()):
        return moment
    assert end is not None
    wake = datetime.combine(local.date(), end, tzinfo=zone)
    if wake <= local:
        wake = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    # Through UTC, so a DST change inside the quiet hours lands on the right wall-clock time.
    return wake.astimezone(UTC)
