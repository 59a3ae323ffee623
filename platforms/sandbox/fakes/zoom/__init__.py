"""The Zoom Team Chat fake: OAuth (consent, token), ``/v2/users/me``, chatbot messages, events.

Served under ``/sandbox/zoom/`` at Zoom's real paths: ``oauth/…`` is ``https://zoom.us/oauth/…``
and ``api/…`` is ``https://api.zoom.us/…``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import requests
from django.conf import settings
from django.urls import URLPattern, path
from django.utils import timezone

from platforms.sandbox.fakes.base import FakePlatform
from platforms.sandbox.fakes.zoom import consent, user_chat, views
from platforms.sandbox.fakes.zoom import tokens as T
from platforms.sandbox.models import SandboxMessage, SandboxUser


class ZoomFake(FakePlatform):
    key = "zoom"
    # What Zoom can do to a user's grant that a check can tell apart. Zoom answers an expired
    # refresh token exactly like a revoked one ("Invalid Token!"), so refresh_token_inactive is
    # told apart by the token's age in the adapter, not produced here; MFA, passwords and
    # Conditional Access do not surface through Zoom's OAuth.
    situations = frozenset(
        {
            "access_token_expired",
            "grant_revoked",
            "app_disabled",
            "user_deleted",
            "user_disabled",
            "consent_missing",
            "insufficient_scope",
            "transient",
        }
    )
    endpoints = {
        "token": "POST zoom.us/oauth/token: refresh_token and authorization_code grants",
        "bot_token": "POST zoom.us/oauth/token?grant_type=client_credentials (chatbot token)",
        "probe": "GET api.zoom.us/v2/users/me",
        "send": "POST api.zoom.us/v2/im/chat/messages (chatbot message)",
        "user_send": "POST api.zoom.us/v2/chat/users/me/messages: a person's own chat message "
        "(to_contact: an email; user = the sender)",
        "authorize": "GET/POST zoom.us/oauth/authorize (consent page)",
    }
    events = {
        "app_deauthorized": "The user removed (deauthorized) the app: their grant is revoked.",
    }

    def urlpatterns(self) -> list[URLPattern]:
        return [
            path("oauth/authorize", consent.authorize, name="authorize"),
            path("oauth/token", views.token, name="token"),
            path("api/v2/users/me", views.users_me, name="users-me"),
            path("api/v2/im/chat/messages", views.chat_messages, name="chat-messages"),
            path(
                "api/v2/chat/users/<str:user_id>/messages",
                user_chat.user_messages,
                name="user-chat-messages",
            ),
        ]

    def provision(
        self, email: str, name: str = "", workspace_id: str = ""
    ) -> tuple[SandboxUser, dict[str, Any]]:
        user = SandboxUser.objects.filter(platform=self.key, email__iexact=email).first()
        if user is None:
            user = SandboxUser.objects.create(
                platform=self.key,
                email=email.lower(),
                name=name,
                upstream_id=T.zoom_id(),
                workspace_id=workspace_id or T.account_id_for(email),
            )
        elif name and not user.name:
            user.name = name
            user.save(update_fields=["name"])
        # A finished authorization: only the newest grant stays valid, as on Zoom.
        T.void_previous_grants(user)
        answer = T.issue_user_grant(user)
        return user, {
            "access_token": answer["access_token"],
            "refresh_token": answer["refresh_token"],
            "expires_in": answer["expires_in"],
            "scopes": answer["scope"].split(),
            "upstream_user_id": user.upstream_id,
            "workspace_id": user.workspace_id,
            "email": user.email,
            "chat_address": T.jid_of(user),
        }

    def provision_bot(self, workspace_id: str) -> dict[str, Any]:
        # The chatbot has no stored token: it takes a client-credentials token when it sends.
        T.install_chatbot(workspace_id)
        return {"bot_token": "", "bot_user_id": settings.PLATFORM_APPS["zoom"]["bot_jid"]}

    def emit(self, event: str, user: SandboxUser, target_base: str) -> dict[str, Any]:
        if event not in self.events:
            raise ValueError(f"zoom emits {sorted(self.events)}, not {event!r}")
        # Deauthorizing voids the user's grant on Zoom's side before the event goes out.
        T.revoke_all(user)
        app = settings.PLATFORM_APPS["zoom"]
        now = timezone.now()
        payload = {
            "event": "app_deauthorized",
            "event_ts": int(now.timestamp() * 1000),
            "payload": {
                "account_id": user.workspace_id,
                "user_id": user.upstream_id,
                "signature": secrets.token_hex(32),
                "deauthorization_time": now.isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z"
                ),
                "client_id": app["client_id"],
                "user_data_retention": "false",
            },
        }
        body = json.dumps(payload, separators=(",", ":"))
        timestamp = str(int(time.time()))
        digest = hmac.new(
            app["webhook_secret"].encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
        ).hexdigest()
        url = f"{target_base.rstrip('/')}/hooks/zoom/events/"
        try:
            with requests.Session() as http:
                http.trust_env = False
                response = http.post(
                    url,
                    data=body.encode(),
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "User-Agent": "Zoom Marketplace/1.0a",
                        "x-zm-request-timestamp": timestamp,
                        "x-zm-signature": f"v0={digest}",
                    },
                    timeout=10,
                )
        except requests.RequestException as exc:
            return {"url": url, "status": None, "error": type(exc).__name__, "event": payload}
        return {
            "url": url,
            "status": response.status_code,
            "response": response.text[:500],
            "event": payload,
        }

    def inbox_context(self, message: SandboxMessage) -> dict[str, Any]:
        from platforms.sandbox.fakes.zoom.inbox import card_of

        return {"payload": message.payload, "zoom": card_of(message)}
