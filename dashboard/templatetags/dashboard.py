"""Small formatting helpers for the dashboard's templates."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from dashboard.charts import STATE_LABELS

register = template.Library()
MENU_TENANTS = 10


@register.filter
def duration(seconds: float | None) -> str:
    """3 d 4 h, 2 h 5 min, 12 min, 40 s — or an em dash when unknown."""
    if seconds is None:
        return "—"
    s = int(seconds)
    days, rem = divmod(s, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@register.filter
def ago(moment: datetime | None) -> str:
    """ "just now" under a minute (never "0 minutes ago"), else "3 hours ago"."""
    if moment is None:
        return "—"
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.simple_tag
def state_badge(state: str) -> SafeString:
    # Colours live in dashboard.css (``.state-<key>``): no inline style, so the CSP needs none.
    key = state if state in STATE_LABELS else "other"
    return format_html(
        '<span class="badge state-{}">{}</span>', key, STATE_LABELS.get(state, state)
    )


@register.simple_tag(takes_context=True)
def my_tenants(context: dict) -> list:
    """The tenants a tenant-scoped user belongs to, for the menu (the operator, who sees every
    tenant, picks one on the overview instead)."""
    from dashboard.scoping import tenants

    request = context.get("request")
    if request is None or not request.user.is_authenticated or request.user.is_superuser:
        return []
    return list(tenants(request).only("name", "slug").order_by("name")[:MENU_TENANTS])


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
