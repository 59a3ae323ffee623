"""Slack's Events API door: verify, answer the handshake, hand token events to the engine.

Every request must carry Slack's v0 signature over ``v0:{timestamp}:{raw body}`` (checked with
slack-sdk's ``SignatureVerifier``) and a timestamp inside the 5-minute replay window. Valid
events are passed to ``tokens.events.report_platform_event``, which marks the accounts and
queues their checks, so Slack gets its 200 well inside its 3 seconds. Slack retries a delivery
it thinks failed (``X-Slack-Retry-Num``); the engine drops a repeated ``event_id``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier

from tokens.events import UnknownWorkspace, report_platform_event

log = logging.getLogger(__name__)

PLATFORM = "slack"
REPLAY_WINDOW = 5 * 60  # seconds, as Slack's docs and SignatureVerifier use
MAX_BODY = 1_000_000  # bytes; Slack's event envelopes are a few KB
# ASCII digits only, and few of them: str.isdigit() takes "²" (int() then fails) and a 400-digit
# number overflows the float arithmetic of the window check; both were HTTP 500s.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# slack-sdk compares signatures with hmac.compare_digest on str, which raises TypeError on
# non-ASCII text; only Slack's own shape reaches it.
_SIGNATURE = re.compile(r"v0=[0-9a-fA-F]{64}")


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@csrf_exempt
@require_POST
def events(request: HttpRequest) -> HttpResponse:
    secret = settings.PLATFORM_APPS[PLATFORM].get("signing_secret") or ""
    if not secret.strip():  # SignatureVerifier refuses a blank secret with ValueError
        return _refuse(403, "Slack events are not accepted: no signing secret is configured.")
    if len(request.body) > MAX_BODY:
        return _refuse(413, "The request body is too large for a Slack event.")
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return _refuse(401, "Missing X-Slack-Request-Timestamp or X-Slack-Signature.")
    if not _TIMESTAMP.fullmatch(timestamp):
        return _refuse(401, "X-Slack-Request-Timestamp must be a Unix time in seconds.")
    if not _SIGNATURE.fullmatch(signature):
        return _refuse(401, "X-Slack-Signature must be 'v0=' and 64 hex digits.")
    if abs(time.time() - int(timestamp)) > REPLAY_WINDOW:
        return _refuse(401, "The request timestamp is outside the 5-minute window (replay?).")
    try:
        request.body.decode("utf-8")
    except UnicodeDecodeError:
        # Slack only sends UTF-8 JSON; slack-sdk's verifier would crash decoding anything else.
        return _refuse(400, "The request body must be UTF-8 JSON.")
    verifier = SignatureVerifier(secret)
    if not verifier.is_valid(body=request.body, timestamp=timestamp, signature=signature):
        return _refuse(401, "The Slack signature does not match the body.")

    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "The body is not valid JSON.")
    if not isinstance(payload, dict):
        return _refuse(400, "The body must be a JSON object.")

    kind = payload.get("type")
    if kind == "url_verification":
        challenge = payload.get("challenge")
        if not isinstance(challenge, str) or not challenge:
            return _refuse(400, "url_verification needs a 'challenge' string.")
        return HttpResponse(challenge, content_type="text/plain")
    if kind != "event_callback":
        # app_rate_limited and other envelope types carry no token news: acknowledge them.
        return JsonResponse({"ok": True, "ignored": str(kind)[:64]})
    try:
        report = _report_for(payload)
    except ValueError as exc:
        return _refuse(400, str(exc))
    if report is None:
        return JsonResponse({"ok": True, "ignored": str(payload["event"].get("type"))[:64]})
    try:
        marked = report_platform_event(PLATFORM, **report)
    except UnknownWorkspace as exc:
        # Refused, and Slack is asked not to retry, since it would get the same answer
        # (https://api.slack.com/apis/events-api#retries: "turning retries off").
        answer = _refuse(404, str(exc))
        answer["X-Slack-No-Retry"] = "1"
        return answer
    retry = request.headers.get("X-Slack-Retry-Num")
    if retry:
        log.info("slack event %s retry %s: %s accounts marked", report["event_id"], retry, marked)
    return JsonResponse({"ok": True, "marked": marked})


def _report_for(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The engine call for one ``event_callback``, or None for events about nothing we hold."""
    event = payload.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ValueError("event_callback needs an 'event' object with a 'type'.")
    event_id = payload.get("event_id")
    team_id = payload.get("team_id")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("event_callback needs an 'event_id' string.")
    if team_id is not None and not isinstance(team_id, str):
        raise ValueError("'team_id' must be a string.")
    common = {"workspace_id": team_id or "", "event_id": event_id}
    kind = event["type"]
    if kind == "tokens_revoked":
        tokens = event.get("tokens")
        if not isinstance(tokens, dict):
            raise ValueError("tokens_revoked needs a 'tokens' object.")
        users = _ids(tokens.get("oauth"), "tokens.oauth")
        _ids(tokens.get("bot"), "tokens.bot")
        if not users:
            # Only the bot's token: no person's grant changed; app_uninstalled follows a removal.
            return None
        return {
            "event": kind,
            "upstream_user_ids": users,
            "situation_hint": "grant_revoked",
            **common,
        }
    if kind == "app_uninstalled":
        if not team_id:
            raise ValueError("app_uninstalled needs the workspace's 'team_id'.")
        return {
            "event": kind,
            "upstream_user_ids": [],
            "situation_hint": "app_uninstalled",
            **common,
        }
    if kind == "user_change":
        user = event.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise ValueError("user_change needs a 'user' object with an 'id'.")
        if user.get("deleted") is not True:
            return None  # a profile edit: nothing happened to the token
        workspace = user.get("team_id") if isinstance(user.get("team_id"), str) else team_id
        return {
            "event": "user_deleted",
            "upstream_user_ids": [user["id"]],
            "situation_hint": "user_deleted",
            **common,
            "workspace_id": workspace or "",
        }
    return None


def _ids(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{name}' must be a list of user ids.")
    return value
