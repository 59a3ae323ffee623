"""The staff console for credentials, accounts, installations and their history.

Every action, change and deletion is written to the audit log (``AuditedAdmin``). Workers write
credentials all the time (rotated refresh tokens, expiries, state), so the credential form saves
only the columns the operator changed in it, never the others.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialApp, SocialToken
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


class HeldFilter(admin.SimpleListFilter):
    title = "held for the operator"
    parameter_name = "held"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "Held (refresh answer lost)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(grant_lost_at__isnull=False)
        return queryset


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
        "grant_lost_at",
    ]
    list_filter = ["state", "situation", "platform", "kind", HeldFilter]
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
        "grant_lost_at",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["tenant"]
    date_hierarchy = None
    actions = ["release_held"]

    @admin.action(description="Release held credentials: re-check, and ask the user to re-sync")
    def release_held(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        """The operator's answer to a refresh whose answer was lost (``tokens.redemption``).

        The hold ends and each credential is checked now: one the platform still refuses (its
        old refresh token spent) opens a user incident, whose prompt asks the user to re-sync;
        one that works resolves the operator's incident. Audited like every admin action.
        """
        from tokens.redemption import release
        from tokens.services import check_now

        ids = release(queryset.values_list("pk", flat=True)[:500])
        results = check_now(ids, CheckRecord.Source.MANUAL) if ids else {}
        waiting = sum(1 for check in results.values() if check is not None and check.situation)
        self.message_user(
            request,
            f"{len(ids)} held credential(s) released: {len(ids) - waiting} working, "
            f"{waiting} waiting on their user or an admin.",
        )

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
    """Keys are created with ``manage.py relay_key`` or on the dashboard's Relay page (shown
    once); here they are only listed and revoked. Only a hash is stored: nothing secret to show."""

    list_display = [
        "prefix",
        "tenant",
        "name",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
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


# --- dashboard users' second factors (allauth MFA) -------------------------------------------
# allauth's own admin shows ``data`` (the TOTP secret, the recovery-code seed) in an editable
# field. Here an operator sees who has which factor and may delete one (a user who lost their
# phone enrols again), but never sees or edits a secret: ``data`` is on no page and no form.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AuditedAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type", "created_at", "last_used_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# allauth's admin would list stored Microsoft tokens and show app client secrets in editable text
# fields. Mio stores no Microsoft token (SOCIALACCOUNT_STORE_TOKENS is off) and configures its
# apps from the environment (settings.SOCIALACCOUNT_PROVIDERS): neither page has a job here.
admin.site.unregister(SocialToken)
admin.site.unregister(SocialApp)
