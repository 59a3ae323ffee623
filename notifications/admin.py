"""The staff console for incidents, the outbox and re-sync links.

Every action, change and deletion here is written to the audit log (``AuditedAdmin``), like the
same actions in the dashboard.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import ResyncLink
from audit.records import AuditedAdmin
from mio_heal.admin_tools import CappedCountPaginator, SavesEditedFieldsOnly
from notifications import services
from notifications.models import AffectedAccount, Incident, OutboxMessage
from notifications.outbox import schedule_delivery


class BigTableAdmin(AuditedAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False


class MessageInline(admin.TabularInline):
    model = OutboxMessage
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["kind", "template", "recipient", "channel", "status", "attempts", "sent_at"]
    readonly_fields = fields


@admin.register(Incident)
class IncidentAdmin(SavesEditedFieldsOnly, BigTableAdmin):
    list_display = [
        "id",
        "tenant",
        "platform",
        "situation",
        "audience",
        "tenant_wide",
        "affected_count",
        "status",
        "opened_at",
        "prompted_at",
        "resolution",
    ]
    list_filter = ["status", "situation", "platform", "audience", "resolution", "tenant_wide"]
    list_select_related = ["tenant"]
    search_fields = ["tenant__slug", "account__person__email", "account__upstream_user_id"]
    raw_id_fields = ["tenant", "credential", "account"]
    readonly_fields = [
        "open_key",
        "evidence",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "affected_accounts",
    ]
    inlines = [MessageInline]
    actions = ["resend_prompt", "resolve_incidents", "verify_now", "snooze_day", "mute", "unmute"]

    @admin.display(description="Affected accounts")
    def affected_accounts(self, incident: Incident) -> str:
        # A tenant-wide incident may list thousands: the first few here, all of them one click
        # away in the affected-accounts list filtered on this incident.
        links = AffectedAccount.objects.filter(incident=incident).select_related("account")
        shown = [
            f"{link.account.email if link.account else f'credential {link.credential_id}'}"
            + (f" (left: {link.get_left_as_display()})" if link.recovered_at else "")
            for link in links.order_by("pk")[:20]
        ]
        url = reverse("admin:notifications_affectedaccount_changelist")
        return format_html(
            "{}<br><a href='{}?incident__id__exact={}'>All affected accounts</a>",
            ", ".join(shown) or "—",
            url,
            incident.pk,
        )

    @admin.action(description="Resend the prompt")
    def resend_prompt(self, request: HttpRequest, queryset: QuerySet) -> None:
        who = request.user.get_username()
        sent = sum(services.resend(incident, by=who) for incident in queryset[:100])
        self.message_user(request, f"{sent} prompt(s) queued.", messages.SUCCESS)

    @admin.action(description="Resolve (close by hand)")
    def resolve_incidents(self, request: HttpRequest, queryset: QuerySet) -> None:
        who = request.user.get_username()
        closed = sum(services.close_incident(i, by=who) for i in queryset.filter(status="open"))
        self.message_user(request, f"{closed} incident(s) resolved.", messages.SUCCESS)

    @admin.action(description="Snooze reminders for 24 hours")
    def snooze_day(self, request: HttpRequest, queryset: QuerySet) -> None:
        until = timezone.now() + timedelta(hours=24)
        for incident in queryset.filter(status="open")[:500]:
            services.snooze(incident, until)
        self.message_user(request, f"Snoozed until {until:%Y-%m-%d %H:%M} UTC.")

    @admin.action(description="Mute (no more reminders or escalation)")
    def mute(self, request: HttpRequest, queryset: QuerySet) -> None:
        for incident in queryset[:500]:
            services.mute(incident, True)
        self.message_user(request, "Muted.")

    @admin.action(description="Unmute")
    def unmute(self, request: HttpRequest, queryset: QuerySet) -> None:
        for incident in queryset[:500]:
            services.mute(incident, False)
        self.message_user(request, "Unmuted.")

    @admin.action(description="Verify now (re-check the affected accounts)")
    def verify_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        for incident in queryset.filter(status="open")[:20]:
            result = services.verify_incident(incident)
            self.message_user(
                request,
                f"Incident {incident.pk}: {result.working}/{result.checked} working"
                + (" — resolved." if result.resolved else "."),
            )


@admin.register(AffectedAccount)
class AffectedAccountAdmin(SavesEditedFieldsOnly, BigTableAdmin):
    audit_tenant_via = "incident"
    list_display = [
        "id",
        "incident",
        "account",
        "credential",
        "added_at",
        "recovered_at",
        "left_as",
    ]
    list_filter = ["left_as"]
    list_select_related = ["incident", "account__person", "credential"]
    search_fields = ["account__email", "account__upstream_user_id"]
    raw_id_fields = ["incident", "credential", "account"]
    readonly_fields = ["evidence", "added_at", "recovered_at", "left_as"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(SavesEditedFieldsOnly, BigTableAdmin):
    list_display = [
        "id",
        "tenant",
        "kind",
        "template",
        "recipient",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind", "template", "channel", "audience"]
    list_select_related = ["tenant", "recipient"]
    search_fields = ["recipient__email", "idempotency_key", "provider_message_id"]
    raw_id_fields = ["tenant", "incident", "recipient", "resync_link"]
    readonly_fields = [
        "idempotency_key",
        "claim_token",
        "claimed_until",
        "tried_channels",
        "last_error",
        "provider_message_id",
        "sent_at",
        "created_at",
        "updated_at",
    ]
    actions = ["resend_messages"]

    @admin.action(description="Send again (failed, unconfirmed or cancelled messages)")
    def resend_messages(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = list(queryset.values_list("pk", flat=True)[:500])
        requeued = services.requeue_messages(chosen)
        skipped = len(chosen) - len(requeued)
        for pk in requeued:
            schedule_delivery(pk)
        text = f"{len(requeued)} message(s) queued again."
        if skipped:
            text += (
                f" {skipped} skipped: only failed, unconfirmed or cancelled messages are sent"
                " again (the others are sent, pending or being sent right now)."
            )
        self.message_user(request, text, messages.SUCCESS if requeued else messages.WARNING)


@admin.register(ResyncLink)
class ResyncLinkAdmin(BigTableAdmin):
    audit_tenant_via = "person"
    list_display = ["id", "person", "account", "incident", "created_at", "expires_at", "used_at"]
    list_filter = ["account__platform"]
    list_select_related = ["person", "account__person", "incident"]
    search_fields = ["person__email"]
    raw_id_fields = ["person", "account", "incident"]
    # The nonce is half of what the signed URL carries; it is not shown or edited.
    exclude = ["nonce"]
    readonly_fields = ["created_at", "used_at"]
