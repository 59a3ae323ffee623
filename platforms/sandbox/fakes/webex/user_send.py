"""The fake Webex ``POST /v1/messages`` sent with a person's own integration token.

Webex has one create-message call for bots and people alike: with an integration's user token
(scope ``spark:messages_write``, "Post and delete messages on your behalf") the message is the
person's, and the answer names them as ``personId``/``personEmail``. A 1:1 message goes
``toPersonEmail`` (or ``toPersonId``); ``text`` or ``markdown`` is required.
https://developer.webex.com/docs/api/v1/messages/create-a-message (Request/Response);
scopes: https://developer.webex.com/docs/integrations#scopes; errors: https://developer.webex.com/docs/basics.

``api.messages`` hands a request here when its bearer is a user access token the fake issued;
everything else stays the bot's send.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse

from platforms.sandbox import core
from platforms.sandbox.fakes.webex.shapes import (
    KEY,
    TOKEN_REFUSED,
    UNAUTHORIZED_TEXT,
    S,
    error,
    ok,
    unavailable,
    webex_id,
)
from platforms.sandbox.models import SandboxToken, SandboxUser

SEND_SCOPE = "spark:messages_write"


def user_token(value: str | None) -> SandboxToken | None:
    """The user access token behind ``value`` (even expired or revoked), or None."""
    return core.find(KEY, S.ACCESS, value)


def person_message(request: HttpRequest, token: SandboxToken) -> HttpResponse:
    user = token.user
    body = core.json_body(request)
    recipient = body.get("toPersonEmail") if isinstance(body.get("toPersonEmail"), str) else ""
    if answer := core.intercept(request, KEY, "user_send", user.email if user else ""):
        return answer
    if request.method != "POST":
        return error(405, "Method Not Allowed")
    if not core.usable(token) or user is None or user.situation in TOKEN_REFUSED:
        return error(401, UNAUTHORIZED_TEXT)
    if user.situation == "transient":
        return unavailable()
    if user.situation == "insufficient_scope" or SEND_SCOPE not in (token.meta.get("scopes") or []):
        return error(403, f"The access token lacks the scope {SEND_SCOPE}.")
    if not body or request.content_type != "application/json":
        return error(400, "Unable to parse the request body as a JSON object.")
    if not recipient or "@" not in recipient:
        return error(
            400, "toPersonEmail must be an email address (this sandbox delivers 1:1 messages)."
        )
    text, markdown = body.get("text"), body.get("markdown")
    if not isinstance(text or markdown, str) or not (text or markdown):
        return error(400, "A message needs text or markdown.")
    if len(json.dumps(body)) > 28_000:
        return error(400, "The request payload is too big.")
    if not SandboxUser.objects.filter(platform=KEY, email__iexact=recipient).exists():
        return error(404, f"Could not find a person with the email {recipient}.")
    delivered = core.deliver(
        KEY, recipient, request.body.decode("utf-8"), kind="chat", sender=user.email
    )
    return ok(_created(delivered.pk, delivered.at, user, recipient, body))


def _created(pk: int, at: Any, user: SandboxUser, recipient: str, body: dict[str, Any]) -> dict:
    pair = "|".join(sorted([user.email.lower(), recipient.lower()]))
    created = {
        "id": webex_id("MESSAGE", uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{pk}")),
        "roomId": webex_id("ROOM", uuid.uuid5(uuid.NAMESPACE_URL, f"direct:{pair}")),
        "roomType": "direct",
        "text": str(body.get("text") or body.get("markdown") or ""),
        "personId": user.upstream_id,
        "personEmail": user.email,
        "toPersonEmail": recipient,
        "created": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if body.get("markdown"):
        created["markdown"] = str(body["markdown"])  # echoed only when sent
    return created
