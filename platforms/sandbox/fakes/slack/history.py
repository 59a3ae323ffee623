"""The fake Slack's DMs: ``conversations.open`` and ``conversations.history``.

The bot's IM with a user holds what ``chat.postMessage`` delivered to them (the sandbox's
inbox), newest first, as Slack lists it: ``ts`` from the delivery time, the blocks and text as
sent, and the message metadata only when ``include_all_metadata`` is true
(https://docs.slack.dev/reference/methods/conversations.history). Paging is Slack's cursor
paging: ``has_more`` and ``response_metadata.next_cursor``, an opaque ``next_ts:<ts>``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.slack import state
from platforms.sandbox.fakes.slack.api import (
    _caller,
    _params,
    _post_type_refused,
    _refuse,
    _token_value,
)
from platforms.sandbox.fakes.slack.state import PLATFORM, answer, fail
from platforms.sandbox.models import SandboxMessage, SandboxToken, SandboxUser

DEFAULT_LIMIT = 100
MAX_LIMIT = 999
CURSOR_PREFIX = "next_ts:"
TRUE = {"1", "true", "yes"}


@csrf_exempt
def conversations_open(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    value = _token_value(request, params)
    token = _caller(value)
    users = [u for u in str(params.get("users") or "").split(",") if u]
    other = (
        SandboxUser.objects.filter(platform=PLATFORM, upstream_id=users[0]).first()
        if len(users) == 1
        else None
    )
    if hit := core.intercept(request, PLATFORM, "open", other.email if other else ""):
        return hit
    if refused := _post_type_refused(request) or _refuse(token, value):
        return refused
    if not users and not params.get("channel"):
        return fail("users_list_not_supplied")
    if len(users) != 1:
        return fail("not_enough_users" if not users else "too_many_users")
    if other is None or not _visible(token, other):
        return fail("user_not_found")
    if other.situation == "user_deleted":
        return fail("user_disabled")
    return answer({"ok": True, "no_op": True, "already_open": True, "channel": _im(other)})


@csrf_exempt
def conversations_history(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    value = _token_value(request, params)
    token = _caller(value)
    channel = str(params.get("channel") or "")
    other = _dm_user(token, channel)
    if hit := core.intercept(request, PLATFORM, "history", other.email if other else ""):
        return hit
    if refused := _post_type_refused(request) or _refuse(token, value):
        return refused
    assert token is not None
    if other is None:
        return fail("channel_not_found")
    inclusive = str(params.get("inclusive") or "").lower() in TRUE
    try:
        oldest = state.moment_of(str(params.get("oldest") or "0"))
    except ValueError:
        return fail("invalid_ts_oldest")
    try:
        latest = state.moment_of(str(params["latest"])) if params.get("latest") else None
    except ValueError:
        return fail("invalid_ts_latest")
    try:
        limit = int(params.get("limit") or DEFAULT_LIMIT)
    except (TypeError, ValueError):
        return fail("invalid_limit")
    limit = min(max(limit, 1), MAX_LIMIT)
    if params.get("cursor"):
        # A cursor continues below the last message of the page before, whatever latest says.
        latest, inclusive_latest = _cursor(str(params["cursor"])), False
        if latest is None:
            return fail("invalid_cursor")
    else:
        inclusive_latest = inclusive
    found = SandboxMessage.objects.filter(platform=PLATFORM, recipient=other.email)
    found = found.filter(at__gte=oldest) if inclusive else found.filter(at__gt=oldest)
    if latest is not None:
        found = found.filter(at__lte=latest) if inclusive_latest else found.filter(at__lt=latest)
    page = list(found.order_by("-at", "-pk")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    metadata = str(params.get("include_all_metadata") or "").lower() in TRUE
    workspace_id = token.meta.get("workspace_id") or other.workspace_id
    body: dict[str, Any] = {
        "ok": True,
        "messages": [_message(m, workspace_id, metadata=metadata) for m in page],
        "has_more": has_more,
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    if has_more:
        body["response_metadata"] = {"next_cursor": _next_cursor(page[-1].at)}
    return answer(body)


def _im(other: SandboxUser) -> dict[str, Any]:
    return {"id": state.dm_id(other), "is_im": True, "user": other.upstream_id}


def _visible(token: SandboxToken | None, other: SandboxUser) -> bool:
    """A bot sees the users of its workspace; a user token, its own IM with the bot."""
    if token is None:
        return False
    if token.kind == SandboxToken.Kind.BOT:
        return token.meta.get("workspace_id", "") == other.workspace_id
    return token.user_id == other.pk


def _dm_user(token: SandboxToken | None, channel: str) -> SandboxUser | None:
    """The user whose IM with the bot ``channel`` is, among those the caller may read."""
    if token is None or not channel.startswith("D"):
        return None
    if token.kind == SandboxToken.Kind.BOT:
        people = SandboxUser.objects.filter(
            platform=PLATFORM, workspace_id=token.meta.get("workspace_id", "")
        )
    else:
        people = SandboxUser.objects.filter(pk=token.user_id)
    return next((u for u in people if state.dm_id(u) == channel), None)


def _message(delivered: SandboxMessage, workspace_id: str, *, metadata: bool) -> dict[str, Any]:
    payload = _json(delivered.payload)
    payload = payload if isinstance(payload, dict) else {}
    blocks, sent = payload.get("blocks"), payload.get("metadata")
    # A form-encoded chat.postMessage carries both as JSON strings.
    blocks = _json(blocks) if isinstance(blocks, str) else blocks
    sent = _json(sent) if isinstance(sent, str) else sent
    message: dict[str, Any] = {
        "type": "message",
        "text": str(payload.get("text") or ""),
        "user": state.bot_user(workspace_id),
        "bot_id": state.bot_id(workspace_id),
        "app_id": state.APP_ID,
        "team": workspace_id,
        "ts": state.ts_of(delivered.at),
        "blocks": blocks if isinstance(blocks, list) else [],
    }
    # Slack returns message metadata only to callers that ask for it.
    if metadata and isinstance(sent, dict) and sent.get("event_type"):
        message["metadata"] = {
            "event_type": sent["event_type"],
            "event_payload": sent.get("event_payload") or {},
        }
    return message


def _json(raw: Any) -> Any:
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return {}


def _next_cursor(moment: datetime) -> str:
    """Slack's own cursor: base64 of ``next_ts:`` and the ts without its dot (the docs' example
    ``bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz`` is ``next_ts:1512085861000543``)."""
    return base64.b64encode(
        (CURSOR_PREFIX + state.ts_of(moment).replace(".", "")).encode()
    ).decode()


def _cursor(cursor: str) -> datetime | None:
    try:
        decoded = base64.b64decode(cursor, validate=True).decode()
        if not decoded.startswith(CURSOR_PREFIX):
            return None
        digits = decoded[len(CURSOR_PREFIX) :]
        if not digits.isdigit() or len(digits) <= 6:
            return None
        return state.moment_of(f"{digits[:-6]}.{digits[-6:]}")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
