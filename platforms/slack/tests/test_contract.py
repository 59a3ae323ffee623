"""Slack runs the shared platform contract against its sandbox fake, through slack-sdk."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from slack_sdk.models.blocks import Block

from platforms import revocation
from platforms.base import PlatformAdapter, TokenGrant
from platforms.sandbox import core
from platforms.sandbox.fakes.slack import state as fake_state
from platforms.sandbox.models import SandboxToken, SandboxUser
from platforms.slack import oauth
from platforms.slack.client import web_client
from platforms.tests import corpus
from platforms.tests.contract import PlatformContract, ScriptCase
from tokens.secret import reveal

REDIRECT_URI = "https://mio.example/resync/callback/"


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

    # --- the wire-shape corpus: Slack's endpoints beyond token, probe and send ------------------
    def exercise_token(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        form = wire.request.get("form") or {}
        if "code" in form:
            # The authorize step's answer, then the code exchange the fixture shows.
            flow = {"state": "s", "code_verifier": "v", "redirect_uri": REDIRECT_URI}
            params = {"state": "s", "code": "c"}
            if "value" in wire.expect:  # "Add to Slack": the bot's install
                return oauth.finish_install(flow, params, redirect_uri=REDIRECT_URI)
            return oauth.finish(flow, params, redirect_uri=REDIRECT_URI)
        if form.get("refresh_token") == "{bot_refresh_token}":
            bot = self._installation(account).credential
            return adapter.redeem_refresh_token(bot, "xoxe-1-the-bot-refresh-token")
        return super().exercise_token(wire, adapter, account)

    def exercise_revoke(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        # What a refused re-sync does with the token issued for the wrong account.
        token = reveal(self.credential(account).access_token) or ""
        return revocation.REVOKERS["slack"](TokenGrant(access_token=token))

    def exercise_profile(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return adapter.profile(self._bot(account), account.upstream_user_id)

    def exercise_open(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        client = web_client(self._bot(account))
        return {"channel_id": adapter.dm_channel(client, account.upstream_user_id)}

    def exercise_history(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return adapter.find_sent(self._installation(account), account, "contract-never-sent")

    def wire_context(self, account) -> dict[str, str]:
        context = super().wire_context(account)
        user = SandboxUser.objects.get(platform="slack", email=account.person.email)
        context["dm_id"] = fake_state.dm_id(user)
        context["redirect_uri"] = REDIRECT_URI
        return context

    def given_rotating_bot(self, sandbox, account, context: dict[str, str]) -> None:
        """The workspace's bot installed with token rotation on: its own refresh token."""
        grant = fake_state.mint_rotating_bot_tokens(account.workspace_id, oauth.BOT_SCOPES)
        context["bot_refresh_token"] = grant["refresh_token"]

    def given_spent_refresh_token(self, sandbox, account, context: dict[str, str]) -> None:
        """The user's refresh token, already redeemed once (rotation makes it single use)."""
        value = context["refresh_token"]
        assert core.revoke(core.find("slack", SandboxToken.Kind.REFRESH, value))
        context["spent_refresh_token"] = value

    def given_user_code(self, sandbox, account, context: dict[str, str]) -> None:
        self._issue_code(account, context, user_scope=",".join(oauth.USER_SCOPES), scope="")

    def given_install_code(self, sandbox, account, context: dict[str, str]) -> None:
        self._issue_code(
            account, context, user_scope="chat:write", scope=",".join(oauth.BOT_SCOPES)
        )

    def _issue_code(self, account, context: dict[str, str], *, user_scope: str, scope: str) -> None:
        """A code the fake's consent page would have redirected with (PKCE S256)."""
        verifier = secrets.token_urlsafe(64)
        user = SandboxUser.objects.get(platform="slack", email=account.person.email)
        context["code"] = fake_state.mint_code(
            user,
            {
                "client_id": settings.PLATFORM_APPS["slack"]["client_id"],
                "redirect_uri": REDIRECT_URI,
                "user_scope": user_scope,
                "scope": scope,
                "code_challenge": oauth.challenge_of(verifier),
                "code_challenge_method": "S256",
            },
        )
        context["redirect_uri"], context["code_verifier"] = REDIRECT_URI, verifier

    def _bot(self, account) -> str:
        return reveal(self._installation(account).credential.access_token) or ""
