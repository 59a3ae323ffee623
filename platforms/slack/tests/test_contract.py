"""Slack runs the shared platform contract against its sandbox fake, through slack-sdk."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from platforms.tests.contract import PlatformContract, ScriptCase


def _probe(code: str, expected: str, **extra: Any) -> ScriptCase:
    return ScriptCase(
        f"probe-{code}", "probe", 200, {"ok": False, "error": code, **extra}, expected
    )


def _token(code: str, expected: str, status: int = 200) -> ScriptCase:
    return ScriptCase(f"token-{code}", "token", status, {"ok": False, "error": code}, expected)


class TestSlackContract(PlatformContract):
    platform = "slack"
    supports_lookup = True
    lookup_endpoint = "history"
    scripted_cases = [
        # auth.test (the probe): Slack's HTTP 200 + ok:false answers.
        _probe("invalid_auth", "grant_revoked"),
        _probe("not_authed", "grant_revoked"),
        # The bot token still works in the sandbox, so this is the user's own grant.
        _probe("token_revoked", "grant_revoked"),
        _probe("account_inactive", "user_deleted"),
        _probe("two_factor_setup_required", "mfa_enrollment_required"),
        _probe("ekm_access_denied", "app_disabled"),
        _probe("team_access_not_granted", "consent_missing"),
        _probe("missing_scope", "insufficient_scope", needed="chat:write", provided="identify"),
        _probe("no_permission", "insufficient_scope"),
        _probe("ratelimited", "transient"),
        _probe("service_unavailable", "transient"),
        _probe("internal_error", "transient"),
        _probe("fatal_error", "transient"),
        _probe("request_timeout", "transient"),
        _probe("org_login_required", "transient"),
        _probe("team_added_to_org", "transient"),
        _probe("invalid_arguments", "operator_config"),
        _probe("not_allowed_token_type", "operator_config"),
        _probe("an_error_nobody_documented", "unknown"),
        ScriptCase("probe-429-html", "probe", 429, "<html>Too Many Requests</html>", "transient"),
        ScriptCase("probe-503-html", "probe", 503, "<html>Service Unavailable</html>", "transient"),
        ScriptCase("probe-ok-not-json", "probe", 200, "<html>captive portal</html>", "unknown"),
        # oauth.v2.access with grant_type=refresh_token (the access token is expired first).
        _token("invalid_refresh_token", "grant_revoked"),
        _token("token_revoked", "grant_revoked"),
        _token("invalid_auth", "grant_revoked"),
        _token("account_inactive", "user_deleted"),
        _token("invalid_client_id", "operator_config"),
        _token("bad_client_secret", "operator_config"),
        _token("invalid_grant_type", "operator_config"),
        _token("service_unavailable", "transient"),
        _token("ratelimited", "transient", status=429),
        _token("internal_error", "transient", status=500),
        ScriptCase(
            "token-invalid_grant-400",
            "token",
            400,
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            "grant_revoked",
        ),
    ]

    def validate_payload(self, payload: dict[str, Any]) -> None:
        """Block Kit must round-trip through slack_sdk.models and pass its own limits."""
        assert payload.get("text"), "a fallback text is required for notifications"
        blocks = payload["blocks"]
        parsed = Block.parse_all(blocks)
        assert all(type(block) is not Block for block in parsed), "unknown block type"
        for block in parsed:
            block.validate_json()
        assert [block.to_dict() for block in parsed] == blocks
