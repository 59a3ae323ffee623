"""The staff console for tenants, people and dashboard memberships (all audited)."""

from __future__ import annotations

from django.contrib import admin

from accounts.models import Membership, Person, Tenant
from audit.records import AuditedAdmin
from mio_heal.admin_tools import CappedCountPaginator


@admin.register(Tenant)
class TenantAdmin(AuditedAdmin):
    list_display = ["name", "slug", "primary_platform", "timezone", "entra_tenant_id"]
    list_filter = ["primary_platform", "admin_confirmations"]
    search_fields = ["name", "slug", "entra_tenant_id"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ["name", "email", "tenant", "is_tenant_admin", "preferred_platform"]
    list_filter = ["is_tenant_admin", "preferred_platform", "tenant"]
    search_fields = ["name", "email"]
    list_select_related = ["tenant"]
    raw_id_fields = ["tenant"]
    paginator = CappedCountPaginator
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "tenant", "role", "person"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name"]
    list_select_related = ["user", "tenant", "person"]
    raw_id_fields = ["user", "person"]
