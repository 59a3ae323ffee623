"""The Microsoft Teams fake: Entra ID (discovery, authorize + consent, token), Graph ``/me``, a
person's Graph chats (what a relay sends with their token), the Bot Framework connector, and
Graph lifecycle notifications pushed to the project.

Endpoints for the control API's ``script`` call: ``discovery``, ``authorize``, ``token``,
``bot_token``, ``probe``, ``chats``, ``chat_send``, ``conversations``, ``member``, ``send`` (see
``endpoints``).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any, ClassVar

import requests
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone

from platforms.sandbox import core
from platforms.sandbox.fakes.base import FakePlatform
from platforms.sandbox.fakes.teams import (
    chats,
    connector,
    consent,
    discovery,
    entra,
    graph,
    issuing,
    shapes,
)
from platforms.sandbox.fakes.teams.inbox import card_context
from platforms.sandbox.fakes.teams.situations import SITUATIONS
from platforms.sandbox.models import SandboxMessage, SandboxToken, SandboxUser
from platforms.teams.subscriptions import client_state_for

PLATFORM = "teams"
SERVICE_URL = "https://smba.trafficmanager.net/teams/"


class TeamsFake(FakePlatform):
    key = "teams"
    situations: ClassVar[frozenset[str]] = SITUATIONS
    endpoints: ClassVar[dict[str, str]] = {
        "discovery": "GET login/<tenant>/v2.0/.well-known/openid-configuration (msal reads it)",
        "authorize": "GET/POST login/<tenant>/oauth2/v2.0/authorize: sign-in and consent page",
        "token": "POST login/<tenant>/oauth2/v2.0/token: refresh_token and authorization_code "
        "grants (Entra error bodies: error, error_codes, suberror, trace/correlation ids)",
        "bot_token": "POST login/botframework.com/oauth2/v2.0/token: the bot's client "
        "credentials token",
        "app_token": "POST login/<tenant>/oauth2/v2.0/token: the Entra app's own client "
        "credentials token (app-only Graph; check_platforms)",
        "probe": "GET graph/v1.0/me: Microsoft Graph identity call",
        "chats": "POST graph/v1.0/chats: a person's 1:1 chat with another user (their own "
        "delegated token; the existing chat if there is one)",
        "chat_send": "POST graph/v1.0/chats/<chat-id>/messages: a message the person sends in "
        "their chat with their own token (user = the sender)",
        "conversations": "POST connector/teams/v3/conversations: create the 1:1 conversation "
        "(member: the 29: Teams user id, or the Entra object id)",
        "member": "GET connector/teams/v3/conversations/<id>/members/<member>: one member of the "
        "conversation's roster (its 29: Teams user id)",
        "send": "POST connector/teams/v3/conversations/<id>/activities: deliver an activity",
    }
    events: ClassVar[dict[str, str]] = {
        "reauthorizationRequired": "Graph lifecycle notification for the user's Entra tenant "
        "(the user's access tokens are expired, as when Graph can no longer use the grant)",
        "subscriptionRemoved": "Graph lifecycle notification for the user's Entra tenant (the "
        "user's sessions are revoked, as when the subscription's access was withdrawn)",
    }

    def urlpatterns(self) -> list[URLPattern | URLResolver]:
        return [
            path(
                "login/<str:tenant>/v2.0/.well-known/openid-configuration",
                discovery.discovery,
                name="discovery",
            ),
            path("login/<str:tenant>/oauth2/v2.0/authorize", consent.authorize, name="authorize"),
            path("login/<str:tenant>/oauth2/v2.0/token", entra.token, name="token"),
            path("graph/v1.0/me", graph.me, name="me"),
            path("graph/v1.0/chats", chats.chats, name="chats"),
            path("graph/v1.0/chats/<str:chat>/messages", chats.chat_messages, name="chat-messages"),
            path("connector/teams/v3/conversations", connector.conversations, name="conversations"),
            path(
                "connector/teams/v3/conversations/<str:conversation>/members/<str:member>",
                connector.member,
                name="member",
            ),
            path(
                "connector/teams/v3/conversations/<str:conversation>/activities",
                connector.activities,
                name="activities",
            ),
        ]

    def provision(
        self, email: str, name: str = "", workspace_id: str = ""
    ) -> tuple[SandboxUser, dict[str, Any]]:
        email = email.lower()
        user, _ = SandboxUser.objects.get_or_create(
            platform=PLATFORM,
            email=email,
            defaults={
                "name": name,
                # Entra object ids are GUIDs; the tenant id is the directory's GUID.
                "upstream_id": str(uuid.uuid4()),
                "workspace_id": workspace_id or shapes.tenant_for(email),
            },
        )
        answer = issuing.user_tokens(user, client_id=shapes.app()["client_id"], cae=True)
        grant = {
            "access_token": answer["access_token"],
            "refresh_token": answer["refresh_token"],
            "expires_in": answer["expires_in"],
            "scopes": answer["scope"].split(),
            "upstream_user_id": user.upstream_id,
            "workspace_id": user.workspace_id,
            "email": user.email,
        }
        return user, grant

    def provision_bot(self, workspace_id: str) -> dict[str, Any]:
        # Teams bots have no per-workspace token: the bot authenticates with its app id and
        # secret (settings) and talks to the connector at the service URL.
        return {
            "bot_token": "",
            "bot_user_id": f"28:{shapes.app()['bot_app_id']}",
            "service_url": SERVICE_URL,
        }

    def emit(self, event: str, user: SandboxUser, target_base: str) -> dict[str, Any]:
        if event not in self.events:
            raise ValueError(f"teams pushes no {event!r}")
        if event == "subscriptionRemoved":
            SandboxToken.objects.filter(
                platform=PLATFORM, kind=SandboxToken.Kind.REFRESH, user=user
            ).update(revoked=True)
        else:
            core.expire_access_tokens(PLATFORM, user.email)
        payload = {
            "value": [
                {
                    "subscriptionId": str(
                        uuid.uuid5(uuid.NAMESPACE_URL, f"mio:{user.upstream_id}")
                    ),
                    "subscriptionExpirationDateTime": (timezone.now() + timedelta(days=2))
                    .isoformat()
                    .replace("+00:00", "Z"),
                    "tenantId": user.workspace_id,
                    "clientState": client_state_for(user.workspace_id),
                    "lifecycleEvent": event,
                }
            ]
        }
        http = requests.Session()
        http.trust_env = False
        try:
            response = http.post(
                f"{target_base.rstrip('/')}/hooks/graph/lifecycle/",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
                timeout=10,
            )
        finally:
            http.close()
        return {
            "status": response.status_code,
            "body": response.text[:500],
            "tenant_id": user.workspace_id,
            "lifecycle_event": event,
        }

    def inbox_context(self, message: SandboxMessage) -> dict[str, Any]:
        return card_context(message.payload)
