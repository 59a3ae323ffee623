"""Tenant scoping: the one place that decides which tenants a dashboard user may see.

Every dashboard view goes through ``scope()`` / ``get_scoped_or_404()``: a user sees the tenants
of their ``accounts.Membership`` rows, a superuser sees every tenant, and an object of any other
tenant answers 404 (not 403: it does not exist for them).
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import Membership, Tenant

M = TypeVar("M", bound=Model)

_CACHE_ATTR = "_dashboard_tenant_ids"
_ADMIN_CACHE_ATTR = "_dashboard_admin_tenant_ids"


def tenant_ids(request: HttpRequest) -> set[int] | None:
    """The ids of the tenants this request's user may see; None means every tenant."""
    if not hasattr(request, _CACHE_ATTR):
        user = request.user
        if user.is_superuser:
            ids, admin_ids = None, None
        else:
            rows = list(Membership.objects.filter(user_id=user.pk).values_list("tenant_id", "role"))
            ids = {tid for tid, _ in rows}
            admin_ids = {tid for tid, role in rows if role == Membership.Role.ADMIN}
        setattr(request, _CACHE_ATTR, ids)
        setattr(request, _ADMIN_CACHE_ATTR, admin_ids)
    return getattr(request, _CACHE_ATTR)


def scope(queryset: QuerySet[M], request: HttpRequest, field: str = "tenant") -> QuerySet[M]:
    """``queryset`` narrowed to the user's tenants; ``field`` is the path to the tenant."""
    ids = tenant_ids(request)
    if ids is None:
        return queryset
    lookup = "pk__in" if field == "pk" else f"{field}__in"
    return queryset.filter(**{lookup: ids})


def tenants(request: HttpRequest) -> QuerySet[Tenant]:
    return scope(Tenant.objects.all(), request, field="pk")


def get_scoped_or_404(
    queryset: QuerySet[M], request: HttpRequest, field: str = "tenant", **lookup: object
) -> M:
    """One object of the user's tenants, or 404 whether it is missing or another tenant's."""
    try:
        return scope(queryset, request, field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from None


def can_act(request: HttpRequest, tenant_id: int | None) -> bool:
    """Viewers read; admins of the tenant (and superusers) act."""
    tenant_ids(request)
    admin_ids = getattr(request, _ADMIN_CACHE_ATTR)
    return admin_ids is None or (tenant_id is not None and tenant_id in admin_ids)
