"""The staff console for credentials, accounts, installations and their history.

Every action, change and deletion is written to the audit log (``AuditedAdmin``). Workers write
credentials all the time (rotated refresh tokens, expiries, state), so the credential form saves
only the columns the operator changed in it, never the others.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.records import AuditedAdmin
from mio_heal.admin_tools import CappedCountPaginator, SavesEditedFieldsOnly, mask
from tokens.models import (
    CheckRecord,
    Credential,
    Installation,
    PlatformAccount,
    ProcessedEvent,
    RelayApiKey,
    WorkspaceBackoff,
)


class BigTableAdmin(AuditedAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False


@admin.register(Credential)
class CredentialAdmin(SavesEditedFieldsOnly, BigTableAdmin):
    # The token columns have no form field (EncryptedTextField), so they are never among the
    # edited ones: the admin cannot write a token back.
    list_display = [
        "id",
        "tenant",
        "platform",
        "kind",
        "state",
        "situation",
        "expires_at",
        "last_checked_at",
        "next_check_at",
    ]
    list_filter = ["state", "situation", "platform", "kind"]
    list_select_related = ["tenant"]
    search_fields = ["account__person__email", "account__upstream_user_id", "tenant__slug"]
    # Tokens are never shown nor edited here: the vault field has no form field, and the
    # read-only views below say only whether a token is stored.
    readonly_fields = [
        "access_token_stored",
        "refresh_token_stored",
        "last_evidence",
        "claimed_until",
        "claimed_by",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["tenant"]
    date_hierarchy = None

    @admin.display(description="Access token")
    def access_token_stored(self, obj: Credential) -> str:
        return mask(obj.access_token)

    @admin.display(description="Refresh token")
    def refresh_token_stored(self, obj: Credential) -> str:
        return mask(obj.refresh_token)


@admin.register(PlatformAccount)
class PlatformAccountAdmin(SavesEditedFieldsOnly, BigTableAdmin):
    audit_tenant_via = "person"
    list_display = ["person", "platform", "upstream_user_id", "workspace_id", "credential_state"]
    list_filter = ["platform", "credential__state", "credential__situation"]
    list_select_related = ["person", "credential"]
    search_fields = ["person__email", "person__name", "upstream_user_id", "email"]
    raw_id_fields = ["person", "credential"]

    @admin.display(description="State", ordering="credential__state")
    def credential_state(self, obj: PlatformAccount) -> str:
        return obj.credential.get_state_display() if obj.credential else "—"


@admin.register(Installation)
class InstallationAdmin(AuditedAdmin):
    list_display = ["tenant", "platform", "workspace_id", "bot_user_id", "is_active"]
    list_filter = ["platform", "is_active"]
    list_select_related = ["tenant"]
    search_fields = ["tenant__name", "workspace_id", "bot_user_id"]
    raw_id_fields = ["tenant", "credential"]


@admin.register(CheckRecord)
class CheckRecordAdmin(BigTableAdmin):
    audit_tenant_via = "credential"
    list_display = ["checked_at", "credential", "source", "outcome", "situation", "latency_ms"]
    list_filter = ["outcome", "situation", "source"]
    list_select_related = ["credential"]
    search_fields = ["credential__account__person__email"]
    raw_id_fields = ["credential"]
    readonly_fields = ["evidence"]


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(BigTableAdmin):
    list_display = ["received_at", "platform", "event", "event_id"]
    list_filter = ["platform", "event"]
    search_fields = ["event_id"]
    readonly_fields = ["platform", "event", "event_id", "received_at"]


@admin.register(RelayApiKey)
class RelayApiKeyAdmin(AuditedAdmin):
    """Keys are created with ``manage.py relay_key`` (shown once); here they are only listed and
    revoked. Only a hash is stored, so there is nothing secret to show."""

    list_display = ["prefix", "tenant", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["tenant"]
    search_fields = ["prefix", "name", "tenant__slug"]
    readonly_fields = ["tenant", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke_keys"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[RelayApiKey]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} key(s) revoked.")


@admin.register(WorkspaceBackoff)
class WorkspaceBackoffAdmin(AuditedAdmin):
    list_display = ["platform", "workspace_id", "until"]
    list_filter = ["platform"]
