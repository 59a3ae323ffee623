"""The worker heartbeat on the dashboard: a banner when work is late, a "last ran" table.

Operators only (staff and superusers): a tenant admin can do nothing about the workers.
Kept as two inclusion tags so the dashboard's templates carry one line each.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


def _operator(context: template.Context) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


@register.inclusion_tag("operations/banner.html", takes_context=True)
def worker_banner(context: template.Context) -> dict[str, Any]:
    if not _operator(context):
        return {"late": []}
    from operations.heartbeat import scheduler_late, statuses

    late = [status for status in statuses() if status.late]
    return {"late": late, "scheduler_late": scheduler_late()}


@register.inclusion_tag("operations/heartbeats.html", takes_context=True)
def worker_heartbeats(context: template.Context) -> dict[str, Any]:
    if not _operator(context):
        return {"show": False}
    from operations.heartbeat import statuses

    return {"show": True, "statuses": statuses()}
