"""The dashboard's own tables in the staff console: read-only (the audit log is evidence)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from dashboard import lockout
from dashboard.audit import ADMIN_ACTIONS, AuditedAdmin
from dashboard.models import AuditEntry, DailySnapshot
from mio_heal.admin_tools import CappedCountPaginator


class ReadOnlyAdmin(AuditedAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ActionFilter(admin.SimpleListFilter):
    """The known actions (a plain field filter would scan the table for distinct values)."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        from dashboard.views.audit import ACTIONS

        # The dashboard's own actions, then the admin's (recorded by AuditedAdmin).
        return [*ACTIONS.items(), *sorted(ADMIN_ACTIONS.items())]

    def queryset(self, request: HttpRequest, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "tenant", "target_label", "ip"]
    list_filter = [ActionFilter, "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["actor_name", "target_label"]
    date_hierarchy = None


@admin.register(DailySnapshot)
class DailySnapshotAdmin(ReadOnlyAdmin):
    list_display = [
        "day",
        "tenant",
        "platform",
        "total",
        "healthy",
        "healing",
        "waiting_user",
        "waiting_admin",
        "prompts_sent",
        "median_heal_seconds",
    ]
    list_filter = ["platform", "tenant"]
    list_select_related = ["tenant"]


# --- dashboard users: the operator may lift a sign-in lockout (dashboard/lockout.py) ---------
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class DashboardUserAdmin(AuditedAdmin, UserAdmin):
    actions = ["unlock_sign_in"]

    @admin.action(description="Unlock sign-in (lift a lockout after failed attempts)")
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Recorded in the audit log per user, as every admin action (AuditedAdmin).
        lifted = sum(lockout.unlock(lockout.subject_of_user(user)) for user in queryset)
        self.message_user(
            request, f"Sign-in unlocked for {queryset.count()} user(s) ({lifted} were locked)."
        )
