"""The fake Zoom Team Chat API for a person: ``POST /v2/chat/users/me/messages``.

"Send chat messages on Zoom to either an individual user who is in your contact list or to a
channel of which you are a member. To send a message to a contact, provide the contact's email
address in the ``to_contact`` field" — with the user's own OAuth token (user-managed app, scope
``team_chat:write:user_message``); ``message`` is required; 201 ``{"id": "<message id>"}``.
https://developers.zoom.us/docs/api/team-chat/#tag/chat-messages/POST/chat/users/{userId}/messages
(operation sendaChatMessage; also rootalley/py-zoom-api docs/ChatMessagesApi.md, "Send a Chat
Message"). Refusals use the REST API's envelopes already in the corpus: 401 code 124 for a token
Zoom does not honour, code 300 "Validation Failed." with ``errors[{field, message}]`` for a
missing field (https://developers.zoom.us/docs/api/errors/), 1001 for an unknown user.

The sandbox holds no channels, so ``to_channel`` is refused as an invalid field.
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.zoom import answers as A
from platforms.sandbox.fakes.zoom import tokens as T
from platforms.sandbox.models import SandboxToken, SandboxUser

SEND_SCOPE = "team_chat:write:user_message"
MISSING_SEND_SCOPE: A.Answer = (
    400,
    {"code": 4711, "message": f"Invalid access token, does not contain scopes:[{SEND_SCOPE}]."},
    {},
)


def _invalid(*fields: str) -> HttpResponse:
    return A.zoom_json(
        {
            "code": 300,
            "message": "Validation Failed.",
            "errors": [{"field": name, "message": "Invalid field."} for name in fields],
        },
        status=400,
    )


@csrf_exempt
def user_messages(request: HttpRequest, user_id: str) -> HttpResponse:
    found = core.find(T.PLATFORM, SandboxToken.Kind.ACCESS, core.bearer(request))
    user = found.user if found is not None else None
    if hit := core.intercept(request, T.PLATFORM, "user_send", user.email if user else ""):
        return hit
    if request.method != "POST":
        return A.zoom_json({"code": 300, "message": "Method not allowed."}, status=405)
    if found is None or user is None or found.revoked:
        return A.respond(A.API_INVALID_TOKEN)
    if not core.usable(found):
        return A.respond(A.API_EXPIRED_TOKEN)
    if user.situation == "access_token_expired":
        core.expire_access_tokens(T.PLATFORM, user.email)
    if user.situation in A.PROBE_FAILURES and user.situation != "insufficient_scope":
        return A.respond(A.PROBE_FAILURES[user.situation])
    if user.situation == "insufficient_scope" or SEND_SCOPE not in (found.meta.get("scopes") or []):
        return A.respond(MISSING_SEND_SCOPE)
    if user.situation == "user_disabled":
        return A.respond(A.API_INVALID_TOKEN)
    if user_id not in ("me", user.upstream_id):
        # A user-managed app acts for its own user only.
        return A.respond(A.no_such_user(user_id))
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or request.content_type != "application/json":
        return A.respond(A.NOT_A_JSON_BODY)
    text = body.get("message")
    missing = [] if isinstance(text, str) and text else ["message"]
    contact, channel = body.get("to_contact"), body.get("to_channel")
    if channel is not None:
        missing.append("to_channel")  # no channels in the sandbox
    elif not isinstance(contact, str) or "@" not in contact:
        missing.append("to_contact")
    if missing:
        return _invalid(*missing)
    recipient = SandboxUser.objects.filter(platform=T.PLATFORM, email__iexact=contact).first()
    if recipient is None:
        return A.respond(A.no_such_user(str(contact)))
    delivered = core.deliver(
        T.PLATFORM, recipient.email, request.body.decode(), kind="chat", sender=user.email
    )
    return A.zoom_json(
        {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"zoom-sandbox-chat-{delivered.pk}"))},
        status=201,
    )
