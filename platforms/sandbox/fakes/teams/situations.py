"""How Entra and Graph fail for a user in each situation (the fake's per-user state).

Entra enforces most things at the token endpoint, with the AADSTS code and sub-error below.
Graph enforces two things itself: an expired token, and missing permissions. With Continuous
Access Evaluation (Mio's tokens are CAE-capable), Graph also revokes a live token within minutes
of a critical event (user disabled or deleted, sessions revoked, password reset, MFA or location
policy) with an ``insufficient_claims`` challenge.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from platforms.sandbox.fakes.teams import shapes


@dataclass(frozen=True)
class EntraFailure:
    status: int
    error: str
    code: int
    message: str
    suberror: str = ""
    # A re-sign-in heals it (the user fixes it themselves during the sign-in); otherwise the
    # authorize step fails the same way.
    healed_by_sign_in: bool = False


TOKEN_FAILURES: dict[str, EntraFailure] = {
    "consent_missing": EntraFailure(
        400,
        "invalid_grant",
        65001,
        "The user or administrator has not consented to use the application with ID '{client}' "
        "named 'Mio'. Send an interactive authorization request for this user and resource.",
        "consent_required",
    ),
    "ca_blocked": EntraFailure(
        400,
        "invalid_grant",
        53003,
        "Access has been blocked by Conditional Access policies. The access policy does not "
        "allow token issuance.",
        "message_only",
    ),
    "app_disabled": EntraFailure(
        400,
        "unauthorized_client",
        7000112,
        "Application '{client}'(Mio) is disabled.",
    ),
    "user_deleted": EntraFailure(
        400,
        "invalid_grant",
        50034,
        "The user account {{EmailHidden}} does not exist in the {tenant} directory. To sign into "
        "this application, the account must be added to the directory.",
    ),
    "user_disabled": EntraFailure(400, "invalid_grant", 50057, "The user account is disabled."),
    "grant_revoked": EntraFailure(
        400,
        "invalid_grant",
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
        "The user might have changed or reset their password. The grant was issued on "
        "'{issued}' and the TokensValidFrom date (before which tokens are not valid) for this "
        "user is '{now}'.",
        "bad_token",
        healed_by_sign_in=True,
    ),
    "mfa_enrollment_required": EntraFailure(
        400,
        "invalid_grant",
        50079,
        "Due to a configuration change made by your administrator, or because you moved to a "
        "new location, you must enroll in multi-factor authentication to access "
        "'00000003-0000-0000-c000-000000000000'.",
        "basic_action",
        healed_by_sign_in=True,
    ),
    "refresh_token_inactive": EntraFailure(
        400,
        "invalid_grant",
        700082,
        "The refresh token has expired due to inactivity. The token was issued on '{issued}' "
        "and was inactive for 90.00:00:00.",
        "bad_token",
        healed_by_sign_in=True,
    ),
    "password_expired": EntraFailure(
        400,
        "invalid_grant",
        50055,
        "The password is expired.",
        "user_password_expired",
        healed_by_sign_in=True,
    ),
    "operator_config": EntraFailure(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        "client secret value, not the client secret ID, for a secret added to app '{client}'.",
    ),
    # A permanent failure Mio has no rule for: user assignment required (admin triage).
    "unknown": EntraFailure(
        400,
        "invalid_grant",
        50105,
        "Your administrator has configured the application Mio ('{client}') to block users "
        "unless they are specifically granted ('assigned') access to the application.",
    ),
}

# Situations the token endpoint lets through (Graph or nobody enforces them).
HEALED_BY_SIGN_IN = {
    key for key, failure in TOKEN_FAILURES.items() if failure.healed_by_sign_in
} | {"access_token_expired", "insufficient_scope"}

# Critical events Graph revokes live CAE tokens for.
CAE_EVENTS = {
    "user_disabled": "user disabled",
    "user_deleted": "user deleted",
    "grant_revoked": "sessions revoked",
    "password_expired": "password reset",
    "mfa_enrollment_required": "multi-factor authentication required",
    "ca_blocked": "location policy",
}

SITUATIONS = frozenset({*TOKEN_FAILURES, "access_token_expired", "insufficient_scope", "transient"})


def token_failure(
    request: HttpRequest, situation: str, *, client_id: str, tenant: str, issued: str = ""
) -> HttpResponse | None:
    """Entra's answer to a token request for a user in ``situation`` (None: tokens are issued)."""
    if situation == "transient":
        return shapes.entra_error(
            request,
            503,
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
            headers={"Retry-After": "5"},
        )
    failure = TOKEN_FAILURES.get(situation)
    if failure is None:
        return None
    message = failure.message.format(
        client=client_id, tenant=tenant, issued=issued or shapes.timestamp(), now=shapes.timestamp()
    )
    return shapes.entra_error(
        request, failure.status, failure.error, failure.code, message, suberror=failure.suberror
    )


def graph_failure(situation: str, *, cae: bool) -> HttpResponse | None:
    """Graph's answer to ``/me`` for a user in ``situation`` (None: 200)."""
    if situation == "access_token_expired":
        return shapes.graph_error(
            401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        )
    if situation == "insufficient_scope":
        return shapes.graph_error(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    if situation == "transient":
        return shapes.graph_error(
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
            headers={"Retry-After": "5"},
        )
    if cae and situation in CAE_EVENTS:
        return shapes.cae_challenge(
            "Continuous access evaluation resulted in challenge with result: InteractionRequired "
            f"and code: TokenIssuedBeforeRevocationTimestamp ({CAE_EVENTS[situation]})"
        )
    return None
