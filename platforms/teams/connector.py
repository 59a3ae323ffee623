"""Proactive 1:1 messages through the Bot Framework connector REST API (Teams).

1. A bot token by client credentials in the ``botframework.com`` tenant (msal), kept in memory
   until shortly before it expires (it is the bot's own token, the same for every send);
2. ``POST {serviceUrl}/v3/conversations`` creates the 1:1 conversation, or returns the existing
   one (the id is cached on the account, so later sends skip this step). The member is the
   person's Teams user id (``29:…``, ``PlatformAccount.chat_address``); until Mio knows it, the
   Entra object id, which Teams documents as the fallback for personal chats ("To create the
   conversation, pass the aadObjectId value in the Id parameter", supported only in personal
   scope): https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages#create-the-conversation
3. ``GET {serviceUrl}/v3/conversations/{id}/members/{aadObjectId}`` reads the person's Teams user
   id from that conversation's roster (it accepts "their Teams user ID, UPN, or Azure AD Object
   ID"): https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/get-teams-context#get-single-member-details
4. ``POST {serviceUrl}/v3/conversations/{id}/activities`` with the Adaptive Card.

The connector answers errors in two shapes, and both are read (``read_error``):
- the Bot Framework ``ErrorResponse`` ``{"error": {"code", "message"}}`` (REST reference,
  https://learn.microsoft.com/en-us/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference#errorresponse-object;
  botbuilder-python ``botbuilder/schema/error_response_py3.py``), with the Teams codes of
  https://learn.microsoft.com/en-us/microsoftteams/platform/bots/build-conversational-capability#status-codes-from-bot-conversational-apis
- Teams' own ``{"errorCode": 209, "message": "<JSON text with subCode, details…>"}``, as when
  the user blocked or uninstalled the bot (403 ``subCode: MessageWritesBlocked``,
  send-proactive-messages, "Understand who blocked, muted, or uninstalled a bot").
Failures are classified on the code, so the caller knows the bot cannot reach this person (and
falls back to another channel) rather than asking an admin about an unknown failure.
"""

from __future__ import annotations

import json
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
TEAMS_USER_PREFIX = "29:"  # Teams user ids; bots are "28:"
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

    def create_conversation(self, tenant_id: str, member_id: str) -> str:
        """The 1:1 conversation with ``member_id`` (a ``29:`` Teams user id, or the Entra object
        id as the documented personal-scope fallback, see ``member_id``)."""
        body = {
            "bot": {"id": bot_id(), "name": "Mio"},
            "isGroup": False,
            "members": [{"id": member_id}],
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

    def teams_user_id(self, conversation_id: str, object_id: str) -> str:
        """The person's ``29:`` Teams user id, read from the 1:1 conversation's roster ("" when
        the roster does not say)."""
        url = (
            f"{self.base}/v3/conversations/{quote(conversation_id, safe=':@')}"
            f"/members/{quote(object_id, safe='')}"
        )
        data = self._call("GET", "member", url)
        found = data.get("id")
        return found if isinstance(found, str) and found.startswith(TEAMS_USER_PREFIX) else ""

    def send_activity(self, conversation_id: str, activity: dict[str, Any]) -> str:
        url = f"{self.base}/v3/conversations/{quote(conversation_id, safe=':@')}/activities"
        data = self._post("send", url, activity)
        return str(data.get("id") or "")

    def _post(self, endpoint: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", endpoint, url, body)

    def _call(
        self, method: str, endpoint: str, url: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        for attempt in (1, 2):
            response = request(
                self.session,
                method,
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


def member_id(account: Any) -> str:
    """Who a conversation is created with: the Teams user id when Mio has read it, else the
    Entra object id (Teams' documented fallback for personal chats; never ``8:orgid:``)."""
    address = str(getattr(account, "chat_address", "") or "")
    return address if address.startswith(TEAMS_USER_PREFIX) else account.upstream_user_id


def read_error(data: dict[str, Any]) -> tuple[str, str, str]:
    """(code, message, numeric errorCode) of a connector error body, in either shape.

    ``{"error": {"code", "message"}}`` gives its code; ``{"errorCode": 209, "message": "{…}"}``
    carries JSON text whose ``subCode`` (``MessageWritesBlocked``) or ``code`` is the code.
    Fields of an unexpected type count as absent.
    """
    error = data.get("error")
    if isinstance(error, dict):
        return _text(error.get("code")), _text(error.get("message"), 1000), ""
    number = data.get("errorCode")
    numeric = str(number) if isinstance(number, int) and not isinstance(number, bool) else ""
    message = _text(data.get("message"), 4000)
    inner: Any = None
    if message.lstrip().startswith("{"):
        try:
            inner = json.loads(message)
        except ValueError:
            inner = None
    if isinstance(inner, dict):
        code = _text(inner.get("subCode")) or _text(inner.get("code"))
        details = _text(inner.get("details"), 1000) or _text(inner.get("message"), 1000)
        return code, details or message[:1000], numeric
    return "", message[:1000], numeric


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def classify(response: requests.Response, endpoint: str, data: dict[str, Any]) -> PlatformError:
    code, message, numeric = read_error(data)
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
            error_codes=[numeric] if numeric else [],
            description=message,
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
