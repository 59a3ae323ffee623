"""The fake's API: ``zoom.us/oauth/token``, ``GET /v2/users/me``, ``POST /v2/im/chat/messages``."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.zoom import answers as A
from platforms.sandbox.fakes.zoom import tokens as T
from platforms.sandbox.models import SandboxMessage, SandboxToken, SandboxUser

IDEMPOTENCY_HEADER = "X-Mio-Idempotency-Key"


def _client_ok(request: HttpRequest) -> bool:
    """HTTP Basic client authentication with the app's client id and secret."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    client_id, _, secret = decoded.partition(":")
    app = settings.PLATFORM_APPS["zoom"]
    return hmac.compare_digest(client_id, app["client_id"]) and hmac.compare_digest(
        secret, app["client_secret"]
    )


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    # Zoom takes the grant in the query string or in the form body.
    params = {**request.GET.dict(), **request.POST.dict()}
    grant_type = params.get("grant_type", "")
    found: SandboxToken | None = None
    if grant_type == "refresh_token":
        found = core.find(T.PLATFORM, SandboxToken.Kind.REFRESH, params.get("refresh_token"))
    elif grant_type == "authorization_code":
        found = core.find(T.PLATFORM, SandboxToken.Kind.CODE, params.get("code"))
    endpoint = "bot_token" if grant_type == "client_credentials" else "token"
    email = found.user.email if found is not None and found.user is not None else ""
    if (hit := core.intercept(request, T.PLATFORM, endpoint, email)) is not None:
        return hit
    if request.method != "POST":
        return A.zoom_json({"reason": "Method not allowed", "error": "invalid_request"}, status=405)
    if not _client_ok(request):
        return A.respond(A.INVALID_CLIENT)
    if grant_type == "refresh_token":
        return _refresh(found)
    if grant_type == "authorization_code":
        return _exchange_code(found, params)
    if grant_type == "client_credentials":
        return A.zoom_json(T.issue_bot_token())
    return A.respond(A.UNSUPPORTED_GRANT)


def _refresh(found: SandboxToken | None) -> HttpResponse:
    if found is None or found.user is None:
        return A.respond(A.INVALID_TOKEN)
    user = found.user
    if found.revoked and found.meta.get("revoked_by") == T.REVOKED_BY_REAUTHORIZATION:
        return A.respond(A.REVOKED_BY_NEWER_AUTHORIZATION)
    if not core.usable(found):
        return A.respond(A.INVALID_TOKEN)
    if user.situation in A.TOKEN_FAILURES:
        return A.respond(A.TOKEN_FAILURES[user.situation])
    # Rotation: the old refresh token is voided exactly once; a second redeemer loses.
    if not core.revoke(found):
        return A.respond(A.INVALID_TOKEN)
    if user.situation == "access_token_expired":
        # The stale access token was the whole problem: the new one works.
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
    return A.zoom_json(T.issue_user_grant(user, found.meta.get("scopes")))


def _exchange_code(found: SandboxToken | None, params: dict[str, str]) -> HttpResponse:
    if found is None or found.user is None or found.revoked:
        return A.respond(A.invalid_code(params.get("code", "")))
    if not core.usable(found):
        return A.respond(A.CODE_EXPIRED)
    meta = found.meta
    if params.get("redirect_uri", "") != meta.get("redirect_uri"):
        return A.respond(A.REDIRECT_MISMATCH)
    challenge = meta.get("code_challenge")
    if challenge:
        verifier = params.get("code_verifier", "")
        method = meta.get("code_challenge_method", "plain")
        computed = T.pkce_s256(verifier) if method == "S256" else verifier
        if not verifier or not hmac.compare_digest(computed, challenge):
            return A.respond(A.BAD_VERIFIER)
    if not core.revoke(found):  # codes are single-use
        return A.respond(A.invalid_code(params.get("code", "")))
    T.void_previous_grants(found.user)
    return A.zoom_json(T.issue_user_grant(found.user, meta.get("scopes")))


@csrf_exempt
def users_me(request: HttpRequest) -> HttpResponse:
    found = core.find(T.PLATFORM, SandboxToken.Kind.ACCESS, core.bearer(request))
    user = found.user if found is not None else None
    if (
        hit := core.intercept(request, T.PLATFORM, "probe", user.email if user else "")
    ) is not None:
        return hit
    if request.method != "GET":
        return A.zoom_json({"code": 300, "message": "Method not allowed."}, status=405)
    if found is None or user is None or found.revoked:
        return A.respond(A.API_INVALID_TOKEN)
    if not core.usable(found):
        return A.respond(A.API_EXPIRED_TOKEN)
    if user.situation == "access_token_expired":
        core.expire_access_tokens(T.PLATFORM, user.email)
    if user.situation in A.PROBE_FAILURES:
        return A.respond(A.PROBE_FAILURES[user.situation])
    status = "inactive" if user.situation == "user_disabled" else "active"
    return A.zoom_json(A.user_json(user, status=status))


@csrf_exempt
def chat_messages(request: HttpRequest) -> HttpResponse:
    found = T.bot_token(core.bearer(request))
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        body = None
    recipient = T.user_by_jid(body.get("to_jid"), body.get("account_id")) if body else None
    if hit := core.intercept(request, T.PLATFORM, "send", recipient.email if recipient else ""):
        return hit
    if request.method != "POST":
        return A.zoom_json({"code": 300, "message": "Method not allowed."}, status=405)
    if found is None:
        return A.respond(A.API_INVALID_TOKEN)
    # The request body is JSON, sent as such ("Content-Type: application/json", CHATBOT_SEND).
    if body is None or request.content_type != "application/json":
        return A.respond(A.NOT_A_JSON_BODY)
    invalid = [
        {"field": name, "message": "Invalid field."}
        for name, kind in (
            ("robot_jid", str),
            ("to_jid", str),
            ("account_id", str),
            ("content", dict),
        )
        if not isinstance(body.get(name), kind) or not body.get(name)
    ]
    if invalid:
        return A.zoom_json(
            {"code": 300, "message": "Validation Failed.", "errors": invalid}, status=400
        )
    if body["robot_jid"] != settings.PLATFORM_APPS["zoom"]["bot_jid"]:
        return A.respond(A.CHATBOT_NOT_AUTHORIZED)
    if not T.chatbot_installed(body["account_id"]):
        return A.respond(A.CHATBOT_NOT_AUTHORIZED)
    if recipient is None:
        # Only a JID Zoom gave out for a user of that account reaches anyone.
        return A.respond(A.no_such_user(body["to_jid"]))
    return _deliver(request, body, recipient)


def _deliver(request: HttpRequest, body: dict, recipient: SandboxUser) -> HttpResponse:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")[:60]
    content_type = f"application/json; idempotency-key={key}" if key else "application/json"
    message = None
    if key:
        # A retried delivery of the same logical message is not shown twice.
        message = SandboxMessage.objects.filter(
            platform=T.PLATFORM, recipient=recipient.email.lower(), content_type=content_type
        ).first()
    if message is None:
        message = core.deliver(
            T.PLATFORM, recipient.email, request.body.decode(), content_type=content_type
        )
    sent = message.at or timezone.now()
    return A.zoom_json(
        {
            "message_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"zoom-sandbox-message-{message.pk}")),
            "robot_jid": body["robot_jid"],
            "sent_time": sent.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "to_jid": body["to_jid"],
        },
        status=201,
    )
