"""The situation catalogue: what broke, who must act, and what fixes it (DESIGN.md's keys)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Situation(models.TextChoices):
    CONSENT_MISSING = "consent_missing", "Consent missing"
    CA_BLOCKED = "ca_blocked", "Blocked by Conditional Access"
    APP_DISABLED = "app_disabled", "App disabled"
    USER_DELETED = "user_deleted", "User deleted"
    USER_DISABLED = "user_disabled", "User disabled"
    GRANT_REVOKED = "grant_revoked", "Grant revoked"
    MFA_ENROLLMENT_REQUIRED = "mfa_enrollment_required", "MFA required"
    REFRESH_TOKEN_INACTIVE = "refresh_token_inactive", "Refresh token expired (inactivity)"
    PASSWORD_EXPIRED = "password_expired", "Password expired"
    APP_UNINSTALLED = "app_uninstalled", "App uninstalled"
    INSUFFICIENT_SCOPE = "insufficient_scope", "Insufficient scope"
    ACCESS_TOKEN_EXPIRED = "access_token_expired", "Access token expired"
    TRANSIENT = "transient", "Transient fault"
    OPERATOR_CONFIG = "operator_config", "Operator configuration"
    UNKNOWN = "unknown", "Unknown failure"


class Audience(models.TextChoices):
    ADMIN = "admin", "Tenant admin"
    USER = "user", "End user"
    OPERATOR = "operator", "Mio operator"


@dataclass(frozen=True)
class SituationInfo:
    key: Situation
    audience: Audience | None  # None: nobody is told, the machine heals it
    remedy: str
    # Admin situations that usually hit many accounts at once (a policy, the app): grouped into
    # one tenant-level incident so the admin is prompted once.
    tenant_wide: bool = False


CATALOGUE: dict[str, SituationInfo] = {
    info.key.value: info
    for info in [
        SituationInfo(
            Situation.CONSENT_MISSING,
            Audience.ADMIN,
            "Grant admin consent to the Mio app for the organisation.",
            tenant_wide=True,
        ),
        SituationInfo(
            Situation.CA_BLOCKED,
            Audience.ADMIN,
            "Exclude the Mio app from the Conditional Access policy that blocks it, or adjust "
            "the policy's conditions; the sign-in log entry is found by correlation id.",
            tenant_wide=True,
        ),
        SituationInfo(
            Situation.APP_DISABLED,
            Audience.ADMIN,
            "Re-enable the Mio app in the platform's admin console.",
            tenant_wide=True,
        ),
        SituationInfo(
            Situation.USER_DELETED,
            Audience.ADMIN,
            "Restore the user in the directory, or remove the person from Mio's sync.",
        ),
        SituationInfo(
            Situation.USER_DISABLED,
            Audience.ADMIN,
            "Re-enable the user account, or remove the person from Mio's sync.",
        ),
        SituationInfo(
            Situation.GRANT_REVOKED,
            Audience.USER,
            "Sign in again to re-sync the account.",
        ),
        SituationInfo(
            Situation.MFA_ENROLLMENT_REQUIRED,
            Audience.USER,
            "Sign in again and complete multi-factor authentication.",
        ),
        SituationInfo(
            Situation.REFRESH_TOKEN_INACTIVE,
            Audience.USER,
            "Sign in again; the old sign-in expired after a long time unused.",
        ),
        SituationInfo(
            Situation.PASSWORD_EXPIRED,
            Audience.USER,
            "Change the expired password, then sign in again to re-sync.",
        ),
        SituationInfo(
            Situation.APP_UNINSTALLED,
            Audience.ADMIN,
            "Reinstall the Mio app in the workspace or account.",
            tenant_wide=True,
        ),
        SituationInfo(
            Situation.INSUFFICIENT_SCOPE,
            Audience.ADMIN,
            "Approve the Mio app's updated permissions (scopes).",
            tenant_wide=True,
        ),
        SituationInfo(
            Situation.ACCESS_TOKEN_EXPIRED,
            None,
            "Refreshed automatically.",
        ),
        SituationInfo(
            Situation.TRANSIENT,
            None,
            "Retried automatically with backoff.",
        ),
        SituationInfo(
            Situation.OPERATOR_CONFIG,
            Audience.OPERATOR,
            "Fix Mio's own client id, secret or redirect URI for this platform.",
        ),
        SituationInfo(
            Situation.UNKNOWN,
            Audience.ADMIN,
            "Review the raw evidence; the failure is not one Mio recognises.",
        ),
    ]
}


def audience_of(situation: str | None) -> Audience | None:
    if not situation:
        return None
    return CATALOGUE[situation].audience


def audience_key(situation: str | None) -> str | None:
    """The audience as a plain key (``admin``, ``user``, ``operator``) or None: for JSON."""
    audience = audience_of(situation)
    return audience.value if audience is not None else None
