"""Minting the fake Entra's tokens (only their hashes are stored, through ``core.issue``)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes
from platforms.sandbox.models import SandboxToken, SandboxUser

PLATFORM = "teams"
DEFAULT_SCOPES = ["User.Read", "profile", "openid", "email"]


def wants_cae(claims_param: str) -> bool:
    """Did the client declare the CP1 capability (``xms_cc``) in the ``claims`` parameter?"""
    try:
        claims = json.loads(claims_param or "{}")
    except ValueError:
        return False
    values = (claims.get("access_token") or {}).get("xms_cc", {}).get("values", [])
    return isinstance(values, list) and "CP1" in values


def user_tokens(
    user: SandboxUser,
    *,
    client_id: str,
    scopes: list[str] | None = None,
    cae: bool = False,
    nonce: str = "",
    claims: str = "",
) -> dict[str, Any]:
    """A token answer for ``user``: access, a NEW refresh token (Entra rotates), id token."""
    scopes = scopes or DEFAULT_SCOPES
    access, _ = shapes.user_access_token(user, client_id=client_id, scopes=scopes, cae=cae)
    core.issue(
        PLATFORM,
        SandboxToken.Kind.ACCESS,
        user,
        access,
        ttl=timedelta(seconds=shapes.ACCESS_TTL),
        # The claims the client asked for (e.g. a CAE challenge's), kept for inspection.
        meta={"cae": cae, "scopes": scopes, "claims": claims[:2000]},
    )
    refresh = core.issue(
        PLATFORM,
        SandboxToken.Kind.REFRESH,
        user,
        shapes.opaque("1.A"),
        ttl=timedelta(days=shapes.REFRESH_IDLE_DAYS),
        meta={"client_id": client_id, "scopes": scopes},
    )
    return {
        "token_type": "Bearer",
        "scope": " ".join(scopes),
        "expires_in": shapes.ACCESS_TTL,
        "ext_expires_in": shapes.ACCESS_TTL,
        "access_token": access,
        "refresh_token": refresh,
        "id_token": shapes.id_token(user, client_id=client_id, nonce=nonce),
        "client_info": shapes.client_info(user),
    }


def bot_token(client_id: str) -> dict[str, Any]:
    import time

    now = int(time.time())
    token = shapes.jwt(
        {
            "aud": shapes.BOT_FRAMEWORK_RESOURCE,
            "iss": "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
            "iat": now,
            "nbf": now,
            "exp": now + shapes.BOT_TTL,
            "appid": client_id,
            "tid": "d6d49420-f39b-4df7-a1dc-d59a935871db",
            "ver": "1.0",
        }
    )
    core.issue(PLATFORM, SandboxToken.Kind.BOT, None, token, ttl=timedelta(seconds=shapes.BOT_TTL))
    return {
        "token_type": "Bearer",
        "expires_in": shapes.BOT_TTL,
        "ext_expires_in": shapes.BOT_TTL,
        "access_token": token,
    }
