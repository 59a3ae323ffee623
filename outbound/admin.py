"""The operations console's view of webhooks: endpoints and deliveries, read-mostly.

Endpoints are managed on the dashboard's Webhooks page (secrets are shown there once, and kept
encrypted); here an operator looks at them, disables a misbehaving one, and reads the log.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from audit.records import AuditedAdmin
from outbound.models import Attempt, Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(AuditedAdmin):
    list_display = ["url", "tenant", "event_types", "is_active", "failing_since", "disabled_at"]
    list_filter = ["is_active"]
    list_select_related = ["tenant"]
    search_fields = ["url", "tenant__slug"]
    readonly_fields = [
        "tenant",
        "url",
        "event_types",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "previous_secret_until",
        "created_at",
    ]
    exclude = ["secret", "previous_secret"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "latency_ms", "error"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(AuditedAdmin):
    audit_tenant_via = "endpoint"
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
    ]
    list_filter = ["status"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "endpoint",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "delivered_at",
        "last_status_code",
        "created_at",
    ]
    inlines = [AttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
