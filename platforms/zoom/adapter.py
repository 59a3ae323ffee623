"""Zoom Team Chat: user OAuth tokens checked with ``GET /v2/users/me``, a chatbot that sends.

* User grants come from Zoom's authorization-code flow (with PKCE S256). Access tokens last an
  hour; every refresh returns a new refresh token and voids the old one, so the base class
  stores it the moment it arrives. A refresh token dies 90 days after it was issued.
* The Mio chatbot authenticates with the client-credentials grant (no refresh token) and posts
  message cards to ``POST /v2/im/chat/messages``.
* Every call goes through ``platforms.http`` (requests), at Zoom's real URLs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone

from platforms.base import (
    EXPIRY_MARGIN,
    CheckOutcome,
    Identity,
    OAuthStart,
    PlatformAdapter,
    SendResult,
    TokenGrant,
)
from platforms.errors import PlatformError
from platforms.http import REAL_BASES, base_url, request, session_for
from platforms.messages import Message
from platforms.zoom import chatbot
from platforms.zoom.errors import (
    EXPIRED_REFRESH_TOKEN,
    REFRESH_TOKEN_LIFETIME,
    USER_INACTIVE,
    ZOOM_ERRORS,
    codes_of,
    error_for,
    error_from_response,
    read_body,
)
from tokens.secret import Secret, reveal
from tokens.situations import Situation

if TYPE_CHECKING:
    from tokens.models import Credential, Installation, PlatformAccount

TOKEN_URL = f"{REAL_BASES['zoom']['oauth']}/token"
ME_URL = f"{REAL_BASES['zoom']['api']}/v2/users/me"
MESSAGES_URL = f"{REAL_BASES['zoom']['api']}/v2/im/chat/messages"
# A chat JID as Zoom writes it: ``<local>@<domain>`` (``kdykjnimt4kpd8kkdqt9fq@xmpp.zoom.us``).
_JID = re.compile(r"^[^@\s]{1,128}@[^@\s]{1,128}$")
# Zoom has no idempotency header; it ignores this one, and the sandbox records it so that a
# retried delivery of one logical message is recognisable.
IDEMPOTENCY_HEADER = "X-Mio-Idempotency-Key"


class ZoomAdapter(PlatformAdapter):
    key = "zoom"
    label = "Zoom Team Chat"
    errors = ZOOM_ERRORS
    refresh_idle_limit = REFRESH_TOKEN_LIFETIME
    rotating_refresh_tokens = True
    refresh_on_every_check = False

    def __init__(self) -> None:
        self._http: requests.Session | None = None

    @property
    def http(self) -> requests.Session:
        if self._http is None:
            self._http = session_for(self.key)
        return self._http

    @staticmethod
    def _app() -> dict[str, str]:
        return settings.PLATFORM_APPS["zoom"]

    # --- tokens ------------------------------------------------------------------------------
    def redeem_refresh_token(self, credential: Credential, refresh_token: str) -> TokenGrant:
        payload = self._token_call(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            endpoint="token",
            credential=credential,
            refresh_token=refresh_token,
        )
        return _grant(payload)

    def _token_call(
        self,
        data: dict[str, str],
        *,
        endpoint: str,
        params: dict[str, str] | None = None,
        credential: Credential | None = None,
        refresh_token: str = "",
    ) -> dict[str, Any]:
        """POST to Zoom's token endpoint with HTTP Basic client authentication."""
        app = self._app()
        response = request(
            self.http,
            "POST",
            TOKEN_URL,
            platform=self.key,
            endpoint=endpoint,
            params=params,
            data=data,
            auth=(app["client_id"], app["client_secret"]),
            headers={"Accept": "application/json"},
        )
        payload = read_body(response.text)
        if response.status_code == 200 and isinstance(payload.get("access_token"), str):
            return payload
        derived = []
        numbered, error, _ = codes_of(payload)
        if (
            error == "invalid_grant"
            and not numbered
            and refresh_token
            and _refresh_token_expired(credential, refresh_token)
        ):
            # Zoom answers an expired refresh token like a revoked one; its age tells them apart.
            derived = [EXPIRED_REFRESH_TOKEN]
        raise error_from_response(endpoint, response, derived=derived)

    def _bot_token(self, installation: Installation, *, fresh: bool = False) -> str:
        """The chatbot's client-credentials token, kept (encrypted) on the installation."""
        cached = installation.credential
        if (
            not fresh
            and cached is not None
            and cached.access_token
            and cached.expires_at is not None
            and cached.expires_at > timezone.now() + EXPIRY_MARGIN
        ):
            return reveal(cached.access_token) or ""
        payload = self._token_call(
            {}, endpoint="bot_token", params={"grant_type": "client_credentials"}
        )
        token = payload["access_token"]
        if cached is not None:
            now = timezone.now()
            cached.access_token = Secret(token)
            cached.expires_at = now + timedelta(seconds=int(payload.get("expires_in") or 3599))
            cached.last_refreshed_at = now
            cached.save(
                update_fields=["access_token", "expires_at", "last_refreshed_at", "updated_at"]
            )
        return token

    # --- checks ------------------------------------------------------------------------------
    def check(self, credential: Credential) -> CheckOutcome:
        if credential.kind != "bot":
            return super().check(credential)
        # The chatbot has no refresh token and may not call /users/me: getting a fresh
        # client-credentials token is what proves the app is still enabled and ours.
        started = time.monotonic()
        installation = getattr(credential, "installation", None)
        try:
            if installation is not None:
                self._bot_token(installation, fresh=True)
            else:
                self._token_call(
                    {}, endpoint="bot_token", params={"grant_type": "client_credentials"}
                )
        except PlatformError as err:
            return CheckOutcome(err.situation, err.evidence, latency_ms=_ms_since(started))
        return CheckOutcome(None, None, refreshed=True, latency_ms=_ms_since(started))

    def probe(self, credential: Credential | None, access_token: str) -> Identity:
        response = request(
            self.http,
            "GET",
            ME_URL,
            platform=self.key,
            endpoint="probe",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if response.status_code != 200:
            raise error_from_response("probe", response)
        user = read_body(response.text)
        if not isinstance(user.get("id"), str) or not user["id"]:
            raise error_from_response("probe", response)
        if user.get("status") == "inactive":
            # The token still works but the user was deactivated by an admin.
            raise error_from_response("probe", response, derived=[USER_INACTIVE])
        # The user's chat address is the ``jid`` field of Get User (and of chatbot events): the
        # one Zoom documents for ``to_jid`` (https://devsupport.zoom.us/hc/en-us/articles/
        # 360060332871-How-to-get-a-User-JID-or-Channel-JID, "Method 2"; GET_USER).
        jid = user.get("jid")
        return Identity(
            upstream_user_id=user["id"],
            workspace_id=str(user.get("account_id") or ""),
            email=str(user.get("email") or ""),
            chat_address=jid if isinstance(jid, str) and _JID.match(jid) else "",
        )

    # --- messages ----------------------------------------------------------------------------
    def render(self, message: Message) -> dict[str, Any]:
        return chatbot.render_content(message)

    def send(
        self, installation: Installation, account: PlatformAccount, message: Message
    ) -> SendResult:
        body = chatbot.envelope(
            robot_jid=installation.bot_user_id or self._app()["bot_jid"],
            to_jid=recipient_jid(account),
            account_id=account.workspace_id or installation.workspace_id,
            content=self.render(message),
        )
        extra = {IDEMPOTENCY_HEADER: message.idempotency_key} if message.idempotency_key else {}
        for attempt in (1, 2):
            token = self._bot_token(installation, fresh=attempt == 2)
            response = request(
                self.http,
                "POST",
                MESSAGES_URL,
                platform=self.key,
                endpoint="send",
                json=body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json", **extra},
            )
            if response.status_code in (200, 201):
                return SendResult(message_id=str(read_body(response.text).get("message_id", "")))
            err = error_from_response("send", response)
            if err.situation != Situation.ACCESS_TOKEN_EXPIRED:
                raise err
            if attempt == 2:
                # A brand-new chatbot token refused: nothing a retry can fix.
                raise PlatformError(Situation.UNKNOWN, err.evidence)
        raise AssertionError("unreachable")  # pragma: no cover

    def classify_relay_error(self, status: int | None, body: Any) -> PlatformError:
        return error_for("relay", status=status, body=body)

    # --- OAuth -------------------------------------------------------------------------------
    def begin_oauth(self, *, redirect_uri: str, login_hint: str = "") -> OAuthStart:
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        # No ``scope``: Zoom refuses scopes in the URL; the app's configured scopes apply.
        query = {
            "response_type": "code",
            "client_id": self._app()["client_id"],
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            query["login_hint"] = login_hint
        return OAuthStart(
            url=f"{base_url(self.key, 'oauth')}/authorize?{urlencode(query)}",
            flow={"state": state, "code_verifier": verifier, "redirect_uri": redirect_uri},
        )

    def finish_oauth(
        self, flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str
    ) -> TokenGrant:
        expected, got = str(flow.get("state") or ""), str(params.get("state") or "")
        if not expected or not hmac.compare_digest(expected.encode(), got.encode()):
            raise ValueError("OAuth state mismatch: this answer does not belong to this sign-in")
        if params.get("error"):
            raise error_for(
                "authorize",
                status=None,
                body={"error": params["error"], "reason": params.get("error_description", "")},
            )
        code = params.get("code")
        if not code:
            raise ValueError("the OAuth answer carries no authorization code")
        payload = self._token_call(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": str(flow.get("code_verifier") or ""),
            },
            endpoint="token",
        )
        grant = _grant(payload)
        identity = self.probe(None, grant.access_token)
        grant.upstream_user_id = identity.upstream_user_id
        grant.workspace_id = identity.workspace_id
        grant.email = identity.email
        grant.chat_address = identity.chat_address
        return grant


def recipient_jid(account: PlatformAccount) -> str:
    """Where the chatbot writes to ``account``: the JID Zoom gave for the user.

    Read from ``GET /v2/users/me`` at sign-in, at re-sync and by every healthy check, and kept
    on the account. Only an account no check has read yet falls back to the convention Zoom's
    support article mentions for Get Users (the id, lower-cased, at ``xmpp.zoom.us``).
    """
    return account.chat_address or chatbot.jid_for(account.upstream_user_id)


def _grant(payload: dict[str, Any]) -> TokenGrant:
    scope = payload.get("scope")
    return TokenGrant(
        access_token=payload["access_token"],
        refresh_token=payload.get("refresh_token") or None,
        expires_in=int(payload["expires_in"]) if payload.get("expires_in") else None,
        scopes=scope.split() if isinstance(scope, str) else [],
    )


def _refresh_token_expired(credential: Credential | None, refresh_token: str) -> bool:
    """Whether the refresh token is past its lifetime, by its own ``exp`` or by our records."""
    now = timezone.now()
    exp = _jwt_claims(refresh_token).get("exp")
    if isinstance(exp, int | float):
        return exp < now.timestamp()
    issued = credential.refresh_token_issued_at if credential is not None else None
    return issued is not None and issued + REFRESH_TOKEN_LIFETIME < now


def _jwt_claims(token: str) -> dict[str, Any]:
    """The unverified claims of a JWT-shaped token (Zoom's tokens are JWTs), or {}."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
