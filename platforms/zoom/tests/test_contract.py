"""The shared platform contract, run against the Zoom fake through requests."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from jsonschema import Draft7Validator

from platforms.base import PlatformAdapter
from platforms.http import session_for
from platforms.registry import get_adapter
from platforms.tests import corpus
from platforms.tests.contract import PlatformContract, ScriptCase
from platforms.tests.user_sends import peer_of, relay_send
from platforms.zoom import adapter as zoom_adapter
from platforms.zoom.adapter import TOKEN_URL
from platforms.zoom.chatbot import CONTENT_SCHEMA, ENVELOPE_SCHEMA, jid_for
from tokens.models import PlatformAccount


def _coded(code: int, message: str) -> dict[str, Any]:
    return {"status": False, "errorCode": code, "errorMessage": message, "result": None}


def _token(case_id: str, body: Any, expected: str, status: int = 400, **headers: str) -> ScriptCase:
    return ScriptCase(case_id, "token", status, body, expected, headers=dict(headers))


def _probe(case_id: str, body: Any, expected: str, status: int = 400, **headers: str) -> ScriptCase:
    return ScriptCase(case_id, "probe", status, body, expected, headers=dict(headers))


class TestZoomContract(PlatformContract):
    platform = "zoom"
    scripted_cases = [
        # Refresh failures as seen in practice (RFC 6749 envelope).
        _token(
            "invalid-token", {"reason": "Invalid Token!", "error": "invalid_grant"}, "grant_revoked"
        ),
        _token(
            "invalid-client",
            {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
            "operator_config",
        ),
        _token(
            "invalid-client-401",
            {"reason": "Invalid client", "error": "invalid_client"},
            "operator_config",
            status=401,
        ),
        _token(
            "unsupported-grant",
            {"reason": "unsupported grant type", "error": "unsupported_grant_type"},
            "operator_config",
        ),
        _token(
            "redirect-mismatch",
            {"reason": "Invalid request : Redirect URI mismatch.", "error": "invalid_request"},
            "operator_config",
        ),
        # Zoom's numbered OAuth codes (developers.zoom.us/docs/integrations/oauth-error-messages/).
        _token("4700", _coded(4700, "Token cannot be empty."), "unknown"),
        _token("4702", _coded(4702, "Invalid client."), "operator_config"),
        _token("4704", _coded(4704, "Invalid client secret."), "operator_config"),
        _token("4705", _coded(4705, "Grant type is not supported."), "operator_config"),
        _token("4706", _coded(4706, "Client ID or client secret is missing."), "operator_config"),
        _token("4709", _coded(4709, "Redirect URI mismatch."), "operator_config"),
        _token("4711", _coded(4711, "Refresh token invalid."), "insufficient_scope"),
        _token("4717", _coded(4717, "The app has been disabled"), "app_disabled"),
        _token("4724", _coded(4724, "Exception error message."), "operator_config"),
        _token("4732", _coded(4732, "Creating authorization code error."), "transient"),
        _token("4733", _coded(4733, "Code is expired"), "grant_revoked"),
        _token("4734", _coded(4734, "Invalid authorization code."), "grant_revoked"),
        _token("4735", _coded(4735, "The owner of the token does not exist."), "user_deleted"),
        _token(
            "4737",
            _coded(4737, "Can not find the authentication for the access token."),
            "grant_revoked",
        ),
        _token("4738", _coded(4738, "The token is disabled by admin."), "consent_missing"),
        _token(
            "4740",
            _coded(4740, "The token ID is out of the token tolerance range."),
            "grant_revoked",
        ),
        _token("4741", _coded(4741, "The token has been revoked."), "grant_revoked"),
        # The numbered code wins over the generic OAuth error string when both are there.
        _token(
            "4717-in-oauth-envelope",
            {"reason": "The app has been disabled", "error": "invalid_client", "errorCode": 4717},
            "app_disabled",
        ),
        _token(
            "token-429",
            {"reason": "Too many requests"},
            "transient",
            status=429,
            **{"Retry-After": "3"},
        ),
        _token(
            "token-503-html",
            "<html><body>Service Unavailable</body></html>",
            "transient",
            status=503,
        ),
        _token("token-400-html", "<html><body>Bad Request</body></html>", "unknown"),
        # GET /v2/users/me
        _probe(
            "scopes-missing",
            {
                "code": 4711,
                "message": "Invalid access token, does not contain scopes:[user:read:user].",
            },
            "insufficient_scope",
        ),
        _probe(
            "user-does-not-exist",
            {"code": 1001, "message": "User does not exist: me."},
            "user_deleted",
            status=404,
        ),
        _probe(
            "user-inactive",
            {"id": "KDcuGIm1QgePTO8WbOqwIQ", "email": "x@example.com", "status": "inactive"},
            "user_disabled",
            status=200,
        ),
        _probe("validation-failed", {"code": 300, "message": "Validation Failed."}, "unknown"),
        _probe(
            "api-429",
            {"code": 429, "message": "You have reached the maximum per-second rate limit."},
            "transient",
            status=429,
            **{"Retry-After": "2"},
        ),
    ]

    def validate_payload(self, payload: dict[str, Any]) -> None:
        if "content" in payload:
            Draft7Validator(ENVELOPE_SCHEMA).validate(payload)
        else:
            Draft7Validator(CONTENT_SCHEMA).validate(payload)

    # --- the wire-shape corpus (platforms/zoom/fixtures/) ---------------------------------------
    def exercise_token(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        if (wire.request.get("form") or {}).get("grant_type") != "authorization_code":
            return super().exercise_token(wire, adapter, account)
        # Sign-in and re-sync: a real consent on the fake's page, then the code redeemed the way
        # finish_oauth redeems it. (finish_oauth then names the user with GET /v2/users/me, which
        # a replayed token answer's made-up access token cannot pass: users_me_ok.json covers it.)
        flow, params, redirect_uri = self._signed_in(adapter, account)
        payload = adapter._token_call(
            {
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": redirect_uri,
                "code_verifier": flow["code_verifier"],
            },
            endpoint="token",
        )
        return zoom_adapter._grant(payload)

    def exercise_bot_token(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        token = adapter._bot_token(self._installation(account), fresh=True)
        return {"access_token": token}

    def wire_context(self, account: PlatformAccount) -> dict[str, str]:
        context = super().wire_context(account)
        app = settings.PLATFORM_APPS["zoom"]
        return {
            **context,
            "basic_auth": _basic(app["client_id"], app["client_secret"]),
            # The chatbot has no stored token: it takes a client-credentials one, as on Zoom.
            "bot_token": get_adapter("zoom")._bot_token(self._installation(account), fresh=True),
            "robot_jid": app["bot_jid"],
            "to_jid": account.chat_address,
            # What the adapter used to build from the user id: no user's JID on the fake.
            "convention_jid": jid_for(account.upstream_user_id),
            # A colleague to message as the person (the relay's user send).
            "peer_email": peer_of(account)["email"],
        }

    def exercise_user_send(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return relay_send(wire, adapter, self.wire_context(account))

    def given_wrong_client_secret(self, sandbox, account, context: dict[str, str]) -> None:
        context["basic_auth"] = _basic(settings.PLATFORM_APPS["zoom"]["client_id"], "not-it")

    def given_refresh_token_spent(self, sandbox, account, context: dict[str, str]) -> None:
        # Someone (another worker) redeemed this refresh token already: it is rotated away.
        app = settings.PLATFORM_APPS["zoom"]
        first = session_for("zoom").post(
            TOKEN_URL,
            data={"grant_type": "refresh_token", "refresh_token": context["refresh_token"]},
            auth=(app["client_id"], app["client_secret"]),
            timeout=30,
        )
        assert first.status_code == 200, first.text[:300]

    def given_authorized_again(self, sandbox, account, context: dict[str, str]) -> None:
        # A finished authorization elsewhere: only the newest grant stays valid (4741).
        sandbox.provision("zoom", account.person.email, account.person.name)


def _basic(client_id: str, client_secret: str) -> str:
    return base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
