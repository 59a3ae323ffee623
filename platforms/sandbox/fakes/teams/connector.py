"""The fake Bot Framework connector for Teams (under ``/sandbox/teams/connector/teams/``).

``POST v3/conversations`` creates (or returns) the bot's 1:1 conversation with a user;
``GET v3/conversations/{id}/members/{member}`` reads one member of it (the roster);
``POST v3/conversations/{id}/activities`` delivers an activity to the user's inbox exactly as
received. All want the bot's token from the botframework.com tenant. A repeated activity ``id``
in a conversation is answered with the first delivery's id and not delivered twice.

Strict like Teams: the member of a new conversation must be the user's ``29:`` Teams user id or
(the documented personal-scope fallback) their Entra object id; anything else (``8:orgid:…``,
an unknown id) is a 400 ``BadArgument``. A card above Adaptive Cards 1.5 is refused the same way
(Teams renders up to 1.5: https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-reference#adaptive-card).
A user who blocked the bot (state ``bot_blocked``) gets Teams' other error shape, 403
``{"errorCode": 209, "message": "{… subCode: MessageWritesBlocked …}"}``; a user without the app
in personal scope (``bot_not_installed``) gets 403 ``ForbiddenOperationException``.
Shapes: https://learn.microsoft.com/en-us/microsoftteams/platform/bots/build-conversational-capability#status-codes-from-bot-conversational-apis
and send-proactive-messages (see ``platforms/teams/fixtures/``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes
from platforms.sandbox.models import SandboxMessage, SandboxToken, SandboxUser

PLATFORM = "teams"
TEAMS_USER_PREFIX = "29:1"
MAX_CARD_VERSION = (1, 5)
# Fake-only states (set on ``SandboxUser.situation`` by the tests; not token situations).
BOT_BLOCKED = "bot_blocked"
BOT_NOT_INSTALLED = "bot_not_installed"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def teams_user_id(user: SandboxUser) -> str:
    """The user's Teams user id for Mio's bot (``29:1…``), opaque like Teams' own."""
    return TEAMS_USER_PREFIX + shapes.b64url(user.upstream_id.encode())


def _decode(value: str, prefix: str) -> str:
    if not value.startswith(prefix):
        return ""
    raw = value[len(prefix) :]
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


def member_user(member_id: str) -> SandboxUser | None:
    """The user a member id names: their 29: Teams user id, or their Entra object id."""
    if member_id.startswith(TEAMS_USER_PREFIX):
        upstream_id = _decode(member_id, TEAMS_USER_PREFIX)
    elif _GUID.match(member_id):
        upstream_id = member_id
    else:
        return None
    if not upstream_id:
        return None
    return SandboxUser.objects.filter(platform=PLATFORM, upstream_id=upstream_id).first()


def conversation_id(user: SandboxUser) -> str:
    """Teams' 1:1 conversation ids look like ``a:1…``; this one encodes who it is with."""
    return "a:1" + shapes.b64url(f"{user.upstream_id}|{user.workspace_id}".encode())


def user_of(conversation: str) -> SandboxUser | None:
    decoded = _decode(conversation, "a:1")
    if not decoded:
        return None
    upstream_id, _, tenant = decoded.partition("|")
    return SandboxUser.objects.filter(
        platform=PLATFORM, upstream_id=upstream_id, workspace_id=tenant
    ).first()


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _denied() -> JsonResponse | None:
    return JsonResponse({"message": "Authorization has been denied for this request."}, status=401)


def _authorized(request: HttpRequest) -> bool:
    return core.usable(core.find(PLATFORM, SandboxToken.Kind.BOT, core.bearer(request)))


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_POST
def conversations(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    members = (body or {}).get("members")
    member = members[0] if isinstance(members, list) and members else {}
    given = str(member.get("id") or "") if isinstance(member, dict) else ""
    user = member_user(given)
    if answer := core.intercept(request, PLATFORM, "conversations", user.email if user else ""):
        return answer
    if not _authorized(request):
        return _denied()
    if body is None:
        return _error(400, "BadSyntax", "The request body is not valid JSON.")
    if user is None:
        return _error(400, "BadArgument", "Invalid user identity in provided tenant")
    channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
    tenant = str(body.get("tenantId") or (channel_data.get("tenant") or {}).get("id") or "")
    if tenant != user.workspace_id:
        return _error(400, "BadArgument", "The tenant does not match the member's tenant.")
    if user.situation == BOT_NOT_INSTALLED:
        if given.startswith(TEAMS_USER_PREFIX):
            return _error(
                403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
            )
        return _error(
            403, "ForbiddenOperationException", "Bot is not installed in user's personal scope"
        )
    return JsonResponse({"id": conversation_id(user)}, status=201)


@csrf_exempt
@require_GET
def member(request: HttpRequest, conversation: str, member: str) -> HttpResponse:
    user = user_of(conversation)
    if answer := core.intercept(request, PLATFORM, "member", user.email if user else ""):
        return answer
    if not _authorized(request):
        return _denied()
    if user is None:
        return _error(404, "ConversationNotFound", "Conversation not found.")
    if member not in (user.upstream_id, teams_user_id(user), user.email):
        return _error(400, "BadArgument", "The member is not part of this conversation.")
    name = user.name or user.email.split("@", 1)[0]
    given, _, surname = name.partition(" ")
    return JsonResponse(
        {
            "id": teams_user_id(user),
            "objectId": user.upstream_id,
            "givenName": given,
            "surname": surname,
            "email": user.email,
            "userPrincipalName": user.email,
            "tenantId": user.workspace_id,
            "userRole": "user",
        }
    )


@csrf_exempt
@require_POST
def activities(request: HttpRequest, conversation: str) -> HttpResponse:
    user = user_of(conversation)
    if answer := core.intercept(request, PLATFORM, "send", user.email if user else ""):
        return answer
    if not _authorized(request):
        return _denied()
    if user is None:
        return _error(404, "ConversationNotFound", "Conversation not found.")
    if user.situation == BOT_BLOCKED:
        return _blocked()
    body = _body(request)
    if body is None or body.get("type") != "message":
        return _error(400, "BadArgument", "The activity must be a JSON object of type 'message'.")
    if too_new := _card_above_limit(body):
        return _error(
            400, "BadArgument", f"Adaptive Card version {too_new} is not supported by Teams."
        )
    activity_id = str(body.get("id") or "")
    if activity_id and _delivered_before(user, activity_id):
        return JsonResponse({"id": activity_id}, status=200)
    core.deliver(PLATFORM, user.email, request.body.decode())
    return JsonResponse({"id": activity_id or str(int(time.time() * 1000))}, status=201)


def _delivered_before(user: SandboxUser, activity_id: str) -> bool:
    candidates = SandboxMessage.objects.filter(
        platform=PLATFORM, recipient=user.email.lower(), payload__contains=activity_id
    ).values_list("payload", flat=True)
    for payload in candidates:
        try:
            if json.loads(payload).get("id") == activity_id:
                return True
        except (ValueError, AttributeError):
            continue
    return False


def _blocked() -> JsonResponse:
    """Teams' answer when the user blocked or uninstalled the bot: the ``errorCode`` shape,
    its ``message`` a JSON text (send-proactive-messages, "Understand who blocked…")."""
    inner = {
        "subCode": "MessageWritesBlocked",
        "details": "Thread is blocked from message writes.",
        "errorCode": None,
        "errorSubCode": None,
    }
    return JsonResponse({"errorCode": 209, "message": json.dumps(inner, indent=2)}, status=403)


def _card_above_limit(activity: dict[str, Any]) -> str:
    """The version of an attached Adaptive Card newer than Teams renders ("" when none is)."""
    attachments = activity.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict):
            continue
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            continue
        content = attachment.get("content")
        version = str(content.get("version") or "") if isinstance(content, dict) else ""
        try:
            parsed = tuple(int(part) for part in version.split("."))
        except ValueError:
            return version or "(none)"
        if parsed > MAX_CARD_VERSION:
            return version
    return ""
