"""The fake Slack's Events API deliveries: the real payloads, signed the way Slack signs them.

Slack POSTs ``event_callback`` envelopes to the app's Request URL with ``X-Slack-Request-Timestamp``
and ``X-Slack-Signature: v0=HMAC-SHA256(signing secret, "v0:{timestamp}:{body}")``. The sandbox
side changes too, as on Slack: revoked tokens stop working, a deactivated user is refused.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import requests
from django.conf import settings
from slack_sdk.signature import SignatureVerifier

from platforms.sandbox.fakes.slack import state
from platforms.sandbox.fakes.slack.state import PLATFORM
from platforms.sandbox.models import SandboxToken, SandboxUser

EVENTS = {
    "tokens_revoked": "The user's OAuth tokens were revoked (tokens.oauth lists their user id).",
    "app_uninstalled": "The app was uninstalled from the user's workspace (every token revoked).",
    "user_change_deleted": "user_change with user.deleted = true: the user was deactivated.",
}
HOOK_PATH = "/hooks/slack/events/"


def emit(event: str, user: SandboxUser, target_base: str) -> dict[str, Any]:
    if event not in EVENTS:
        raise ValueError(f"slack pushes no {event!r} event")
    inner = _apply(event, user)
    envelope = {
        "token": "sandbox-verification-token",  # the deprecated verification token field
        "team_id": user.workspace_id,
        "api_app_id": state.APP_ID,
        "event": inner,
        "type": "event_callback",
        "event_id": "Ev" + state.slack_id("", secrets.token_hex(8)),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": user.workspace_id,
                "user_id": user.upstream_id,
                "is_bot": False,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    body = json.dumps(envelope, separators=(",", ":"))
    url = target_base.rstrip("/") + HOOK_PATH
    delivery: dict[str, Any] = {"url": url, "event_id": envelope["event_id"], "event": event}
    try:
        response = post_signed(url, body)
    except requests.RequestException as exc:
        return {**delivery, "status": None, "error": type(exc).__name__}
    return {**delivery, "status": response.status_code, "answer": response.text[:500]}


def post_signed(
    url: str, body: str, *, timestamp: int | None = None, retry_num: int | None = None
) -> requests.Response:
    """POST ``body`` as Slack does; ``retry_num`` adds Slack's retry headers."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    secret = settings.PLATFORM_APPS[PLATFORM]["signing_secret"]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        or "",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    session = requests.Session()
    session.trust_env = False
    return session.post(url, data=body.encode(), headers=headers, timeout=10)


def _apply(event: str, user: SandboxUser) -> dict[str, Any]:
    """Change the sandbox like Slack changes, and return the inner event."""
    if event == "tokens_revoked":
        SandboxToken.objects.filter(platform=PLATFORM, user=user).update(revoked=True)
        _set_situation(user, "grant_revoked")
        return {"type": "tokens_revoked", "tokens": {"oauth": [user.upstream_id], "bot": []}}
    if event == "app_uninstalled":
        in_workspace = SandboxUser.objects.filter(platform=PLATFORM, workspace_id=user.workspace_id)
        SandboxToken.objects.filter(platform=PLATFORM, user__in=in_workspace).update(revoked=True)
        SandboxToken.objects.filter(
            platform=PLATFORM, kind=SandboxToken.Kind.BOT, meta__workspace_id=user.workspace_id
        ).update(revoked=True)
        _set_situation(user, "app_uninstalled")
        return {"type": "app_uninstalled"}
    _set_situation(user, "user_deleted")
    now = int(time.time())
    return {
        "type": "user_change",
        # The whole user object, as users.info has it (https://docs.slack.dev/reference/events/user_change).
        "user": {**state.user_object(user), "deleted": True, "updated": now},
        "cache_ts": now,
        "event_ts": f"{now}.000100",
    }


def _set_situation(user: SandboxUser, situation: str) -> None:
    user.situation = situation
    SandboxUser.objects.filter(pk=user.pk).update(situation=situation)
