"""``POST /api/relay-failures/``: the relay reports a failed send with the platform's raw error.

Authenticated per tenant: ``Authorization: Bearer <relay key>`` (``manage.py relay_key``).
Body (JSON object):

- ``platform``: ``slack``, ``teams``, ``zoom`` or ``webex``;
- ``user``: the sender's upstream user id on that platform, or their email;
- ``status``: the HTTP status the platform answered (integer, or null for a network failure);
- ``body``: the platform's raw error body, as a string or as the parsed JSON.

Answers 202 with what the failure was classified as; 400 for a malformed report, 401 without a
valid key, 403 for a key without the ``events:write`` scope, 404 for a user the tenant does not
have on that platform, 429 (with Retry-After) past the key's rate limit, 405/413 as usual. The
key is admitted exactly as by the versioned API (``api.keys.admit``: scope, rate limit, use
count); this endpoint predates ``/api/v1/relay-events/`` and keeps its contract (DESIGN.md). The
classification is kept in the account's history but decides nothing: our own check of the account
runs at once (queued), and only what it finds can prompt anyone (tokens.events).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from api.keys import MissingScope, RateLimited, admit
from platforms.registry import ADAPTERS
from tokens.events import report_relay_failure
from tokens.relaykeys import authenticate
from tokens.situations import audience_key

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


class Invalid(Exception):
    pass


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="mio-relay"'
    return response


@csrf_exempt
def relay_failures(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "POST a relay failure report here")
        response["Allow"] = "POST"
        return response
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    relay_key = authenticate(key.strip()) if scheme.lower() == "bearer" else None
    if relay_key is None:
        return _error(401, "a valid relay key is required: 'Authorization: Bearer <key>'")
    try:
        admit(request, relay_key, "events:write")
    except MissingScope as exc:
        return _error(403, str(exc))
    except RateLimited as exc:
        response = _error(429, str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    if len(request.body) > MAX_BODY:
        return _error(413, f"the report must be at most {MAX_BODY} bytes")
    try:
        report = _parse(request.body)
    except Invalid as exc:
        return _error(400, str(exc))
    try:
        check = report_relay_failure(
            relay_key.tenant, report["platform"], report["user"], report["status"], report["body"]
        )
    except LookupError as exc:
        return _error(404, str(exc))
    log.info(
        "relay failure for tenant %s on %s classified %s",
        relay_key.tenant.slug,
        report["platform"],
        check.situation if check else "-",
    )
    return JsonResponse(
        {
            "recorded": check is not None,
            "check": check.pk if check else None,
            "situation": (check.situation or None) if check else None,
            "audience": audience_key(check.situation) if check else None,
            "state": check.state_after if check else None,
        },
        status=202,
    )


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise Invalid("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    platform = body.get("platform")
    if not isinstance(platform, str) or platform not in ADAPTERS:
        raise Invalid(f"'platform' must be one of {sorted(ADAPTERS)}")
    user = body.get("user")
    if not isinstance(user, str) or not user.strip() or len(user) > 254:
        raise Invalid("'user' must be the upstream user id or the email of the sender")
    status = body.get("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
    ):
        raise Invalid("'status' must be an HTTP status code, or null for a network failure")
    if "body" not in body:
        raise Invalid("'body' is required: the platform's raw error (a string or JSON)")
    error = body["body"]
    if not isinstance(error, str | dict | list | type(None)):
        raise Invalid("'body' must be a string, or the platform's JSON error")
    return {"platform": platform, "user": user.strip(), "status": status, "body": error}
