"""Recording actions in the audit log (who, what, when, tenant, target, detail).

The dashboard's views call ``record()``. The Django admin records through ``AuditedAdmin``, the
base of every ModelAdmin of our apps (it lives here, below them all, so no app's admin depends
on the dashboard): its actions (``admin.<model>.<action>``, one entry per
selected object), and each add, change and delete (``admin.<model>.add|change|delete``), in the
request that does them. Deleting through the "delete selected" action is recorded as deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.models import Tenant
from audit.models import AuditEntry
from mio_heal import clientip

# An action over "all N rows" of a big table records this many objects one by one; every entry
# then says how many were selected.
AUDIT_MAX_OBJECTS = 1000
ACTION_MAX = 64  # AuditEntry.action's length

# Every admin action name written to the log, with how it reads (filled as admins register).
ADMIN_ACTIONS: dict[str, str] = {}


def client_ip(request: HttpRequest) -> str | None:
    # Forwarded headers count only as far as the operator trusts its proxies (mio_heal.clientip).
    return clientip.client_ip(request) or None


def _entry(
    request: HttpRequest | None,
    action: str,
    tenant_id: int | None,
    target: Model | None,
    detail: dict[str, Any] | None,
    actor: str = "",
) -> AuditEntry:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        actor_name = user.get_username()
    else:
        # Work done outside a request (a command, a scheduled task) names its actor or "system".
        actor_name = actor[:150] or ("anonymous" if request is not None else "system")
    return AuditEntry(
        actor=user if signed_in else None,
        actor_name=actor_name,
        action=action[:ACTION_MAX],
        tenant_id=tenant_id,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        detail=detail or {},
        ip=client_ip(request) if request is not None else None,
    )


def record(
    request: HttpRequest | None,
    action: str,
    *,
    tenant_id: int | None,
    target: Model | None = None,
    detail: dict[str, Any] | None = None,
    actor: str = "",
) -> AuditEntry:
    entry = _entry(request, action, tenant_id, target, detail, actor)
    entry.save()
    return entry


def record_many(
    request: HttpRequest,
    action: str,
    targets: Iterable[tuple[Model, int | None]],
    detail: dict[str, Any] | None = None,
) -> int:
    """One entry per (object, tenant id), written in one statement per batch."""
    entries = [_entry(request, action, tenant_id, obj, detail) for obj, tenant_id in targets]
    AuditEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


ActionFunc = Callable[[admin.ModelAdmin, HttpRequest, QuerySet], HttpResponse | None]


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose actions, additions, changes and deletions go to the audit log.

    ``audit_tenant_via`` names the relation that carries ``tenant_id`` when the model has no
    ``tenant`` of its own (a platform account's person, an affected account's incident).
    """

    audit_tenant_via = ""

    def __init__(self, model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        verbose = model._meta.verbose_name
        for verb in ("add", "change", "delete"):
            ADMIN_ACTIONS[self.audit_action(verb)] = f"Admin: {verb} {verbose}"
        for name in self.actions or ():
            if isinstance(name, str):
                func = getattr(self, name)
                described = getattr(func, "short_description", name)
                ADMIN_ACTIONS[self.audit_action(name)] = f"Admin: {described} ({verbose})"

    def audit_action(self, verb: str) -> str:
        return f"admin.{self.model._meta.model_name}.{verb}"[:ACTION_MAX]

    def audit_tenant_id(self, obj: Model) -> int | None:
        if isinstance(obj, Tenant):
            return obj.pk
        holder = getattr(obj, self.audit_tenant_via, None) if self.audit_tenant_via else obj
        return getattr(holder, "tenant_id", None)

    def _audit(
        self, request: HttpRequest, verb: str, objs: Iterable[Model], detail: dict | None = None
    ) -> None:
        targets = [(obj, self.audit_tenant_id(obj)) for obj in objs]
        record_many(request, self.audit_action(verb), targets, detail)

    # --- actions ------------------------------------------------------------------------------
    def get_actions(self, request: HttpRequest) -> dict[str, tuple[Any, str, str]]:
        actions = super().get_actions(request)
        return {
            # Deleting is recorded by log_deletions() once confirmed, not on the confirm page.
            name: (func if name == "delete_selected" else self._audited(func, name), name, text)
            for name, (func, _, text) in actions.items()
        }

    def _audited(self, func: ActionFunc, name: str) -> ActionFunc:
        @wraps(func)
        def run(
            modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
        ) -> HttpResponse | None:
            chosen = queryset
            if self.audit_tenant_via:
                chosen = chosen.select_related(self.audit_tenant_via)
            # Read before the action: a delete or a state change must not hide what was chosen.
            chosen = list(chosen[: AUDIT_MAX_OBJECTS + 1])
            response = func(modeladmin, request, queryset)
            many = len(chosen) > AUDIT_MAX_OBJECTS
            selected = f"over {AUDIT_MAX_OBJECTS}" if many else len(chosen)
            self._audit(request, name, chosen[:AUDIT_MAX_OBJECTS], {"selected": selected})
            return response

        return run

    # --- add, change, delete (called where Django writes its own admin LogEntry) --------------
    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._audit(request, "add", [obj])
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        fields = _changed_fields(message)
        if fields:  # "Save" with nothing changed changes nothing
            self._audit(request, "change", [obj], {"fields": fields})
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)
        self._audit(request, "delete", queryset)
        return entries


def _changed_fields(message: Any) -> list[str]:
    """The field labels Django's change message lists (and changed inline objects)."""
    if not isinstance(message, list):
        return []
    fields: list[str] = []
    for part in message:
        for kind, about in part.items() if isinstance(part, dict) else ():
            if kind == "changed" and "name" not in about:
                fields += [str(f) for f in about.get("fields", [])]
            elif isinstance(about, dict) and "name" in about:
                fields.append(f"{kind} {about['name']}: {about.get('object', '')}"[:200])
    return fields
