"""The fake Bot Framework connector for Teams (under ``/sandbox/teams/connector/teams/``).

``POST v3/conversations`` creates (or returns) the bot's 1:1 conversation with a user;
``POST v3/conversations/{id}/activities`` delivers an activity to the user's inbox exactly as
received. Both want the bot's token from the botframework.com tenant. A repeated activity ``id``
in a conversation is answered with the first delivery's id and not delivered twice.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes
from platforms.sandbox.models import SandboxMessage, SandboxToken, SandboxUser

PLATFORM = "teams"


def conversation_id(user: SandboxUser) -> str:
    """Teams' 1:1 conversation ids look like ``a:1…``; this one encodes who it is with."""
    return "a:1" + shapes.b64url(f"{user.upstream_id}|{user.workspace_id}".encode())


def user_of(conversation: str) -> SandboxUser | None:
    if not conversation.startswith("a:1"):
        return None
    raw = conversation[3:]
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
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
    member = ((body or {}).get("members") or [{}])[0]
    object_id = ""
    if isinstance(member, dict):
        object_id = str(member.get("aadObjectId") or "")
        if not object_id and str(member.get("id", "")).startswith("8:orgid:"):
            object_id = str(member["id"])[len("8:orgid:") :]
    user = (
        SandboxUser.objects.filter(platform=PLATFORM, upstream_id=object_id).first()
        if object_id
        else None
    )
    if answer := core.intercept(request, PLATFORM, "conversations", user.email if user else ""):
        return answer
    if not _authorized(request):
        return _denied()
    if body is None:
        return _error(400, "BadSyntax", "The request body is not valid JSON.")
    if user is None:
        return _error(400, "BadArgument", "The member could not be found in this tenant.")
    tenant = str(
        body.get("tenantId") or (body.get("channelData") or {}).get("tenant", {}).get("id")
    )
    if tenant != user.workspace_id:
        return _error(400, "BadArgument", "The tenant does not match the member's tenant.")
    return JsonResponse({"id": conversation_id(user)}, status=201)


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
    body = _body(request)
    if body is None or body.get("type") != "message":
        return _error(400, "BadArgument", "The activity must be a JSON object of type 'message'.")
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
