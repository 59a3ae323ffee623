"""Slack's error codes and the situation each one means for Mio.

Slack answers most failures with HTTP 200 ``{"ok": false, "error": "<code>"}`` (429 with
``Retry-After`` when rate limited), so the code is all there is to classify on. Every rule links
the vendor page that documents the code. ``MEANINGS`` keeps Slack's own wording, shown to admins
as the evidence's description since Slack's error bodies carry none.
"""

from __future__ import annotations

from platforms.errors import ErrorRule, ErrorTable
from tokens.situations import Situation

_DOCS = "https://docs.slack.dev"
AUTH_TEST = f"{_DOCS}/reference/methods/auth.test"
OAUTH_V2_ACCESS = f"{_DOCS}/reference/methods/oauth.v2.access"
CHAT_POST_MESSAGE = f"{_DOCS}/reference/methods/chat.postMessage"
TOKEN_ROTATION = f"{_DOCS}/authentication/using-token-rotation"
INSTALLING_WITH_OAUTH = f"{_DOCS}/authentication/installing-with-oauth"
RATE_LIMITS = f"{_DOCS}/apis/web-api/rate-limits"

# The codes a *bot* token gets once the app is gone from the workspace. On the bot token they
# mean "uninstalled", which is an admin's job, not a user's re-sign-in.
BOT_GONE_CODES = frozenset({"token_revoked", "invalid_auth", "account_inactive", "not_authed"})

SLACK_ERRORS = ErrorTable(
    [
        # --- the token itself is dead: the user signs in again --------------------------------
        ErrorRule("invalid_auth", Situation.GRANT_REVOKED, AUTH_TEST),
        ErrorRule("not_authed", Situation.GRANT_REVOKED, AUTH_TEST),
        ErrorRule("token_revoked", Situation.GRANT_REVOKED, AUTH_TEST),
        ErrorRule("invalid_refresh_token", Situation.GRANT_REVOKED, TOKEN_ROTATION),
        # Seen from Slack's refresh endpoint through OAuth intermediaries (RFC 6749 shape).
        ErrorRule("invalid_grant", Situation.GRANT_REVOKED, TOKEN_ROTATION),
        # A code that was used, expired or is unknown: the sign-in has to start over.
        ErrorRule("invalid_code", Situation.GRANT_REVOKED, OAUTH_V2_ACCESS),
        # --- expired access token with rotation on: refresh silently ----------------------------
        ErrorRule("token_expired", Situation.ACCESS_TOKEN_EXPIRED, TOKEN_ROTATION),
        # --- the user ---------------------------------------------------------------------------
        # Slack has one state for a removed member: deactivated, reported as deleted.
        ErrorRule("account_inactive", Situation.USER_DELETED, AUTH_TEST),
        ErrorRule(
            "two_factor_setup_required", Situation.MFA_ENROLLMENT_REQUIRED, CHAT_POST_MESSAGE
        ),
        # --- the workspace's admins -------------------------------------------------------------
        ErrorRule("ekm_access_denied", Situation.APP_DISABLED, AUTH_TEST),
        ErrorRule("team_access_not_granted", Situation.CONSENT_MISSING, CHAT_POST_MESSAGE),
        # The authorize step's answer when the person (or an admin policy) declines the app.
        ErrorRule("access_denied", Situation.CONSENT_MISSING, INSTALLING_WITH_OAUTH),
        ErrorRule("missing_scope", Situation.INSUFFICIENT_SCOPE, AUTH_TEST),
        ErrorRule("no_permission", Situation.INSUFFICIENT_SCOPE, AUTH_TEST),
        # --- Slack is busy, migrating or down: retry with backoff -------------------------------
        ErrorRule("ratelimited", Situation.TRANSIENT, RATE_LIMITS),
        ErrorRule("rate_limited", Situation.TRANSIENT, CHAT_POST_MESSAGE),
        ErrorRule("service_unavailable", Situation.TRANSIENT, CHAT_POST_MESSAGE),
        ErrorRule("internal_error", Situation.TRANSIENT, CHAT_POST_MESSAGE),
        ErrorRule("fatal_error", Situation.TRANSIENT, AUTH_TEST),
        ErrorRule("request_timeout", Situation.TRANSIENT, AUTH_TEST),
        ErrorRule("org_login_required", Situation.TRANSIENT, AUTH_TEST),
        ErrorRule("team_added_to_org", Situation.TRANSIENT, AUTH_TEST),
        # --- our own registration or request is wrong: the operator fixes it --------------------
        ErrorRule("invalid_client_id", Situation.OPERATOR_CONFIG, OAUTH_V2_ACCESS),
        ErrorRule("bad_client_secret", Situation.OPERATOR_CONFIG, OAUTH_V2_ACCESS),
        ErrorRule("bad_redirect_uri", Situation.OPERATOR_CONFIG, OAUTH_V2_ACCESS),
        ErrorRule("invalid_grant_type", Situation.OPERATOR_CONFIG, OAUTH_V2_ACCESS),
        ErrorRule("oauth_authorization_url_mismatch", Situation.OPERATOR_CONFIG, OAUTH_V2_ACCESS),
        ErrorRule("not_allowed_token_type", Situation.OPERATOR_CONFIG, CHAT_POST_MESSAGE),
        ErrorRule("invalid_arguments", Situation.OPERATOR_CONFIG, AUTH_TEST),
        ErrorRule("invalid_arg_name", Situation.OPERATOR_CONFIG, AUTH_TEST),
        ErrorRule("invalid_form_data", Situation.OPERATOR_CONFIG, AUTH_TEST),
        ErrorRule("invalid_post_type", Situation.OPERATOR_CONFIG, AUTH_TEST),
        ErrorRule("missing_post_type", Situation.OPERATOR_CONFIG, AUTH_TEST),
        ErrorRule("invalid_charset", Situation.OPERATOR_CONFIG, AUTH_TEST),
    ]
)

MEANINGS: dict[str, str] = {
    "invalid_auth": "Some aspect of authentication cannot be validated: the token is invalid or "
    "the request comes from an IP address the workspace does not allow.",
    "not_authed": "No authentication token provided.",
    "token_revoked": "Authentication token is for a deleted user or workspace, or the app has "
    "been removed.",
    "invalid_refresh_token": "The refresh token is invalid or was already used (each refresh "
    "token is single-use under token rotation).",
    "invalid_grant": "The refresh token has expired or been revoked.",
    "invalid_code": "Value passed for code was invalid.",
    "token_expired": "The access token expired (token rotation): refresh it.",
    "account_inactive": "Authentication token is for a deleted user or workspace.",
    "two_factor_setup_required": "The user must set up two-factor authentication.",
    "ekm_access_denied": "Administrators have suspended the app's access (Enterprise Key "
    "Management).",
    "team_access_not_granted": "The token is not granted access to this workspace (an org-wide "
    "app that an admin has not added to the workspace).",
    "access_denied": "The authorization request was declined.",
    "missing_scope": "The token lacks a scope this call needs.",
    "no_permission": "The token lacks the permissions this call needs.",
    "ratelimited": "The request was rate limited; see Retry-After.",
    "rate_limited": "The app has posted too many messages; see Retry-After.",
    "service_unavailable": "The service is temporarily unavailable.",
    "internal_error": "The server could not complete the operation, likely a transient issue.",
    "fatal_error": "The server hit a catastrophic error.",
    "request_timeout": "The POST data was missing or truncated.",
    "org_login_required": "The workspace is undergoing an enterprise migration.",
    "team_added_to_org": "The workspace is being migrated to an Enterprise organisation.",
    "invalid_client_id": "Value passed for client_id was invalid.",
    "bad_client_secret": "Value passed for client_secret was invalid.",
    "bad_redirect_uri": "redirect_uri did not match the one of the authorization request.",
    "invalid_grant_type": "Value passed for grant_type was invalid.",
    "oauth_authorization_url_mismatch": "The flow was started on the wrong authorize URL "
    "(must be /oauth/v2/authorize).",
    "not_allowed_token_type": "The token type used is not allowed for this method.",
    "invalid_arguments": "The method was called with invalid arguments.",
    "invalid_arg_name": "The method was passed an argument whose name is not acceptable.",
    "invalid_form_data": "The POST form data was missing or syntactically invalid.",
    "invalid_post_type": "The POST Content-Type was not one Slack accepts.",
    "missing_post_type": "The POST request had a body but no Content-Type header.",
    "invalid_charset": "The charset of the POST Content-Type was invalid.",
    "non_json_answer": "Slack (or something between Mio and Slack) answered with a body that is "
    "not JSON.",
}
