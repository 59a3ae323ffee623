"""Slack's OAuth v2: a user's sign-in (user token) and "Add to Slack" (the workspace's bot token).

Both are one authorize URL (state + PKCE) and one code exchange; they differ in the scopes asked
for (``user_scope`` vs ``scope``) and in where the answer puts the token (``authed_user`` vs the
top level, with ``bot_user_id``). slack-sdk's ``AuthorizeUrlGenerator`` builds the URL and
``WebClient.oauth_v2_access`` redeems the code. Slack's ``oauth.v2.access`` documents
``code_verifier`` ("used for PKCE"), so the flow sends an S256 challenge as well as the state;
a stolen code is useless without the verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from slack_sdk.oauth import AuthorizeUrlGenerator

from platforms.base import OAuthStart, TokenGrant
from platforms.errors import Evidence, PlatformError
from platforms.grants import UnreadableGrant
from platforms.http import base_url
from platforms.slack.client import PLATFORM, call, web_client
from platforms.slack.errors import MEANINGS, SLACK_ERRORS
from tokens.situations import Situation

log = logging.getLogger(__name__)

# What Mio relays as the user: post, read DMs, and resolve people (email) across platforms.
USER_SCOPES = ["chat:write", "im:history", "users:read", "users:read.email"]
# What the Mio bot needs: DM people (chat:write, im:write), find them (users:read), and read its
# own DMs back to tell whether a cut-off send arrived (im:history; the adapter's find_sent).
BOT_SCOPES = ["chat:write", "users:read", "im:write", "im:history"]


@dataclass
class BotInstall:
    """What "Add to Slack" returned: the workspace and the bot's (rotating) token."""

    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    refresh_token: str | None = None
    expires_in: int | None = None
    scopes: list[str] = field(default_factory=list)
    installer_id: str = ""

    def __repr__(self) -> str:  # never print tokens
        return f"<BotInstall team={self.team_id!r} bot={self.bot_user_id!r}>"

    def as_bot(self) -> dict[str, Any]:
        """The mapping ``tokens.provisioning.record_installation`` stores."""
        return {
            "bot_token": self.bot_token,
            "bot_user_id": self.bot_user_id,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "scopes": self.scopes,
        }


def app() -> dict[str, str]:
    return settings.PLATFORM_APPS[PLATFORM]


def begin(*, redirect_uri: str, login_hint: str = "") -> OAuthStart:
    return _begin(
        redirect_uri=redirect_uri,
        state=secrets.token_urlsafe(32),
        login_hint=login_hint,
        user_scopes=USER_SCOPES,
    )


def begin_install(*, redirect_uri: str, state: str) -> OAuthStart:
    """ "Add to Slack": the bot scopes, with the caller's ``state`` (the install signs its own)."""
    return _begin(redirect_uri=redirect_uri, state=state, bot_scopes=BOT_SCOPES)


def _begin(
    *,
    redirect_uri: str,
    state: str,
    login_hint: str = "",
    user_scopes: list[str] | None = None,
    bot_scopes: list[str] | None = None,
) -> OAuthStart:
    verifier = secrets.token_urlsafe(64)  # 86 characters: inside RFC 7636's 43..128
    generator = AuthorizeUrlGenerator(
        client_id=app()["client_id"],
        # The generator pastes redirect_uri in verbatim; encoded, a query string in it survives.
        redirect_uri=quote(redirect_uri, safe=""),
        scopes=bot_scopes,
        user_scopes=user_scopes,
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
    response = _exchange(flow, params, redirect_uri=redirect_uri)
    user = response.get("authed_user") or {}
    if not user.get("access_token") or not user.get("id"):
        raise malformed(response, "no_user_token", "a user token (authed_user)")
    return TokenGrant(
        access_token=user["access_token"],
        refresh_token=user.get("refresh_token"),
        expires_in=_int(user.get("expires_in")),
        scopes=_scopes(user.get("scope")),
        upstream_user_id=user["id"],
        workspace_id=str((response.get("team") or {}).get("id") or ""),
        email=_email_of(user["access_token"], user["id"]),
    )


def finish_install(
    flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str
) -> BotInstall:
    """Check state, exchange the code; the bot's token, workspace and (rotation) refresh token.

    Raises ValueError for an answer that is not this install's, PlatformError for Slack's
    refusals (``access_denied`` when the installer declined) and for an answer without a bot.
    """
    response = _exchange(flow, params, redirect_uri=redirect_uri)
    team = response.get("team") or {}
    token, bot_user_id = response.get("access_token"), response.get("bot_user_id")
    team_id = team.get("id") if isinstance(team, dict) else None
    if (
        response.get("token_type") != "bot"
        or not isinstance(token, str)
        or not token
        or not isinstance(bot_user_id, str)
        or not bot_user_id
        or not isinstance(team_id, str)
        or not team_id
    ):
        raise malformed(response, "no_bot_token", "a bot token, bot user or workspace")
    refresh_token = response.get("refresh_token")
    installer = response.get("authed_user") or {}
    return BotInstall(
        team_id=team_id[:128],
        team_name=str(team.get("name") or "")[:255],
        bot_token=token,
        bot_user_id=bot_user_id[:128],
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        expires_in=_int(response.get("expires_in")),
        scopes=_scopes(response.get("scope")),
        installer_id=str(installer.get("id") or "")[:128] if isinstance(installer, dict) else "",
    )


def _exchange(flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str) -> Any:
    """The authorize step's answer checked, then its code redeemed (``oauth.v2.access``)."""
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
    return call(
        "token",
        lambda: web_client().oauth_v2_access(
            client_id=app_config["client_id"],
            client_secret=app_config["client_secret"],
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=flow.get("code_verifier"),
        ),
    )


def grant_from_refresh(response: Any) -> TokenGrant:
    """``oauth.v2.access`` answering ``grant_type=refresh_token``: the new pair is at the top level.

    For a bot *and* for a user token the refresh answer carries ``access_token``,
    ``refresh_token``, ``expires_in``, ``token_type`` ("bot" or "user"), ``scope`` and ``team``
    at the top level; it has no ``user_id`` and, unlike the code exchange, no tokens under
    ``authed_user`` (which may still be there as ``{"id": …}``). slack-sdk's own rotator reads
    it so (slack_sdk/oauth/token_rotation/rotator.py@fb5b7bc, ``perform_user_token_rotation``:
    ``refresh_response.get("access_token")`` / ``"refresh_token"`` / ``["expires_in"]``), as
    does node-slack-sdk's ``OAuthV2TokenRefreshResponse`` (packages/oauth/src/install-provider.ts
    L791-802). Tokens nested under ``authed_user`` are still read if the top level has none, so
    an answer shaped like the code exchange's is not thrown away either.

    Slack has already revoked the refresh token that was redeemed, so an answer that carries no
    access token cannot be retried: ``unreadable_refresh`` says so to the operator.
    """
    data = response.data if isinstance(response.data, dict) else {}
    nested = data.get("authed_user")
    nested = nested if isinstance(nested, dict) else {}
    body = data if _text(data.get("access_token")) else nested
    access_token = _text(body.get("access_token"))
    if not access_token:
        raise unreadable_refresh(response, data)
    team = data.get("team")
    team = team if isinstance(team, dict) else {}
    return TokenGrant(
        access_token=access_token,
        refresh_token=_text(body.get("refresh_token")) or None,
        expires_in=_int(body.get("expires_in")),
        scopes=_scopes(body.get("scope") if isinstance(body.get("scope"), str) else ""),
        upstream_user_id=_text(nested.get("id") or data.get("bot_user_id"))[:128],
        workspace_id=_text(team.get("id"))[:128],
    )


def unreadable_refresh(response: Any, data: dict[str, Any]) -> PlatformError:
    """Slack redeemed the refresh token (ok) but the answer holds no access token to store.

    The spent refresh token cannot be redeemed again and nothing the user does would help: the
    engine salvages what it can and otherwise holds the credential for the operator; the
    evidence names the fields the answer held, never their values.
    """
    fields = ", ".join(sorted(str(k)[:40] for k in data)[:20]) or "none"
    return UnreadableGrant(
        PLATFORM,
        json.dumps(data),
        status=getattr(response, "status_code", None),
        why=f"oauth.v2.access answered ok without an access token (fields: {fields})",
    )


def malformed(response: Any, code: str, missing: str) -> PlatformError:
    """``oauth.v2.access`` answered ok, but without what the flow needs."""
    return PlatformError(
        Situation.UNKNOWN,
        Evidence(
            platform=PLATFORM,
            endpoint="token",
            http_status=response.status_code,
            error=code,
            description=f"oauth.v2.access answered ok without {missing}.",
        ),
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


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
