"""The fake Slack's state: ids and tokens shaped like Slack's, and how each situation answers.

Ids are derived from the email (and workspace) so a user keeps the same ``U…`` across resets and
seeds. Tokens follow Slack's formats with token rotation on: user access ``xoxe.xoxp-1-…`` (12 h),
refresh ``xoxe-1-…`` (single use), bot ``xoxb-<team>-<bot>-<secret>`` (seeded, no rotation) or,
from "Add to Slack", ``xoxe.xoxb-1-…`` (12 h) with its own single-use refresh token. Only hashes
are stored.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import JsonResponse

from platforms.sandbox import core
from platforms.sandbox.models import SandboxToken, SandboxUser

PLATFORM = "slack"
ACCESS_TTL = timedelta(hours=12)
CODE_TTL = timedelta(minutes=10)
APP_ID = "A0MIOAUTOHL"
APP_NAME = "Mio Auto Heal"
USER_SCOPES = ["chat:write", "im:history", "users:read", "users:read.email"]
SCOPE_WORDS = {
    "chat:write": "Send messages on your behalf",
    "im:history": "View messages and other content in your direct messages",
    "users:read": "View people in your workspace",
    "users:read.email": "View email addresses of people in your workspace",
}
# What "Add to Slack" may ask for as the bot, and how the consent page words it.
BOT_SCOPE_WORDS = {
    "chat:write": "Send messages as the app",
    "im:write": "Start direct messages with people",
    "im:history": "View messages in direct messages the app is in",
    "users:read": "View people in the workspace",
    "users:read.email": "View email addresses of people in the workspace",
}
_ALNUM = string.ascii_letters + string.digits

# What auth.test answers for a user in each situation (Slack's codes; see platforms/slack/errors).
PROBE_ERRORS = {
    "grant_revoked": "token_revoked",
    "app_uninstalled": "token_revoked",
    "user_deleted": "account_inactive",
    "mfa_enrollment_required": "two_factor_setup_required",
    "app_disabled": "ekm_access_denied",
    "consent_missing": "team_access_not_granted",
    "insufficient_scope": "missing_scope",
    "access_token_expired": "token_expired",
}
# What oauth.v2.access (grant_type=refresh_token) answers. Situations not listed refresh fine:
# Slack refuses those tokens at the API call, not at the token endpoint. A deactivated user's
# refresh token reads invalid_refresh_token, like a revoked grant (users.info tells them apart).
REFRESH_ERRORS = {
    "grant_revoked": "invalid_refresh_token",
    "app_uninstalled": "invalid_refresh_token",
    "user_deleted": "invalid_refresh_token",
}
# A real re-sign-in fixes these; the rest wait for an admin (the authorize step refuses them).
USER_FIXABLE = frozenset({"grant_revoked", "mfa_enrollment_required", "access_token_expired"})
ADMIN_BLOCKED = frozenset(
    {"app_uninstalled", "app_disabled", "consent_missing", "user_deleted", "insufficient_scope"}
)


def slack_id(prefix: str, *parts: str) -> str:
    """A stable Slack-looking id (``U0…``, ``T0…``): prefix + 10 of [A-Z2-7]."""
    digest = hashlib.sha256("|".join(p.lower() for p in parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:10]


def _alnum(length: int) -> str:
    # Alphanumerics only, like Slack's: the log redactor's token patterns then match the whole.
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def _digits(length: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (length - 1)) + 10 ** (length - 1))


def workspace_for(email: str) -> str:
    return slack_id("T", email.rsplit("@", 1)[-1])


def team_name(user: SandboxUser) -> str:
    domain = user.email.rsplit("@", 1)[-1].split(".")[0]
    return domain.replace("-", " ").title() or "Sandbox"


def find_or_create_user(email: str, name: str = "", workspace_id: str = "") -> SandboxUser:
    workspace_id = workspace_id or workspace_for(email)
    user, _ = SandboxUser.objects.get_or_create(
        platform=PLATFORM,
        email=email.lower(),
        defaults={
            "name": name or email.split("@")[0].replace(".", " ").title(),
            "upstream_id": slack_id("U", workspace_id, email),
            "workspace_id": workspace_id,
        },
    )
    return user


def mint_user_tokens(user: SandboxUser, scopes: list[str] | None = None) -> dict[str, Any]:
    scopes = scopes or USER_SCOPES
    meta = {"scopes": ",".join(scopes), "workspace_id": user.workspace_id}
    return {
        **_rotating_pair(user, SandboxToken.Kind.ACCESS, "xoxe.xoxp-1-", meta),
        "scopes": scopes,
        "upstream_user_id": user.upstream_id,
        "workspace_id": user.workspace_id,
        "email": user.email,
    }


def mint_bot_token(workspace_id: str) -> dict[str, Any]:
    bot_user_id = bot_user(workspace_id)
    meta = {
        "workspace_id": workspace_id,
        "bot_user_id": bot_user_id,
        "bot_id": bot_id(workspace_id),
    }
    token = f"xoxb-{_digits(11)}-{_digits(13)}-{_alnum(24)}"
    core.issue(PLATFORM, SandboxToken.Kind.BOT, None, token, meta=meta)
    return {"bot_token": token, "bot_user_id": bot_user_id, "workspace_id": workspace_id}


def mint_rotating_bot_tokens(
    workspace_id: str, scopes: list[str], team: str = "Sandbox"
) -> dict[str, Any]:
    """The bot grant of an install with token rotation on: 12 h access, single-use refresh."""
    meta = {
        "workspace_id": workspace_id,
        "team_name": team,
        "bot_user_id": bot_user(workspace_id),
        "bot_id": bot_id(workspace_id),
        "scopes": ",".join(scopes),
        "bot": True,
    }
    return {
        **_rotating_pair(None, SandboxToken.Kind.BOT, "xoxe.xoxb-1-", meta),
        "scopes": scopes,
        "bot_user_id": meta["bot_user_id"],
        "workspace_id": workspace_id,
        "team_name": team,
    }


def _rotating_pair(
    user: SandboxUser | None, kind: str, prefix: str, meta: dict[str, Any]
) -> dict[str, Any]:
    """An access token (12 h) and its single-use refresh token, as token rotation issues them."""
    access = core.issue(PLATFORM, kind, user, prefix + _alnum(96), ttl=ACCESS_TTL, meta=meta)
    refresh = core.issue(
        PLATFORM, SandboxToken.Kind.REFRESH, user, "xoxe-1-" + _alnum(96), meta=meta
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": int(ACCESS_TTL.total_seconds()),
    }


def user_object(user: SandboxUser) -> dict[str, Any]:
    """``users.info``'s user, with the fields of Slack's documented example
    (https://docs.slack.dev/reference/methods/users.info, "Typical success response"; the user
    object: https://docs.slack.dev/reference/objects/user-object). A deactivated member is the
    same object with ``deleted: true``."""
    handle = user.email.split("@")[0]
    avatar = f"https://avatars.sandbox.slack.example/{user.upstream_id}"
    return {
        "id": user.upstream_id,
        "team_id": user.workspace_id,
        "name": handle,
        "deleted": user.situation == "user_deleted",
        "color": "9f69e7",
        "real_name": user.name,
        "tz": "Europe/London",
        "tz_label": "Greenwich Mean Time",
        "tz_offset": 0,
        "profile": {
            "avatar_hash": "ge3b51ca72de",
            "status_text": "",
            "status_emoji": "",
            "real_name": user.name,
            "display_name": handle,
            "real_name_normalized": user.name,
            "display_name_normalized": handle,
            "email": user.email,
            "image_original": f"{avatar}/original.jpg",
            **{f"image_{size}": f"{avatar}/{size}.jpg" for size in (24, 32, 48, 72, 192, 512)},
            "team": user.workspace_id,
        },
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "is_app_user": False,
        "updated": 1502138686,
        "has_2fa": False,
    }


def bot_id(workspace_id: str) -> str:
    return slack_id("B", workspace_id, "mio-bot")


def bot_user(workspace_id: str) -> str:
    """The Mio bot's user id (``U…``) in that workspace."""
    return slack_id("U", workspace_id, "mio-bot")


def dm_id(user: SandboxUser) -> str:
    """The bot's IM with ``user`` (``D…``): what chat.postMessage and conversations.open name."""
    return slack_id("D", user.workspace_id, user.upstream_id)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts_of(moment: datetime) -> str:
    """A Slack message timestamp ("1700000000.123456"), exact to the microsecond."""
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def moment_of(ts: str) -> datetime:
    """The inverse of ``ts_of``; ValueError for anything that is not a Slack timestamp."""
    try:
        return _EPOCH + timedelta(microseconds=int(Decimal(ts.strip()) * 1_000_000))
    except (InvalidOperation, AttributeError, OverflowError) as exc:  # NaN is a ValueError
        raise ValueError(f"not a timestamp: {ts!r}") from exc


def mint_code(user: SandboxUser, meta: dict[str, Any]) -> str:
    code = f"{_digits(10)}.{_digits(13)}.{secrets.token_hex(32)}"
    return core.issue(PLATFORM, SandboxToken.Kind.CODE, user, code, ttl=CODE_TTL, meta=meta)


def workspace_uninstalled(workspace_id: str) -> bool:
    """Removing the app is workspace-wide: one user marked uninstalled breaks them all."""
    return SandboxUser.objects.filter(
        platform=PLATFORM, workspace_id=workspace_id, situation="app_uninstalled"
    ).exists()


def situation_of(user: SandboxUser) -> str:
    if user.situation:
        return user.situation
    return "app_uninstalled" if workspace_uninstalled(user.workspace_id) else ""


def answer(data: dict[str, Any], status: int = 200, **headers: str) -> JsonResponse:
    """A Web API answer; like Slack's, it names the request (``x-slack-req-id``)."""
    response = JsonResponse(data, status=status)
    response["x-slack-req-id"] = secrets.token_hex(16)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def fail(code: str, status: int = 200, **extra: Any) -> JsonResponse:
    """Slack's error shape: HTTP 200 (mostly) with ``ok: false`` and the code."""
    return answer({"ok": False, "error": code, **extra}, status=status)


def transient_answer() -> JsonResponse:
    return answer({"ok": False, "error": "ratelimited"}, status=429, Retry_After="30")
