"""The fake Webex API: ``POST /v1/access_token``, ``GET /v1/people/me``, ``POST /v1/messages``.

Each view calls ``core.intercept`` first (faults and scripts), then answers as Webex does for the
caller's situation (see ``WebexFake.situations``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.webex import user_send
from platforms.sandbox.fakes.webex.shapes import (
    BOT_EMAIL,
    CARD_TYPE,
    KEY,
    REFRESH_SECONDS,
    TOKEN_REFUSED,
    UNAUTHORIZED_TEXT,
    S,
    bot_id,
    broker_refusal,
    error,
    mint,
    ok,
    unavailable,
    webex_id,
)
from platforms.sandbox.models import SandboxMessage, SandboxToken, SandboxUser

# --- the token endpoint ------------------------------------------------------------------------
REFRESH_REFUSED = "The refresh token provided is expired, revoked, malformed, or invalid."


@csrf_exempt
def access_token(request: HttpRequest) -> HttpResponse:
    form = request.POST
    grant_type = form.get("grant_type", "")
    kind = S.REFRESH if grant_type == "refresh_token" else S.CODE
    presented = core.find(KEY, kind, form.get("refresh_token" if kind == S.REFRESH else "code"))
    owner = presented.user if presented is not None else None
    if answer := core.intercept(request, KEY, "token", owner.email if owner else ""):
        return answer
    if request.method != "POST":
        return error(405, "Method Not Allowed")
    app = settings.PLATFORM_APPS[KEY]
    if form.get("client_id") != app["client_id"] or not hmac.compare_digest(
        form.get("client_secret", "").encode(), str(app["client_secret"]).encode()
    ):
        return error(401, "Invalid client credentials.", code="invalid_client")
    if grant_type == "authorization_code":
        return _redeem_code(presented, form)
    if grant_type == "refresh_token":
        return _refresh(presented, form.get("refresh_token", ""))
    return error(400, f"Unsupported grant_type {grant_type!r}.", code="unsupported_grant_type")


CODE_REFUSED = "The authorization code provided is expired, revoked, malformed, or invalid."


def _redeem_code(code: SandboxToken | None, form: Any) -> HttpResponse:
    # The code grant goes to the same identity broker as the refresh grant, through the same
    # router, so its refusals come in the same wrapper (token/code_used_twice.json).
    # Spent on first use, right or wrong, as authorization servers do.
    if not core.usable(code) or code is None or code.user is None or not core.revoke(code):
        return broker_refusal(400, "invalid_grant", CODE_REFUSED)
    if form.get("redirect_uri") != code.meta.get("redirect_uri"):
        return broker_refusal(
            400, "invalid_grant", "The redirect_uri does not match the authorization request."
        )
    challenge = code.meta.get("code_challenge")
    if challenge and not _pkce_ok(
        challenge, code.meta.get("code_challenge_method", "plain"), form.get("code_verifier", "")
    ):
        return broker_refusal(
            400, "invalid_grant", "PKCE verification failed: code_verifier does not match."
        )
    return ok(mint(code.user, list(code.meta.get("scopes") or [])))


def _pkce_ok(challenge: str, method: str, verifier: str) -> bool:
    if not verifier:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        verifier = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(verifier.encode(), challenge.encode())


def _refresh(token: SandboxToken | None, value: str) -> HttpResponse:
    if not value:
        return error(400, "refresh_token is required.", code="invalid_request")
    if not core.usable(token) or token is None or token.user is None:
        return broker_refusal(400, "invalid_grant", REFRESH_REFUSED)
    user = token.user
    situation = user.situation
    if situation == "grant_revoked":
        return broker_refusal(400, "invalid_grant", REFRESH_REFUSED)
    if situation == "app_disabled":
        return broker_refusal(
            400,
            "unauthorized_client",
            "This integration is blocked by the administrator of your organization.",
        )
    if situation == "user_disabled":
        return error(403, "The user account is deactivated.")
    if situation == "transient":
        return unavailable()
    if situation == "access_token_expired":
        # The old access tokens stay expired; the fresh one issued now works.
        core.expire_access_tokens(KEY, user.email)
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
    # A refresh token in regular use stays valid: same token, its 90 days start again.
    SandboxToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() + timedelta(seconds=REFRESH_SECONDS)
    )
    return ok(mint(user, list(token.meta.get("scopes") or []), refresh=value))


# --- the API ------------------------------------------------------------------------------------
@csrf_exempt
def people_me(request: HttpRequest) -> HttpResponse:
    token = core.find(KEY, S.ACCESS, core.bearer(request))
    if token is None and (bot := core.find(KEY, S.BOT, core.bearer(request))) is not None:
        from platforms.sandbox.fakes.webex.botme import bot_me

        return bot_me(request, bot)  # a bot asking who it is
    user = token.user if token is not None else None
    if answer := core.intercept(request, KEY, "probe", user.email if user else ""):
        return answer
    if request.method != "GET":
        return error(405, "Method Not Allowed")
    if not core.usable(token) or user is None or user.situation in TOKEN_REFUSED:
        return error(401, UNAUTHORIZED_TEXT)
    if user.situation == "transient":
        return unavailable()
    if user.situation == "insufficient_scope" or "spark:people_read" not in (
        token.meta.get("scopes") or []
    ):
        return error(403, "The access token lacks the scope spark:people_read.")
    first, _, last = (user.name or user.email.split("@")[0]).partition(" ")
    return ok(
        {
            "id": user.upstream_id,
            "emails": [user.email],
            "phoneNumbers": [],
            "displayName": user.name or user.email,
            "nickName": first,
            "firstName": first,
            "lastName": last,
            "orgId": user.workspace_id,
            "created": "2024-01-15T09:00:00.000Z",
            "lastActivity": timezone.now().isoformat(timespec="milliseconds"),
            "status": "active",
            "type": "person",
        }
    )


@csrf_exempt
def messages(request: HttpRequest) -> HttpResponse:
    # A person's own token sends as them (user_send.py); the rest is the bot's send.
    if (person := user_send.user_token(core.bearer(request))) is not None:
        return user_send.person_message(request, person)
    body = core.json_body(request)
    recipient = body.get("toPersonEmail") if isinstance(body.get("toPersonEmail"), str) else ""
    if answer := core.intercept(request, KEY, "send", recipient):
        return answer
    if request.method != "POST":
        return error(405, "Method Not Allowed")
    bot = core.find(KEY, S.BOT, core.bearer(request))
    if not core.usable(bot):
        return error(401, UNAUTHORIZED_TEXT)
    # Webex takes a JSON body (or multipart for a file upload, which Mio never sends).
    if not body or request.content_type != "application/json":
        return error(400, "Unable to parse the request body as a JSON object.")
    problem = _message_problem(body)
    if problem:
        return error(400, problem)
    if not SandboxUser.objects.filter(platform=KEY, email__iexact=recipient).exists():
        return error(404, f"Could not find a person with the email {recipient}.")
    delivered = core.deliver(
        KEY,
        recipient,
        request.body.decode("utf-8"),
        kind="card" if body.get("attachments") else "message",
    )
    response = ok({**as_listed(delivered, bot, body), "toPersonEmail": recipient})
    # Webex keeps (and echoes) the caller's TrackingID: a retried send shows the same one.
    if request.headers.get("TrackingID"):
        response["TrackingID"] = request.headers["TrackingID"][:200]
    return response


@csrf_exempt
def direct_messages(request: HttpRequest) -> HttpResponse:
    """``GET /v1/messages/direct?personEmail=|personId=``: the caller's 1:1 room with that
    person, newest first, each message with its card attachments (Webex lists them)."""
    email, person_id = request.GET.get("personEmail", ""), request.GET.get("personId", "")
    people = SandboxUser.objects.filter(platform=KEY)
    person = (
        people.filter(email__iexact=email).first()
        if email
        else people.filter(upstream_id=person_id).first()
        if person_id
        else None
    )
    if answer := core.intercept(request, KEY, "direct", person.email if person else email):
        return answer
    if request.method != "GET":
        return error(405, "Method Not Allowed")
    bot = core.find(KEY, S.BOT, core.bearer(request))
    if not core.usable(bot):
        return error(401, UNAUTHORIZED_TEXT)
    assert bot is not None
    if not email and not person_id:
        return error(400, "Either personId or personEmail must be specified.")
    if person is None:
        return error(404, f"Could not find a person with the {'email' if email else 'id'} given.")
    room = SandboxMessage.objects.filter(platform=KEY, recipient=person.email.lower())
    items = [as_listed(m, bot, _stored(m.payload)) for m in room.order_by("-at", "-pk")]
    return ok({"items": items})


def _stored(payload: str) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def as_listed(delivered: SandboxMessage, bot: SandboxToken, body: dict[str, Any]) -> dict[str, Any]:
    """A delivered message as Webex shows it (create answer, list items): ids, room, author."""
    attachments = body.get("attachments")
    return {
        "id": webex_id("MESSAGE", uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{delivered.pk}")),
        "roomId": webex_id(
            "ROOM", uuid.uuid5(uuid.NAMESPACE_URL, f"{bot.pk}:{delivered.recipient}")
        ),
        "roomType": "direct",
        "markdown": str(body.get("markdown") or ""),
        "text": str(body.get("text") or body.get("markdown") or ""),
        "personId": bot_id(),
        "personEmail": BOT_EMAIL,
        "attachments": attachments if isinstance(attachments, list) else [],
        "created": delivered.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def _message_problem(body: dict[str, Any]) -> str:
    if not isinstance(body.get("toPersonEmail"), str) or "@" not in body["toPersonEmail"]:
        return "toPersonEmail must be an email address (this sandbox delivers direct messages)."
    if not isinstance(body.get("markdown") or body.get("text"), str):
        return "A message needs text or markdown (the fallback for clients without cards)."
    attachments = body.get("attachments", [])
    if not isinstance(attachments, list) or len(attachments) > 1:
        return "attachments must be a list with at most one card."
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("contentType") != CARD_TYPE:
            return f"An attachment's contentType must be {CARD_TYPE}."
        content = attachment.get("content")
        if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
            return "An attachment's content must be an Adaptive Card."
        if str(content.get("version", "")) not in ("1.0", "1.1", "1.2", "1.3"):
            return "Webex renders Adaptive Cards up to version 1.3."
    if len(json.dumps(body)) > 28_000:
        return "The request payload is too big."
    return ""
