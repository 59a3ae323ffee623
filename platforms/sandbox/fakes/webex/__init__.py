"""The fake Webex (``/sandbox/webex/api/`` stands for ``https://webexapis.com/v1``).

Webex pushes no revocation event (no webhook), so this fake emits none: the project finds broken
grants by probing ``GET /v1/people/me``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import path

from platforms.sandbox import core
from platforms.sandbox.fakes.base import FakePlatform
from platforms.sandbox.fakes.webex.api import access_token, direct_messages, messages, people_me
from platforms.sandbox.fakes.webex.consent import authorize
from platforms.sandbox.fakes.webex.inbox import card_view
from platforms.sandbox.fakes.webex.shapes import (
    ACCESS_SECONDS,
    BOT_EMAIL,
    INTEGRATION_SCOPES,
    KEY,
    REFRESH_SECONDS,
    S,
    bot_id,
    mint,
    opaque_token,
    webex_id,
)
from platforms.sandbox.models import SandboxMessage, SandboxUser


class WebexFake(FakePlatform):
    key = KEY
    situations = frozenset(
        {
            "access_token_expired",
            "grant_revoked",
            "app_disabled",
            "user_disabled",
            "insufficient_scope",
            "transient",
        }
    )
    endpoints = {
        "token": "POST /v1/access_token: authorization code exchange and refresh",
        "probe": "GET /v1/people/me: the identity call",
        "bot_probe": "GET /v1/people/me with the bot's token: the bot's own details",
        "send": "POST /v1/messages: the bot's direct message",
        "user_send": "POST /v1/messages with a person's own token (toPersonEmail): their "
        "message (user = the sender)",
        "direct": "GET /v1/messages/direct: the bot's 1:1 room with a person (user = them)",
        "authorize": "GET/POST /v1/authorize: the consent page",
    }

    def urlpatterns(self) -> list:
        return [
            path("api/authorize", authorize, name="authorize"),
            path("api/access_token", access_token, name="access-token"),
            path("api/people/me", people_me, name="people-me"),
            path("api/messages/direct", direct_messages, name="messages-direct"),
            path("api/messages", messages, name="messages"),
        ]

    def provision(
        self, email: str, name: str = "", workspace_id: str = ""
    ) -> tuple[SandboxUser, dict[str, Any]]:
        domain = email.rsplit("@", 1)[-1].lower()
        user, _created = SandboxUser.objects.get_or_create(
            platform=KEY,
            email=email.lower(),
            defaults={
                "name": name,
                "upstream_id": webex_id("PEOPLE", uuid.uuid4()),
                # One org per mail domain unless told: colleagues share their organisation.
                "workspace_id": workspace_id
                or webex_id("ORGANIZATION", uuid.uuid5(uuid.NAMESPACE_DNS, domain)),
            },
        )
        if name and not user.name:
            SandboxUser.objects.filter(pk=user.pk).update(name=name)
        scopes = list(INTEGRATION_SCOPES)
        answer = mint(user, scopes)
        grant = {
            "access_token": answer["access_token"],
            "refresh_token": answer["refresh_token"],
            "expires_in": ACCESS_SECONDS,
            "refresh_expires_in": REFRESH_SECONDS,
            "scopes": scopes,
            "upstream_user_id": user.upstream_id,
            "workspace_id": user.workspace_id,
            "email": user.email,
        }
        return user, grant

    def provision_bot(self, workspace_id: str) -> dict[str, Any]:
        # Webex bot tokens do not expire in practice (they are valid for 100 years).
        token = core.issue(
            KEY,
            S.BOT,
            None,
            opaque_token(workspace_id or "bot"),
            meta={"workspace_id": workspace_id},
        )
        return {"bot_token": token, "bot_user_id": bot_id(), "bot_email": BOT_EMAIL}

    def inbox_context(self, message: SandboxMessage) -> dict[str, Any]:
        return {"webex": card_view(message.payload), "bot_email": BOT_EMAIL}
