"""Teams runs the shared platform contract against the sandbox, through msal and requests."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings

from platforms.base import PlatformAdapter
from platforms.sandbox.fakes.teams import chats as fake_chats
from platforms.sandbox.fakes.teams import connector as fake_connector
from platforms.sandbox.models import SandboxUser
from platforms.teams import connector as teams_connector
from platforms.teams import entra as teams_entra
from platforms.teams.connector import member_id
from platforms.teams.errors import ENTRA_RULES, SUBERROR_RULES
from platforms.teams.tests.helpers import validate_activity
from platforms.tests import corpus
from platforms.tests.contract import PlatformContract, ScriptCase
from platforms.tests.user_sends import peer_of, relay_send
from tokens.models import PlatformAccount


def entra_body(code: int, error: str = "invalid_grant", suberror: str = "") -> dict[str, Any]:
    """Entra's exact error shape, as captured from the token endpoint."""
    trace, correlation, when = str(uuid.uuid4()), str(uuid.uuid4()), "2026-01-19 08:55:37Z"
    body: dict[str, Any] = {
        "error": error,
        "error_description": f"AADSTS{code}: (captured text)\r\nTrace ID: {trace}\r\n"
        f"Correlation ID: {correlation}\r\nTimestamp: {when}",
        "error_codes": [code],
        "timestamp": when,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    if suberror:
        body["suberror"] = suberror
    return body


def graph_body(code: str, message: str = "captured") -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2026-01-19T08:55:37", "request-id": str(uuid.uuid4())},
        }
    }


# Every AADSTS rule of the table, replayed raw on the token endpoint (the refresh every check
# makes). The ``error`` field varies on purpose: classification must ignore it.
_ERRORS = ["invalid_grant", "interaction_required", "invalid_request", "unauthorized_client"]
TOKEN_CASES = [
    ScriptCase(
        id=f"aadsts{rule.code}",
        endpoint="token",
        status=401 if rule.situation.value == "operator_config" else 400,
        body=entra_body(int(rule.code), error=_ERRORS[i % len(_ERRORS)]),
        expected=rule.situation.value,
    )
    for i, rule in enumerate(ENTRA_RULES)
]
SUBERROR_CASES = [
    ScriptCase(
        id=f"suberror-{rule.code.split(':', 1)[1]}",
        endpoint="token",
        status=400,
        body={**entra_body(99999), "suberror": rule.code.split(":", 1)[1]},
        expected=rule.situation.value,
    )
    for rule in SUBERROR_RULES
]
OTHER_CASES = [
    # A code nobody maps: unknown, never a guess.
    ScriptCase("unmapped-aadsts", "token", 400, entra_body(50105), "unknown"),
    # Primary code with the other ``error`` value it has been seen with.
    ScriptCase(
        "aadsts53003-access-denied",
        "token",
        400,
        entra_body(53003, "access_denied", "message_only"),
        "ca_blocked",
    ),
    ScriptCase(
        "aadsts65001-interaction-required",
        "token",
        400,
        entra_body(65001, "interaction_required", "consent_required"),
        "consent_missing",
    ),
    ScriptCase(
        "token-503", "token", 503, entra_body(90033, "temporarily_unavailable"), "transient"
    ),
    ScriptCase(
        "token-429",
        "token",
        429,
        entra_body(50196, "temporarily_unavailable"),
        "transient",
        headers={"Retry-After": "30"},
    ),
    ScriptCase("token-html-500", "token", 500, "<html>oops</html>", "transient"),
    # Graph: a token lacking a permission.
    ScriptCase(
        "graph-403-authorization-requestdenied",
        "probe",
        403,
        graph_body("Authorization_RequestDenied"),
        "insufficient_scope",
    ),
    ScriptCase(
        "graph-403-accessdenied", "probe", 403, graph_body("accessDenied"), "insufficient_scope"
    ),
    ScriptCase("graph-400-unknown", "probe", 400, graph_body("BadRequest"), "unknown"),
]


class TestTeamsContract(PlatformContract):
    platform = "teams"
    scripted_cases = [*TOKEN_CASES, *SUBERROR_CASES, *OTHER_CASES]

    def validate_payload(self, payload: dict[str, Any]) -> None:
        validate_activity(payload)

    # --- the wire-shape corpus (platforms/teams/fixtures/) -------------------------------------
    def wire_context(self, account: PlatformAccount) -> dict[str, str]:
        context = super().wire_context(account)
        app = settings.PLATFORM_APPS["teams"]
        user = _sandbox_user(account)
        # A bot token cached by an earlier test names a sandbox that has since been reset.
        teams_connector.forget_bot_token()
        context.update(
            bot_token=teams_connector.bot_access_token(),
            bot_app_id=str(app["bot_app_id"]),
            bot_app_secret=str(app["bot_app_secret"]),
            teams_user_id=fake_connector.teams_user_id(user),
            conversation_id=fake_connector.conversation_id(user),
        )
        # A colleague to chat with as the person (the relay's user send through Graph).
        peer = peer_of(account)
        context.update(
            peer_email=peer["email"],
            chat_id=fake_chats.chat_id(user, _sandbox_user_by_email(peer["email"])),
        )
        return context

    def exercise_chats(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return relay_send(wire, adapter, self.wire_context(account))

    def exercise_chat_send(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return relay_send(wire, adapter, self.wire_context(account))

    def exercise_token(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        if (wire.request.get("form") or {}).get("grant_type") != "authorization_code":
            return super().exercise_token(wire, adapter, account)
        # The re-sync: a real sign-in on the consent page, then the code redeemed through msal.
        flow, params, redirect_uri = self._signed_in(adapter, account)
        return adapter.finish_oauth(flow, params, redirect_uri=redirect_uri)

    def exercise_discovery(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        # msal reads the discovery document before the token call; Mio keeps it an hour.
        teams_entra.forget_discovery()
        return self.exercise_token(wire, adapter, account)

    def exercise_bot_token(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return teams_entra.bot_token()

    def exercise_conversations(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        connector = self._connector(account)
        try:
            return {"id": connector.create_conversation(account.workspace_id, member_id(account))}
        finally:
            connector.close()

    def exercise_member(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        conversation = fake_connector.conversation_id(_sandbox_user(account))
        connector = self._connector(account)
        try:
            return {"id": connector.teams_user_id(conversation, account.upstream_user_id)}
        finally:
            connector.close()

    def exercise_send(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        teams_connector.forget_bot_token()
        cached = wire.extra.get("cached_conversation")
        if cached:
            PlatformAccount.objects.filter(pk=account.pk).update(conversation_id=cached)
            account.refresh_from_db()
        return super().exercise_send(wire, adapter, account)

    def given_bot_blocked(self, sandbox, account: PlatformAccount, context) -> None:
        _fake_state(account, fake_connector.BOT_BLOCKED)

    def given_bot_not_installed(self, sandbox, account: PlatformAccount, context) -> None:
        _fake_state(account, fake_connector.BOT_NOT_INSTALLED)

    def _connector(self, account: PlatformAccount) -> teams_connector.Connector:
        teams_connector.forget_bot_token()
        return teams_connector.Connector(self._installation(account).service_url)


def _sandbox_user(account: PlatformAccount) -> SandboxUser:
    return _sandbox_user_by_email(account.person.email)


def _sandbox_user_by_email(email: str) -> SandboxUser:
    return SandboxUser.objects.get(platform="teams", email=email.lower())


def _fake_state(account: PlatformAccount, state: str) -> None:
    """A connector-only state of the fake (the person blocked the bot, or never installed it);
    token and Graph calls are unaffected, so it is not one of the sandbox's token situations."""
    SandboxUser.objects.filter(pk=_sandbox_user(account).pk).update(situation=state)
