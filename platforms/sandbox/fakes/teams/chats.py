"""The fake Microsoft Graph chats: a person's own 1:1 chat and the messages they send in it.

With a user's delegated token (what Mio's token API hands a relay), Graph lets that person:

- ``POST /v1.0/chats`` ``{"chatType": "oneOnOne", "members": [two aadUserConversationMember]}``:
  the 1:1 chat of the two; "only one one-on-one chat can exist between two members. If a
  one-on-one chat already exists, this operation returns the existing chat" (201 either way).
  https://learn.microsoft.com/en-us/graph/api/chat-post (microsoftgraph/microsoft-graph-docs-contrib
  api-reference/v1.0/api/chat-post.md@0050578fe74d729c3c6b73f1b3bddee72b0bd971, example 1 and 3:
  members bound by object id or by user principal name);
- ``POST /v1.0/chats/{chat-id}/messages`` ``{"body": {"content": "…"}}``: the message, from them
  (201 and the chatMessage). https://learn.microsoft.com/en-us/graph/api/chat-post-messages
  (api-reference/v1.0/api/chat-post-messages.md@028b8e354879f1054adbd96bfa8d16fff4330811).

The token is checked as ``GET /v1.0/me`` checks it (graph.py): empty, malformed, expired, revoked
by CAE, or the user's situation. Graph wants ``Chat.Create`` and ``ChatMessage.Send`` for these;
the sandbox's grants carry ``User.Read`` only, so the scopes are not enforced here.
A 1:1 chat's id names its two members (``19:<oid>_<oid>@unq.gbl.spaces``, as Graph's own
example shows), so the sandbox keeps no chat rows: the id is the chat.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes, situations
from platforms.sandbox.models import SandboxToken, SandboxUser

PLATFORM = "teams"
MEMBER_TYPE = "#microsoft.graph.aadUserConversationMember"
_BIND = re.compile(r"^https://graph\.microsoft\.com/(?:v1\.0|beta)/users\('([^']+)'\)$")
_CHAT = re.compile(r"^19:([0-9a-f-]{36})_([0-9a-f-]{36})@unq\.gbl\.spaces$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _caller(request: HttpRequest) -> tuple[SandboxUser | None, HttpResponse | None]:
    """The signed-in user behind the bearer token, or Graph's refusal (as ``/me`` refuses)."""
    token = core.find(PLATFORM, SandboxToken.Kind.ACCESS, core.bearer(request))
    user = token.user if token is not None else None
    if not core.bearer(request):
        return None, shapes.graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
    if token is None or user is None:
        return None, shapes.graph_error(
            401,
            "InvalidAuthenticationToken",
            "IDX14100: JWT is not well formed, there are no dots (.).",
        )
    if token.revoked:
        return None, shapes.cae_challenge(
            "Continuous access evaluation resulted in challenge with result: InteractionRequired "
            "and code: TokenIssuedBeforeRevocationTimestamp"
        )
    if not core.usable(token):
        return None, shapes.graph_error(
            401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        )
    if failure := situations.graph_failure(user.situation, cae=bool(token.meta.get("cae"))):
        return None, failure
    return user, None


def _body(request: HttpRequest) -> dict[str, Any] | None:
    if request.content_type != "application/json":
        return None
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _bad_request(message: str) -> JsonResponse:
    return shapes.graph_error(400, "BadRequest", message)


def _member(value: Any) -> SandboxUser | None:
    """A member entry's user, bound by object id or user principal name (email here)."""
    if not isinstance(value, dict) or value.get("@odata.type") != MEMBER_TYPE:
        return None
    found = _BIND.match(str(value.get("user@odata.bind") or ""))
    if not found:
        return None
    key = found.group(1)
    people = SandboxUser.objects.filter(platform=PLATFORM)
    found_user = people.filter(email__iexact=key) if "@" in key else people.filter(upstream_id=key)
    return found_user.first()


def chat_id(a: SandboxUser, b: SandboxUser) -> str:
    first, second = sorted([a.upstream_id, b.upstream_id])
    return f"19:{first}_{second}@unq.gbl.spaces"


@csrf_exempt
def chats(request: HttpRequest) -> HttpResponse:
    user, refused = _caller(request)
    if answer := core.intercept(request, PLATFORM, "chats", user.email if user else ""):
        return answer
    if request.method != "POST":
        return shapes.graph_error(405, "Request_BadRequest", "Method not allowed.")
    if refused is not None:
        return refused
    assert user is not None
    body = _body(request)
    if body is None:
        return _bad_request("Invalid request body: a JSON chat object is required.")
    if body.get("chatType") != "oneOnOne":
        # Group chats need a topic and their own rows; the sandbox serves the 1:1 chat only.
        return _bad_request("chatType must be 'oneOnOne' (the sandbox holds one-on-one chats).")
    members = body.get("members")
    if not isinstance(members, list) or len(members) != 2:
        return _bad_request("A one-on-one chat needs exactly two members.")
    people = [_member(m) for m in members]
    if any(p is None for p in people):
        return shapes.graph_error(
            404, "NotFound", "A member's user@odata.bind does not name a user of the tenant."
        )
    a, b = people
    assert a is not None
    assert b is not None
    if user.pk not in (a.pk, b.pk) or a.pk == b.pk:
        # "Every single user, including the user initiating the create request" is listed.
        return _bad_request("The members must be the caller and one other user.")
    when = _now()
    return JsonResponse(
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#chats/$entity",
            "id": chat_id(a, b),
            "topic": None,
            "createdDateTime": when,
            "lastUpdatedDateTime": when,
            "chatType": "oneOnOne",
        },
        status=201,
    )


@csrf_exempt
def chat_messages(request: HttpRequest, chat: str) -> HttpResponse:
    user, refused = _caller(request)
    if answer := core.intercept(request, PLATFORM, "chat_send", user.email if user else ""):
        return answer
    if request.method != "POST":
        return shapes.graph_error(405, "Request_BadRequest", "Method not allowed.")
    if refused is not None:
        return refused
    assert user is not None
    found = _CHAT.match(chat)
    ids = set(found.groups()) if found else set()
    if user.upstream_id not in ids:
        # Graph hides chats the caller is not a member of.
        return shapes.graph_error(404, "NotFound", f"Chat {chat} was not found for the user.")
    other = SandboxUser.objects.filter(
        platform=PLATFORM, upstream_id__in=ids - {user.upstream_id}
    ).first()
    if other is None:
        return shapes.graph_error(404, "NotFound", f"Chat {chat} was not found for the user.")
    body = _body(request)
    content = (body or {}).get("body")
    text = content.get("content") if isinstance(content, dict) else None
    if not isinstance(text, str) or not text.strip():
        return _bad_request("Missing message body content.")
    kind = content.get("contentType", "text") if isinstance(content, dict) else "text"
    if kind not in ("text", "html"):
        return _bad_request("body.contentType must be 'text' or 'html'.")
    delivered = core.deliver(
        PLATFORM, other.email, request.body.decode("utf-8"), kind="chat", sender=user.email
    )
    message_id = str(int(time.time() * 1000) + delivered.pk)
    when = delivered.at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return JsonResponse(
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#chats"
            f"('{quote(chat, safe='')}')/messages/$entity",
            "id": message_id,
            "replyToId": None,
            "etag": message_id,
            "messageType": "message",
            "createdDateTime": when,
            "lastModifiedDateTime": when,
            "lastEditedDateTime": None,
            "deletedDateTime": None,
            "subject": None,
            "summary": None,
            "chatId": chat,
            "importance": "normal",
            "locale": "en-us",
            "webUrl": None,
            "channelIdentity": None,
            "policyViolation": None,
            "eventDetail": None,
            "from": {
                "application": None,
                "device": None,
                "conversation": None,
                "user": {
                    "id": user.upstream_id,
                    "displayName": user.name or user.email,
                    "userIdentityType": "aadUser",
                },
            },
            "body": {"contentType": kind, "content": text},
            "attachments": [],
            "mentions": [],
            "reactions": [],
            "messageHistory": [],
        },
        status=201,
    )
