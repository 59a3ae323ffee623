"""The fake Slack: Web API, OAuth v2 consent, Events API pushes and a Slack-looking inbox.

Served under ``/sandbox/slack/`` at Slack's real paths: ``api/<method>`` for
``https://slack.com/api/<method>`` and ``oauth/v2/authorize`` for
``https://slack.com/oauth/v2/authorize``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import URLPattern, URLResolver, path

from platforms.sandbox.fakes.base import FakePlatform
from platforms.sandbox.fakes.slack import api, consent, history, inbox, revoke, state
from platforms.sandbox.fakes.slack import events as pushes
from platforms.sandbox.models import SandboxMessage, SandboxUser


class SlackFake(FakePlatform):
    key: ClassVar[str] = state.PLATFORM
    situations: ClassVar[frozenset[str]] = frozenset(
        {
            "grant_revoked",  # token_revoked (user revoked Mio); refresh: invalid_refresh_token
            "app_uninstalled",  # token_revoked for the user and the bot token, workspace-wide
            "user_deleted",  # account_inactive (Slack's deactivated member)
            "mfa_enrollment_required",  # two_factor_setup_required
            "app_disabled",  # ekm_access_denied (admins suspended the app's access)
            "consent_missing",  # team_access_not_granted (org app not granted this workspace)
            "insufficient_scope",  # missing_scope with needed/provided
            "access_token_expired",  # token_expired until refreshed (rotation)
            "transient",  # 429 ratelimited + Retry-After, on the API and the token endpoint
        }
    )
    endpoints: ClassVar[dict[str, str]] = {
        "token": "POST api/oauth.v2.access: code exchange (sign-in or bot install), refresh",
        "probe": "POST api/auth.test: identity of a user or bot token",
        "send": "POST api/chat.postMessage: the bot's DM (user = the recipient)",
        "profile": "POST api/users.info: a user's profile (email) after sign-in",
        "open": "POST api/conversations.open: the bot's DM with a user (users = their id)",
        "history": "GET api/conversations.history: a DM's messages (user = the DM's person)",
        "revoke": "GET/POST api/auth.revoke: revoke the calling token (test=1: pretend)",
        "authorize": "GET/POST oauth/v2/authorize: the consent page (user_scope or bot scope)",
    }
    events: ClassVar[dict[str, str]] = pushes.EVENTS

    def urlpatterns(self) -> list[URLPattern | URLResolver]:
        return [
            path("api/auth.test", api.auth_test, name="auth-test"),
            path("api/auth.revoke", revoke.auth_revoke, name="auth-revoke"),
            path("api/oauth.v2.access", api.oauth_v2_access, name="oauth-v2-access"),
            path("api/chat.postMessage", api.chat_post_message, name="chat-post-message"),
            path("api/users.info", api.users_info, name="users-info"),
            path("api/conversations.open", history.conversations_open, name="conversations-open"),
            path(
                "api/conversations.history",
                history.conversations_history,
                name="conversations-history",
            ),
            path("api/<str:method>", api.unknown_method, name="unknown-method"),
            path("oauth/v2/authorize", consent.authorize, name="authorize"),
        ]

    def provision(
        self, email: str, name: str = "", workspace_id: str = ""
    ) -> tuple[SandboxUser, dict[str, Any]]:
        user = state.find_or_create_user(email, name, workspace_id)
        return user, state.mint_user_tokens(user)

    def provision_bot(self, workspace_id: str) -> dict[str, Any]:
        return state.mint_bot_token(workspace_id)

    def emit(self, event: str, user: SandboxUser, target_base: str) -> dict[str, Any]:
        return pushes.emit(event, user, target_base)

    def inbox_context(self, message: SandboxMessage) -> dict[str, Any]:
        return inbox.context(message)
