"""Zoom's signed event notifications at ``/hooks/zoom/events/``.

* Every request, ``endpoint.url_validation`` included, must carry ``x-zm-signature:
  v0=<hex HMAC-SHA256(secret, "v0:{x-zm-request-timestamp}:{raw body}")>`` with a timestamp no
  older than five minutes. Without a secret token configured nothing is accepted (403): an empty
  HMAC key is one anybody can sign with.
* ``endpoint.url_validation``: answer ``{"plainToken", "encryptedToken"}`` where the encrypted
  token is the hex HMAC-SHA256 of the plain token under the app's secret token. That answer is
  an HMAC under the same key as event signatures, so it is a signing oracle unless the request
  is itself signed and the plain token is a short opaque token (Zoom sends ~22 URL-safe
  characters): a plain token of ``v0:<now>:<forged body>`` would otherwise come back as the
  signature of a forged event.
* ``app_deauthorized`` (a user removed the app): the grant of that user is gone, so their
  account is marked for a check now.

See https://developers.zoom.us/docs/api/webhooks/ and
https://marketplace.zoom.us/docs/api-reference/webhook-reference/app-events/app-deauthorized
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tokens.events import UnknownWorkspace, report_platform_event
from tokens.situations import Situation

REPLAY_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024
# Unix time in seconds (10 digits) or milliseconds (13, what Zoom sends). ASCII digits only:
# float() would also take "nan" (which passes any window check), "1e9" or non-ASCII digits.
_STAMP = re.compile(r"[0-9]{1,13}")
# Zoom's plainToken is a short random URL-safe token; nothing else is ever signed back.
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _secret() -> bytes:
    return str(settings.PLATFORM_APPS["zoom"].get("webhook_secret") or "").encode()


def _hmac_hex(message: str) -> str:
    return hmac.new(_secret(), message.encode(), hashlib.sha256).hexdigest()


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signature_problem(request: HttpRequest, raw: str) -> str:
    """Why the request is not a fresh, genuine Zoom notification ("" when it is)."""
    signature = request.headers.get("x-zm-signature", "")
    stamp = request.headers.get("x-zm-request-timestamp", "")
    if not signature or not stamp:
        return "missing x-zm-signature or x-zm-request-timestamp"
    if not _STAMP.fullmatch(stamp):
        return "x-zm-request-timestamp must be a Unix time in seconds or milliseconds"
    sent = float(int(stamp))
    if sent > 1e12:  # milliseconds
        sent /= 1000
    if abs(time.time() - sent) > REPLAY_WINDOW_SECONDS:
        return "x-zm-request-timestamp is outside the five-minute window"
    expected = "v0=" + _hmac_hex(f"v0:{stamp}:{raw}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return "x-zm-signature does not match"
    return ""


@csrf_exempt
@require_POST
def events(request: HttpRequest) -> JsonResponse:
    if not _secret():
        return _refuse(
            403,
            "Zoom events are not accepted: no webhook secret token (ZOOM_WEBHOOK_SECRET) is set.",
        )
    if len(request.body) > MAX_BODY_BYTES:
        return _refuse(413, "body too large")
    try:
        raw = request.body.decode("utf-8")
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return _refuse(400, "the body must be a JSON object")
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        return _refuse(400, "the body must be a JSON object with an 'event'")
    payload = data.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    if data["event"] == "endpoint.url_validation":
        return _url_validation(request, raw, payload)
    problem = signature_problem(request, raw)
    if problem:
        return _refuse(401, problem)
    if data["event"] == "app_deauthorized":
        return _app_deauthorized(data, payload)
    # Zoom retries anything but a 2xx; events Mio does not use are acknowledged and dropped.
    return JsonResponse({"ok": True, "ignored": data["event"]})


def _url_validation(request: HttpRequest, raw: str, payload: dict[str, Any]) -> JsonResponse:
    # Zoom signs the validation request like any event. Answering an unsigned one would hand
    # anybody an HMAC under the event-signing key (see the module docstring).
    problem = signature_problem(request, raw)
    if problem:
        return _refuse(401, problem)
    plain = payload.get("plainToken")
    if not isinstance(plain, str) or not _PLAIN_TOKEN.fullmatch(plain):
        return _refuse(400, "payload.plainToken must be 1 to 64 letters, digits, '_' or '-'")
    return JsonResponse({"plainToken": plain, "encryptedToken": _hmac_hex(plain)})


def _app_deauthorized(data: dict[str, Any], payload: dict[str, Any]) -> JsonResponse:
    account_id, user_id = payload.get("account_id"), payload.get("user_id")
    if not isinstance(account_id, str) or not account_id:
        return _refuse(400, "payload.account_id must be a non-empty string")
    if not isinstance(user_id, str) or not user_id:
        return _refuse(400, "payload.user_id must be a non-empty string")
    client_id = payload.get("client_id")
    if isinstance(client_id, str) and client_id != settings.PLATFORM_APPS["zoom"]["client_id"]:
        return JsonResponse({"ok": True, "ignored": "another app's deauthorization"})
    when = _scalar(payload.get("deauthorization_time")) or _scalar(data.get("event_ts"))
    try:
        marked = report_platform_event(
            "zoom",
            "app_deauthorized",
            workspace_id=account_id,
            upstream_user_ids=[user_id],
            # Zoom sends no event id; one user deauthorizes once at a given time.
            event_id=f"zoom:app_deauthorized:{account_id}:{user_id}:{when}",
            # The user removed a user-level app: their own grant is revoked, they re-authorize.
            situation_hint=Situation.GRANT_REVOKED.value,
        )
    except UnknownWorkspace as exc:
        return _refuse(404, str(exc))
    return JsonResponse({"ok": True, "marked": marked})


def _scalar(value: Any) -> str:
    """A string or number of the payload as text; "" for any other JSON shape."""
    if isinstance(value, str):
        return value[:64]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
