"""Recording dashboard actions in the audit log (who, what, when, tenant, target, detail)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from dashboard.models import AuditEntry


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a forwarded header is client-controlled unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") or None


def record(
    request: HttpRequest,
    action: str,
    *,
    tenant_id: int | None,
    target: Model | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    user = request.user
    return AuditEntry.objects.create(
        actor=user if user.is_authenticated else None,
        actor_name=user.get_username() if user.is_authenticated else "anonymous",
        action=action,
        tenant_id=tenant_id,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        detail=detail or {},
        ip=client_ip(request),
    )
