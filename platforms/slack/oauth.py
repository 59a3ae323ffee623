"""Slack's OAuth v2 for a user token: authorize URL (state + PKCE) and the code exchange.

slack-sdk's ``AuthorizeUrlGenerator`` builds the URL and ``WebClient.oauth_v2_access`` redeems
the code. Slack's ``oauth.v2.access`` documents ``code_verifier`` ("used for PKCE"), so the flow
sends an S256 challenge as well as the state; a stolen code is useless without the verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from slack_sdk.oauth import AuthorizeUrlGenerator

from platforms.base import OAuthStart, TokenGrant
from platforms.errors import Evidence, PlatformError
from platforms.http import base_url
from platforms.slack.client import PLATFORM, call, web_client
from platforms.slack.errors import MEANINGS, SLACK_ERRORS
from tokens.situations import Situation

# What Mio relays as the user: post, read DMs, and resolve people (email) across platforms.
USER_SCOPES = ["chat:write", "im:history", "users:read", "users:read.email"]


def app() -> dict[str, str]:
    return settings.PLATFORM_APPS[PLATFORM]


def begin(*, redirect_uri: str, login_hint: str = "") -> OAuthStart:
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: inside RFC 7636's 43..128
    generator = AuthorizeUrlGenerator(
        client_id=app()["client_id"],
        # The generator pastes redirect_uri in verbatim; encoded, a query string in it survives.
        redirect_uri=quote(redirect_uri, safe=""),
        user_scopes=USER_SCOPES,
        authorization_url=base_url(PLATFORM, "oauth") + "/v2/authorize",
    )
    extra = {"code_challenge": challenge_of(verifier), "code_challenge_method": "S256"}
    if login_hint:
        # Slack ignores it; the sandbox's consent page uses it as "who is signed in".
        extra["login_hint"] = login_hint
    url = f"{generator.generate(state)}&{urlencode(extra)}"
    return OAuthStart(
        url=url, flow={"state": state, "code_verifier": verifier, "redirect_uri": redirect_uri}
    )


def finish(flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str) -> TokenGrant:
    expected, answered = str(flow.get("state") or ""), str(params.get("state") or "")
    if not expected or not answered or not hmac.compare_digest(expected, answered):
        raise ValueError("OAuth state mismatch: the answer does not belong to this sign-in")
    if error := params.get("error"):
        raise PlatformError(
            SLACK_ERRORS.lookup(error) or Situation.UNKNOWN,
            Evidence(
                platform=PLATFORM,
                endpoint="authorize",
                error=str(error)[:100],
                error_codes=[str(error)[:100]],
                description=MEANINGS.get(error, "Slack's authorize step answered with an error."),
            ),
        )
    code = params.get("code")
    if not code:
        raise ValueError("the OAuth answer carries neither a code nor an error")
    app_config = app()
    response = call(
        "token",
        lambda: web_client().oauth_v2_access(
            client_id=app_config["client_id"],
            client_secret=app_config["client_secret"],
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=flow.get("code_verifier"),
        ),
    )
    user = response.get("authed_user") or {}
    if not user.get("access_token") or not user.get("id"):
        raise PlatformError(
            Situation.UNKNOWN,
            Evidence(
                platform=PLATFORM,
                endpoint="token",
                http_status=response.status_code,
                error="no_user_token",
                description="oauth.v2.access returned no user token (authed_user).",
            ),
        )
    return TokenGrant(
        access_token=user["access_token"],
        refresh_token=user.get("refresh_token"),
        expires_in=_int(user.get("expires_in")),
        scopes=_scopes(user.get("scope")),
        upstream_user_id=user["id"],
        workspace_id=str((response.get("team") or {}).get("id") or ""),
        email=_email_of(user["access_token"], user["id"]),
    )


def grant_from_refresh(response: Any) -> TokenGrant:
    """A refresh answer is flat (``access_token``, ``refresh_token``, ``expires_in``…)."""
    body = response.get("authed_user") or response.data
    team = response.get("team") or {}
    return TokenGrant(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token"),
        expires_in=_int(body.get("expires_in")),
        scopes=_scopes(body.get("scope")),
        upstream_user_id=str(body.get("user_id") or body.get("id") or ""),
        workspace_id=str(team.get("id") or ""),
    )


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _email_of(token: str, user_id: str) -> str:
    """The email Slack knows the user by (users:read.email); a failure here never fails sign-in."""
    try:
        info = call("profile", lambda: web_client(token).users_info(user=user_id))
    except PlatformError:
        return ""
    return str(((info.get("user") or {}).get("profile") or {}).get("email") or "")


def _scopes(value: Any) -> list[str]:
    return [s for s in str(value or "").split(",") if s]


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
