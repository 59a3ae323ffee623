"""Zoom-shaped identifiers and tokens for the fake: JWT-looking tokens, 22-character ids.

Like Zoom, the fake keeps no token, only its hash (``core.issue``). Access tokens last an hour,
refresh tokens 90 days, authorization codes five minutes; a refresh token is single-use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from platforms.sandbox import core
from platforms.sandbox.models import SandboxToken, SandboxUser

PLATFORM = "zoom"
ACCESS_TTL = timedelta(hours=1)
EXPIRES_IN = 3599  # what Zoom's token endpoint says for a one-hour token
REFRESH_TTL = timedelta(days=90)
CODE_TTL = timedelta(minutes=5)
USER_SCOPES = ["user:read:user", "team_chat:read:user_message", "team_chat:write:user_message"]
BOT_SCOPES = ["imchat:bot"]
# Zoom marks tokens voided by a newer authorization; refreshing one answers 4741.
REVOKED_BY_REAUTHORIZATION = "reauthorization"
_SIGNING_KEY = secrets.token_bytes(32)  # the fake's own; nobody verifies these signatures


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def zoom_id() -> str:
    """A fresh id shaped like Zoom's user ids (22 url-safe characters)."""
    return _b64(secrets.token_bytes(16))


def account_id_for(email: str) -> str:
    """A stable Zoom account id per email domain, so colleagues share one account."""
    domain = email.rsplit("@", 1)[-1].lower()
    return _b64(hashlib.sha256(f"zoom-account:{domain}".encode()).digest())[:22]


def jid_of(user: SandboxUser) -> str:
    """The user's chat JID, the ``jid`` of ``GET /v2/users/me``.

    Zoom documents the JID as a field of its own (Get User's ``jid``; chatbot events'
    ``userJid``), not as a function of the user id. The fake's JIDs are stable per user but
    deliberately not the lower-cased id, so a caller that builds ``to_jid`` from the id instead
    of reading ``jid`` is refused here rather than in production.
    """
    digest = hashlib.sha256(f"zoom-jid:{user.upstream_id}".encode()).digest()
    return f"{_b64(digest)[:22].lower()}@xmpp.zoom.us"


def user_by_jid(jid: object, account_id: object) -> SandboxUser | None:
    """The user of account ``account_id`` whose JID is ``jid`` (None: no such user there)."""
    if not isinstance(jid, str) or not isinstance(account_id, str) or not account_id:
        return None
    users = SandboxUser.objects.filter(platform=PLATFORM, workspace_id=account_id)
    return next((user for user in users if jid_of(user) == jid.lower()), None)


def tracking_id() -> str:
    return f"v=2.0;clid=us05;rid=WEB_{secrets.token_hex(16)}"


def _jwt(claims: dict[str, Any]) -> str:
    header = {"sv": "0.0.1", "alg": "HS512", "v": "2.0", "kid": str(uuid.uuid4())}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(_SIGNING_KEY, signing_input.encode(), hashlib.sha512).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(kind: str, ttl: timedelta, user: SandboxUser | None) -> dict[str, Any]:
    now = int(timezone.now().timestamp())
    claims: dict[str, Any] = {
        "ver": 10,
        "auid": secrets.token_hex(16),
        "iss": f"zm:cid:{settings.PLATFORM_APPS['zoom']['client_id']}",
        "aud": "https://oauth.zoom.us",
        "nbf": now,
        "iat": now,
        "exp": now + int(ttl.total_seconds()),
        "tokenType": kind,
        "jti": str(uuid.uuid4()),
    }
    if user is not None:
        claims.update(uid=user.upstream_id, aid=user.workspace_id)
    return claims


def issue_user_grant(user: SandboxUser, scopes: list[str] | None = None) -> dict[str, Any]:
    """A new access + refresh token pair for ``user``: the token endpoint's success answer."""
    scopes = scopes or USER_SCOPES
    meta = {"scopes": scopes}
    access = core.issue(
        PLATFORM,
        SandboxToken.Kind.ACCESS,
        user,
        _jwt(_claims("access_token", ACCESS_TTL, user)),
        ttl=ACCESS_TTL,
        meta=meta,
    )
    refresh = core.issue(
        PLATFORM,
        SandboxToken.Kind.REFRESH,
        user,
        _jwt(_claims("refresh_token", REFRESH_TTL, user)),
        ttl=REFRESH_TTL,
        meta=meta,
    )
    return {
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": refresh,
        "expires_in": EXPIRES_IN,
        "scope": " ".join(scopes),
    }


def void_previous_grants(user: SandboxUser) -> None:
    """What a new authorization does on Zoom: only the newest grant stays valid (4741)."""
    SandboxToken.objects.filter(
        platform=PLATFORM,
        user=user,
        kind__in=[SandboxToken.Kind.ACCESS, SandboxToken.Kind.REFRESH],
        revoked=False,
    ).update(revoked=True, meta={"revoked_by": REVOKED_BY_REAUTHORIZATION})


def revoke_all(user: SandboxUser) -> int:
    """What deauthorizing the app does: every token of the user stops working."""
    return SandboxToken.objects.filter(
        Q(kind=SandboxToken.Kind.ACCESS) | Q(kind=SandboxToken.Kind.REFRESH),
        platform=PLATFORM,
        user=user,
    ).update(revoked=True)


def issue_bot_token() -> dict[str, Any]:
    """The chatbot's client-credentials token (no refresh token, as on Zoom)."""
    token = core.issue(
        PLATFORM,
        SandboxToken.Kind.BOT,
        None,
        _jwt(_claims("client_credentials", ACCESS_TTL, None)),
        ttl=ACCESS_TTL,
        meta={"scopes": BOT_SCOPES},
    )
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": EXPIRES_IN,
        "scope": " ".join(BOT_SCOPES),
    }


def issue_code(user: SandboxUser, meta: dict[str, Any]) -> str:
    return core.issue(
        PLATFORM,
        SandboxToken.Kind.CODE,
        user,
        _b64(secrets.token_bytes(24)),
        ttl=CODE_TTL,
        meta=meta,
    )


def pkce_s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


# --- which accounts have the chatbot installed ----------------------------------------------
# Recorded as a BOT row whose "token" is a fixed, non-secret label; it is never a bearer token.
def _installation_label(account_id: str) -> str:
    return f"zoom-chatbot-installation:{account_id}"


def install_chatbot(account_id: str) -> None:
    label = _installation_label(account_id)
    row = core.find(PLATFORM, SandboxToken.Kind.BOT, label)
    if row is None:
        core.issue(
            PLATFORM,
            SandboxToken.Kind.BOT,
            None,
            label,
            meta={"installation": True, "account_id": account_id},
        )
    elif row.revoked:
        SandboxToken.objects.filter(pk=row.pk).update(revoked=False)


def chatbot_installed(account_id: str) -> bool:
    row = core.find(PLATFORM, SandboxToken.Kind.BOT, _installation_label(account_id))
    return row is not None and not row.revoked


def bot_token(value: str | None) -> SandboxToken | None:
    """A usable chatbot token (installation rows are not tokens)."""
    row = core.find(PLATFORM, SandboxToken.Kind.BOT, value)
    if row is None or row.meta.get("installation") or not core.usable(row):
        return None
    return row
