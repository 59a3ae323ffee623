"""Small formatting helpers for the dashboard's templates."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dashboard.charts import STATE_COLOURS, STATE_LABELS

register = template.Library()


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


@register.simple_tag
def state_badge(state: str) -> SafeString:
    # The colour comes from a class in dashboard.css (no inline styles: the CSP forbids them).
    known = state if state in STATE_COLOURS else "other"
    return format_html(
        '<span class="badge badge--{}">{}</span>', known, STATE_LABELS.get(state, state)
    )


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
