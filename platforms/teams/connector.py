"""Proactive 1:1 messages through the Bot Framework connector REST API (Teams).

1. A bot token by client credentials in the ``botframework.com`` tenant (msal), kept in memory
   until shortly before it expires (it is the bot's own token, the same for every send);
2. ``POST {serviceUrl}/v3/conversations`` creates the 1:1 conversation, or returns the existing
   one (the id is cached on the account, so later sends skip this step);
3. ``POST {serviceUrl}/v3/conversations/{id}/activities`` with the Adaptive Card.

Failures are classified on the connector's error code (``BotNotInConversationRoster``,
``BotDisabledByAdmin``…) so the caller knows the bot cannot reach this person and falls back to
another channel.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from platforms.errors import Evidence, PlatformError
from platforms.http import REAL_BASES, request, session_for
from platforms.teams import entra
from platforms.teams.errors import TEAMS_ERRORS
from tokens.situations import Situation

PLATFORM = "teams"
DEFAULT_SERVICE_URL = f"{REAL_BASES['teams']['connector']}/teams/"
TOKEN_MARGIN = 300.0  # seconds: fetch a new bot token this long before the old one expires

_bot_tokens: dict[tuple[str, str], tuple[float, str]] = {}
_bot_lock = threading.Lock()


def bot_access_token() -> str:
    key = (
        settings.SANDBOX_URL if settings.SANDBOX_ENABLED else "",
        _bot_app_id() + "@" + entra.bot_tenant(),
    )
    with _bot_lock:
        hit = _bot_tokens.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    result = entra.bot_token()
    token = str(result["access_token"])
    lifetime = float(result.get("expires_in") or 3600)
    with _bot_lock:
        _bot_tokens[key] = (time.monotonic() + max(lifetime - TOKEN_MARGIN, 0.0), token)
    return token


def forget_bot_token() -> None:
    """Drop the cached bot token (the connector refused it)."""
    with _bot_lock:
        _bot_tokens.clear()


def bot_id() -> str:
    return f"28:{_bot_app_id()}"


def _bot_app_id() -> str:
    return str(settings.PLATFORM_APPS[PLATFORM]["bot_app_id"])


class Connector:
    """One send's connector calls, sharing a session and the bot token."""

    def __init__(self, service_url: str) -> None:
        self.base = (service_url or DEFAULT_SERVICE_URL).rstrip("/")
        self.session = session_for(PLATFORM)

    def close(self) -> None:
        self.session.close()

    def create_conversation(self, tenant_id: str, user_object_id: str) -> str:
        body = {
            "bot": {"id": bot_id(), "name": "Mio"},
            "isGroup": False,
            "members": [{"id": f"8:orgid:{user_object_id}", "aadObjectId": user_object_id}],
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}},
        }
        data = self._post("conversations", f"{self.base}/v3/conversations", body)
        conversation_id = str(data.get("id") or "")
        if not conversation_id:
            raise PlatformError(
                Situation.UNKNOWN,
                Evidence(
                    platform=PLATFORM,
                    endpoint="conversations",
                    error="no_conversation_id",
                    description="The connector created no conversation id.",
                ),
            )
        return conversation_id

    def send_activity(self, conversation_id: str, activity: dict[str, Any]) -> str:
        url = f"{self.base}/v3/conversations/{quote(conversation_id, safe=':@')}/activities"
        data = self._post("send", url, activity)
        return str(data.get("id") or "")

    def _post(self, endpoint: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in (1, 2):
            response = request(
                self.session,
                "POST",
                url,
                platform=PLATFORM,
                endpoint=endpoint,
                json=body,
                headers={"Authorization": f"Bearer {bot_access_token()}"},
            )
            if response.status_code == 401 and attempt == 1:
                # A cached bot token the connector no longer accepts: fetch a new one once.
                forget_bot_token()
                continue
            break
        data = _json(response)
        if response.status_code in (200, 201, 202):
            return data
        raise classify(response, endpoint, data)


def classify(response: requests.Response, endpoint: str, data: dict[str, Any]) -> PlatformError:
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    code = str(error.get("code") or "")
    situation = TEAMS_ERRORS.lookup(f"bot:{code}") if code else None
    if situation is None:
        # A fresh bot token refused: Mio's own bot registration is wrong.
        situation = Situation.OPERATOR_CONFIG if response.status_code == 401 else Situation.UNKNOWN
    return PlatformError(
        situation,
        Evidence(
            platform=PLATFORM,
            endpoint=endpoint,
            http_status=response.status_code,
            error=code,
            description=str(error.get("message") or data.get("message") or "")[:1000],
            correlation_id=str(response.headers.get("MS-CV") or ""),
            trace_id=str(response.headers.get("x-ms-request-id") or ""),
            timestamp=str(response.headers.get("Date") or ""),
            raw=Evidence.clip(response.text or ""),
        ),
    )


def is_conversation_gone(err: PlatformError) -> bool:
    return err.evidence.http_status == 404 and err.evidence.error == "ConversationNotFound"


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
