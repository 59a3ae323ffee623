"""The fake Slack Web API: ``auth.test``, ``oauth.v2.access``, ``chat.postMessage``, ``users.info``.

Each view looks the caller's token up first (to know whose call it is, so per-user scripts
match), lets ``core.intercept`` inject faults and scripted answers, then answers like Slack:
HTTP 200 with ``ok: false`` and Slack's error code, or 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from platforms.sandbox import core
from platforms.sandbox.fakes.slack import state
from platforms.sandbox.fakes.slack.state import PLATFORM, answer, fail
from platforms.sandbox.models import SandboxToken, SandboxUser

# The POST bodies the Web API reads (https://docs.slack.dev/apis/web-api/#post-bodies; any other
# type is invalid_post_type, a body without a type missing_post_type).
POST_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "application/json", "multipart/form-data", "text/plain"}
)


def _params(request: HttpRequest) -> dict[str, Any]:
    """Arguments from the query string and a form or JSON body, as Slack reads them."""
    if request.content_type == "application/json":
        return {**request.GET.dict(), **core.json_body(request)}
    return {**request.GET.dict(), **request.POST.dict()}


def _token_value(request: HttpRequest, params: dict[str, Any]) -> str | None:
    """The Authorization header, or a ``token`` form field in a POST body.

    Never the query string: apps created after 2021-02-24 may not send tokens there
    (https://api.slack.com/changelog/2020-11-no-more-tokens-in-querystrings-for-newly-created-apps),
    so such a call reads as carrying no token at all; nor a JSON body, which Slack reads the
    token of from the header only (https://docs.slack.dev/apis/web-api/#json-bodies).
    """
    if header := core.bearer(request):
        return header
    if request.method == "POST" and request.content_type != "application/json":
        value = request.POST.get("token")
        return str(value) if value else None
    return None


def _post_type_refused(request: HttpRequest) -> HttpResponse | None:
    """Slack's answer to a POST body of a type it does not read."""
    if request.method != "POST" or not request.body:
        return None
    if not request.META.get("CONTENT_TYPE"):
        return fail("missing_post_type")
    if request.content_type not in POST_TYPES:
        return fail("invalid_post_type")
    return None


def _caller(value: str | None) -> SandboxToken | None:
    """The access or bot token behind a call (``find`` is by hash, so try both kinds)."""
    return core.find(PLATFORM, SandboxToken.Kind.ACCESS, value) or core.find(
        PLATFORM, SandboxToken.Kind.BOT, value
    )


def _email(token: SandboxToken | None) -> str:
    return token.user.email if token is not None and token.user is not None else ""


def _refuse(token: SandboxToken | None, value: str | None) -> HttpResponse | None:
    """Slack's answer for a token that cannot be used at all, else None."""
    if not value:
        return fail("not_authed")
    if token is None:
        return fail("invalid_auth")
    if token.revoked:
        return fail("token_revoked")
    if not core.usable(token):
        return fail("token_expired")
    if token.kind == SandboxToken.Kind.BOT:
        if state.workspace_uninstalled(token.meta.get("workspace_id", "")):
            return fail("token_revoked")
        return None
    situation = state.situation_of(token.user)
    if situation == "transient":
        return state.transient_answer()
    if situation == "insufficient_scope":
        return fail("missing_scope", needed="chat:write", provided="identify")
    if code := state.PROBE_ERRORS.get(situation):
        return fail(code)
    return None


@csrf_exempt
def auth_test(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    value = _token_value(request, params)
    token = _caller(value)
    if hit := core.intercept(request, PLATFORM, "probe", _email(token)):
        return hit
    if refused := _post_type_refused(request) or _refuse(token, value):
        return refused
    assert token is not None
    workspace_id = token.meta.get("workspace_id", "")
    if token.kind == SandboxToken.Kind.BOT:
        return answer(
            {
                "ok": True,
                "url": "https://sandbox.slack.com/",
                "team": "Sandbox",
                "user": "mio",
                "team_id": workspace_id,
                "user_id": token.meta.get("bot_user_id", ""),
                "bot_id": token.meta.get("bot_id", ""),
                "is_enterprise_install": False,
            }
        )
    user = token.user
    team = state.team_name(user)
    return answer(
        {
            "ok": True,
            "url": f"https://{team.lower().replace(' ', '-')}.slack.com/",
            "team": team,
            "user": user.email.split("@")[0],
            "team_id": user.workspace_id,
            "user_id": user.upstream_id,
            "is_enterprise_install": False,
        },
        x_oauth_scopes=token.meta.get("scopes", ""),
    )


@csrf_exempt
def oauth_v2_access(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    grant_type = params.get("grant_type") or "authorization_code"
    if grant_type == "refresh_token":
        token = core.find(PLATFORM, SandboxToken.Kind.REFRESH, params.get("refresh_token"))
    else:
        token = core.find(PLATFORM, SandboxToken.Kind.CODE, params.get("code"))
    if hit := core.intercept(request, PLATFORM, "token", _email(token)):
        return hit
    if refused := _post_type_refused(request) or _client_refused(request, params):
        return refused
    if grant_type == "refresh_token":
        return _refresh(token)
    if grant_type != "authorization_code":
        return fail("invalid_grant_type")
    return _exchange(token, params)


def _client_refused(request: HttpRequest, params: dict[str, Any]) -> HttpResponse | None:
    """HTTP Basic (what slack-sdk sends) or client_id/client_secret in the body."""
    client_id, secret = params.get("client_id"), params.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return fail("invalid_client_id")
    app = settings.PLATFORM_APPS[PLATFORM]
    if not client_id or not hmac.compare_digest(str(client_id), app["client_id"]):
        return fail("invalid_client_id")
    if not secret or not hmac.compare_digest(str(secret), app["client_secret"]):
        return fail("bad_client_secret")
    return None


def _refresh(token: SandboxToken | None) -> HttpResponse:
    if token is None or not core.usable(token):
        return fail("invalid_refresh_token")
    if token.user is None:
        return _refresh_bot(token)
    user = token.user
    situation = state.situation_of(user)
    if situation == "transient":
        return state.transient_answer()
    if code := state.REFRESH_ERRORS.get(situation):
        return fail(code)
    # Single use: only the caller that revokes it gets new tokens (a racing twin is refused).
    if not core.revoke(token):
        return fail("invalid_refresh_token")
    scopes = [s for s in token.meta.get("scopes", "").split(",") if s] or None
    grant = state.mint_user_tokens(user, scopes)
    if situation == "access_token_expired":
        # The stale access token is what that situation means; a fresh one ends it.
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
    return _refreshed(grant, "user", {"id": user.workspace_id, "name": state.team_name(user)})


def _refresh_bot(token: SandboxToken) -> HttpResponse:
    """The bot's rotating token: a removed app's refresh token is refused, as is a used one."""
    meta = token.meta
    workspace_id = str(meta.get("workspace_id") or "")
    if not meta.get("bot") or state.workspace_uninstalled(workspace_id):
        return fail("invalid_refresh_token")
    if not core.revoke(token):  # single use, as the user's
        return fail("invalid_refresh_token")
    scopes = [s for s in str(meta.get("scopes") or "").split(",") if s]
    grant = state.mint_rotating_bot_tokens(
        workspace_id, scopes, str(meta.get("team_name") or "Sandbox")
    )
    team = {"id": workspace_id, "name": grant["team_name"]}
    return _refreshed(grant, "bot", team, bot_user_id=grant["bot_user_id"])


def _refreshed(
    grant: dict[str, Any], token_type: str, team: dict[str, str], **who: str
) -> HttpResponse:
    """A refresh answer: the new pair at the top level for a user token as for a bot's, the
    bot's answer naming its ``bot_user_id``; no ``user_id``, no tokens under ``authed_user``
    (slack-sdk's token_rotation/rotator.py reads it so; node-slack-sdk's
    ``OAuthV2TokenRefreshResponse``, packages/oauth/src/install-provider.ts L791-802)."""
    return answer(
        {
            "ok": True,
            "app_id": state.APP_ID,
            "access_token": grant["access_token"],
            "expires_in": grant["expires_in"],
            "refresh_token": grant["refresh_token"],
            "token_type": token_type,
            "scope": ",".join(grant["scopes"]),
            **who,
            "team": team,
            "enterprise": None,
            "is_enterprise_install": False,
        }
    )


def _exchange(token: SandboxToken | None, params: dict[str, Any]) -> HttpResponse:
    # Codes are single use: burn it first, so a failed attempt cannot be retried either.
    if token is None or not core.usable(token) or not core.revoke(token):
        return fail("invalid_code")
    meta = token.meta
    if meta.get("redirect_uri") and params.get("redirect_uri") != meta["redirect_uri"]:
        return fail("bad_redirect_uri")
    if challenge := meta.get("code_challenge"):
        verifier = str(params.get("code_verifier") or "")
        if meta.get("code_challenge_method") == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not verifier or not hmac.compare_digest(verifier, challenge):
            return fail("invalid_code")
    user = token.user
    if bot_scopes := [s for s in meta.get("scope", "").split(",") if s]:
        return _installed(user, bot_scopes, meta)
    scopes = [s for s in meta.get("user_scope", "").split(",") if s] or None
    grant = state.mint_user_tokens(user, scopes)
    return answer(
        {
            "ok": True,
            "app_id": state.APP_ID,
            "authed_user": {
                "id": user.upstream_id,
                "scope": ",".join(grant["scopes"]),
                "access_token": grant["access_token"],
                "token_type": "user",
                "refresh_token": grant["refresh_token"],
                "expires_in": grant["expires_in"],
            },
            "team": {"id": user.workspace_id, "name": state.team_name(user)},
            "enterprise": None,
            "is_enterprise_install": False,
        }
    )


def _installed(user: SandboxUser, bot_scopes: list[str], meta: dict[str, Any]) -> HttpResponse:
    """ "Add to Slack" redeemed: the workspace's bot token at the top level (rotation on), the
    installer in ``authed_user`` (with their own token only if user scopes were asked too)."""
    team = state.team_name(user)
    bot = state.mint_rotating_bot_tokens(user.workspace_id, bot_scopes, team)
    authed_user: dict[str, Any] = {"id": user.upstream_id}
    if user_scopes := [s for s in meta.get("user_scope", "").split(",") if s]:
        grant = state.mint_user_tokens(user, user_scopes)
        authed_user |= {
            "scope": ",".join(grant["scopes"]),
            "access_token": grant["access_token"],
            "token_type": "user",
            "refresh_token": grant["refresh_token"],
            "expires_in": grant["expires_in"],
        }
    return answer(
        {
            "ok": True,
            "app_id": state.APP_ID,
            "access_token": bot["access_token"],
            "token_type": "bot",
            "scope": ",".join(bot["scopes"]),
            "bot_user_id": bot["bot_user_id"],
            "refresh_token": bot["refresh_token"],
            "expires_in": bot["expires_in"],
            "authed_user": authed_user,
            "team": {"id": user.workspace_id, "name": team},
            "enterprise": None,
            "is_enterprise_install": False,
        }
    )


@csrf_exempt
def chat_post_message(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    value = _token_value(request, params)
    token = _caller(value)
    channel = str(params.get("channel") or "")
    recipient = SandboxUser.objects.filter(platform=PLATFORM, upstream_id=channel).first()
    if hit := core.intercept(request, PLATFORM, "send", recipient.email if recipient else ""):
        return hit
    if refused := _post_type_refused(request) or _refuse(token, value):
        return refused
    assert token is not None
    if not channel:
        return fail("channel_not_found")
    if recipient is None or recipient.situation == "user_deleted":
        return fail("channel_not_found")
    if recipient.situation == "transient":
        # Slack holds posts to one channel to about one a second (429 + Retry-After).
        return state.transient_answer()
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return fail("invalid_blocks_format")
    if not params.get("text") and not blocks:
        return fail("no_text")
    if blocks is not None and not _valid_blocks(blocks):
        return fail("invalid_blocks")
    raw = request.body.decode("utf-8", "replace")
    if request.content_type != "application/json":
        raw = json.dumps(params)
    # A user token posts as that person (a relay sending for them): the inbox says who.
    person = token.user.email if token.kind == SandboxToken.Kind.ACCESS and token.user else ""
    delivered = core.deliver(PLATFORM, recipient.email, raw, sender=person)
    # The stored message's time is its ts: conversations.history names it the same way.
    ts = state.ts_of(delivered.at)
    bot_user = token.meta.get("bot_user_id") or (token.user.upstream_id if token.user else "")
    return answer(
        {
            "ok": True,
            "channel": state.dm_id(recipient),
            "ts": ts,
            "message": {
                "type": "message",
                "text": params.get("text", ""),
                "user": bot_user,
                "bot_id": token.meta.get("bot_id", ""),
                "ts": ts,
                "blocks": blocks or [],
            },
        }
    )


def _valid_blocks(blocks: Any) -> bool:
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return False
    try:
        parsed = Block.parse_all(blocks)
        for block in parsed:
            block.validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError):
        return False
    return all(type(block) is not Block for block in parsed)


@csrf_exempt
def users_info(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    value = _token_value(request, params)
    token = _caller(value)
    if hit := core.intercept(request, PLATFORM, "profile", _email(token)):
        return hit
    if refused := _post_type_refused(request) or _refuse(token, value):
        return refused
    user = SandboxUser.objects.filter(platform=PLATFORM, upstream_id=params.get("user")).first()
    if user is None or not _sees(token, user):
        return fail("user_not_found")
    return answer({"ok": True, "user": state.user_object(user)})


def _sees(token: SandboxToken | None, user: SandboxUser) -> bool:
    """A token sees the members of its own workspace only."""
    if token is None:
        return False
    if token.kind == SandboxToken.Kind.BOT:
        return token.meta.get("workspace_id", "") == user.workspace_id
    return token.user is not None and token.user.workspace_id == user.workspace_id


@csrf_exempt
def unknown_method(request: HttpRequest, method: str) -> HttpResponse:
    return fail("unknown_method", status=404)
