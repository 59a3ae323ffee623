"""Webex: integration OAuth (PKCE), ``GET /v1/people/me`` as the probe, bot messages with cards.

Facts this adapter rests on (https://developer.webex.com/docs/integrations,
https://developer.webex.com/docs/login-with-webex):
- authorize at ``https://webexapis.com/v1/authorize`` (authorization code, with PKCE S256);
- ``POST https://webexapis.com/v1/access_token`` with form fields ``grant_type``, ``client_id``,
  ``client_secret`` and ``code`` + ``redirect_uri`` (+ ``code_verifier``) or ``refresh_token``;
- access tokens live 14 days, refresh tokens 90 days; a refresh token in regular use stays valid
  (each refresh answers a fresh ``refresh_token_expires_in``), so refresh tokens do not rotate;
- Webex pushes no revocation event: the scheduled probe is how a broken grant is found.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.utils import timezone

from platforms import http
from platforms.base import Identity, OAuthStart, PlatformAdapter, SendResult, TokenGrant
from platforms.errors import Evidence, PlatformError
from platforms.messages import Message
from platforms.webex import cards
from platforms.webex.errors import WEBEX_ERRORS, classify, evidence, parse_body
from tokens.secret import reveal
from tokens.situations import Situation

if TYPE_CHECKING:
    from tokens.models import Credential, Installation, PlatformAccount

API = http.REAL_BASES["webex"]["api"]
# How far back ``find_sent`` must see when the caller names no start.
LOOKUP_WINDOW = timedelta(hours=24)
# What Mio asks for: who the user is, and relaying their messages (kms decrypts content).
SCOPES = [
    "spark:people_read",
    "spark:messages_read",
    "spark:messages_write",
    "spark:rooms_read",
    "spark:kms",
]


class WebexAdapter(PlatformAdapter):
    key: ClassVar[str] = "webex"
    label: ClassVar[str] = "Webex"
    errors = WEBEX_ERRORS
    refresh_idle_limit: ClassVar[timedelta | None] = timedelta(days=90)
    rotating_refresh_tokens: ClassVar[bool] = False
    refresh_on_every_check: ClassVar[bool] = False

    def __init__(self) -> None:
        self._session: requests.Session | None = None
        self._session_key: tuple[bool, str] | None = None
        # Hashes of access tokens this adapter has just been given by the token endpoint: a 401
        # for one of those cannot be expiry, the grant itself is unusable.
        self._minted: set[str] = set()
        self._lock = threading.Lock()

    # --- the token endpoint --------------------------------------------------------------------
    def redeem_refresh_token(self, credential: Credential, refresh_token: str) -> TokenGrant:
        response = self._call(
            "POST",
            "/access_token",
            "token",
            data={
                "grant_type": "refresh_token",
                "client_id": self._app("client_id"),
                "client_secret": self._app("client_secret"),
                "refresh_token": refresh_token,
            },
        )
        if response.status_code != 200:
            raise self._error("token", response, credential=credential)
        return self._grant(response)

    def _grant(self, response: requests.Response, scopes: list[str] | None = None) -> TokenGrant:
        body = parse_body(response.text)
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            found = evidence("token", response.status_code, response.text, response.headers)
            found.error = "no_access_token"
            found.description = found.description or "The token endpoint answered no token."
            raise PlatformError(Situation.UNKNOWN, found)
        self._remember(access_token)
        scope = body.get("scope")
        return TokenGrant(
            access_token=access_token,
            refresh_token=_str(body.get("refresh_token")) or None,
            expires_in=_int(body.get("expires_in")),
            refresh_expires_in=_int(body.get("refresh_token_expires_in")),
            scopes=scope.split() if isinstance(scope, str) and scope else list(scopes or []),
        )

    # --- the probe --------------------------------------------------------------------------------
    def probe(self, credential: Credential | None, access_token: str) -> Identity:
        response = self._call(
            "GET", "/people/me", "probe", headers={"Authorization": f"Bearer {access_token}"}
        )
        fresh = self._forget(access_token)
        if response.status_code != 200:
            error = self._error("probe", response)
            if error.situation == Situation.ACCESS_TOKEN_EXPIRED and fresh:
                # A token minted moments ago is refused: refreshing again would not help.
                raise PlatformError(Situation.GRANT_REVOKED, error.evidence)
            raise error
        body = parse_body(response.text)
        person_id = _str(body.get("id"))
        if not person_id:
            raise PlatformError(
                Situation.UNKNOWN,
                Evidence(
                    platform=self.key,
                    endpoint="probe",
                    http_status=response.status_code,
                    error="no_person_id",
                    description="GET /v1/people/me answered without a person id.",
                    raw=Evidence.clip(response.text),
                ),
            )
        emails = body.get("emails")
        email = emails[0] if isinstance(emails, list) and emails else ""
        return Identity(
            upstream_user_id=person_id,
            workspace_id=_str(body.get("orgId")),
            email=email if isinstance(email, str) else "",
        )

    # --- messages -----------------------------------------------------------------------------
    def render(self, message: Message) -> dict[str, Any]:
        return cards.payload(message)

    def send(
        self, installation: Installation, account: PlatformAccount, message: Message
    ) -> SendResult:
        recipient = account.email or account.person.email
        headers = {"Authorization": f"Bearer {self._bot_token(installation, 'send')}"}
        if message.idempotency_key:
            # Webex keeps a client TrackingID with the request; a retry carries the same one.
            headers["TrackingID"] = (
                "MIO_" + re.sub(r"[^A-Za-z0-9._:-]", "-", message.idempotency_key)[:100]
            )
        response = self._call(
            "POST",
            "/messages",
            "send",
            json={"toPersonEmail": recipient, **self.render(message)},
            headers=headers,
        )
        if response.status_code != 200:
            raise self._error("send", response)
        body = parse_body(response.text)
        return SendResult(message_id=_str(body.get("id")), conversation_id=_str(body.get("roomId")))

    def find_sent(
        self,
        installation: Installation | None,
        account: PlatformAccount,
        key: str,
        *,
        since: datetime | None = None,
    ) -> bool:
        """Whether the bot's 1:1 room with ``account`` holds a Mio card carrying ``key``.

        ``GET /v1/messages/direct?personEmail=`` (the address ``send`` writes to) lists that
        room's messages newest first, each with its card attachments; the key is the card
        header's element id (``cards.idempotency_key_of``). The endpoint takes no paging
        parameters; should Webex split the answer (a ``Link: rel="next"``), the first page
        must reach back past ``since`` (default: the last ``LOOKUP_WINDOW``), else the answer
        is "cannot tell". Raises ``PlatformError``: transient when Webex cannot answer now,
        permanent when it cannot tell.
        """
        response = self._call(
            "GET",
            "/messages/direct",
            "lookup",
            params={"personEmail": account.email or account.person.email},
            headers={"Authorization": f"Bearer {self._bot_token(installation, 'lookup')}"},
        )
        if response.status_code != 200:
            raise self._error("lookup", response)
        items = parse_body(response.text).get("items")
        if not isinstance(items, list):
            found = evidence("lookup", response.status_code, response.text, response.headers)
            found.error, found.description = "no_items", "The direct messages answer has no list."
            raise PlatformError(Situation.UNKNOWN, found)
        messages = [item for item in items if isinstance(item, dict)]
        if any(cards.idempotency_key_of(item) == key for item in messages):
            return True
        if "next" not in response.links:
            return False
        start = since or timezone.now() - LOOKUP_WINDOW
        times = [_when(item.get("created")) for item in messages]
        oldest = min((t for t in times if t is not None), default=None)
        if oldest is not None and oldest < start:
            return False  # the page reaches back past the send: it would be on it
        found = evidence("lookup", response.status_code, "", response.headers)
        found.error = "lookup_incomplete"
        found.description = f"Webex split the direct messages; the first page ends after {start}."
        raise PlatformError(Situation.UNKNOWN, found)

    # --- OAuth ----------------------------------------------------------------------------------
    def begin_oauth(self, *, redirect_uri: str, login_hint: str = "") -> OAuthStart:
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 wants 43-128
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        params = {
            "client_id": self._app("client_id"),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": " ".join(SCOPES),
            "state": state,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
        if login_hint:
            params["login_hint"] = login_hint
        # The browser goes to the real host, or to the sandbox's consent page in sandbox mode.
        url = f"{http.base_url(self.key, 'api')}/authorize?{urlencode(params, quote_via=quote)}"
        flow = {
            "state": state,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "scopes": SCOPES,
        }
        return OAuthStart(url=url, flow=flow)

    def finish_oauth(
        self, flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str
    ) -> TokenGrant:
        expected, got = str(flow.get("state") or ""), str(params.get("state") or "")
        if not expected or not got or not hmac.compare_digest(expected, got):
            raise ValueError("the OAuth state does not match this sign-in; start again")
        if flow.get("redirect_uri") and flow["redirect_uri"] != redirect_uri:
            raise ValueError("the redirect_uri differs from the one this sign-in started with")
        if params.get("error"):
            answer = {k: v for k, v in params.items() if k in ("error", "error_description")}
            raise PlatformError(
                classify("authorize", None, answer),
                evidence("authorize", None, json.dumps(answer)),
            )
        code = params.get("code")
        if not code:
            raise ValueError("the OAuth answer carries no authorization code")
        response = self._call(
            "POST",
            "/access_token",
            "token",
            data={
                "grant_type": "authorization_code",
                "client_id": self._app("client_id"),
                "client_secret": self._app("client_secret"),
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": str(flow.get("code_verifier") or ""),
            },
        )
        if response.status_code != 200:
            raise self._error("token", response)
        grant = self._grant(response, scopes=list(flow.get("scopes") or SCOPES))
        # The token answer names nobody: ask Webex whose token it is.
        identity = self.probe(None, grant.access_token)
        grant.upstream_user_id = identity.upstream_user_id
        grant.workspace_id = identity.workspace_id
        grant.email = identity.email
        return grant

    # --- on-use detection -----------------------------------------------------------------------
    def classify_relay_error(self, status: int | None, body: Any) -> PlatformError:
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        text = body if isinstance(body, str) else json.dumps(body, default=str)
        return PlatformError(
            classify("relay", status, parse_body(text)), evidence("relay", status, text)
        )

    # --- plumbing -------------------------------------------------------------------------------
    def _call(self, method: str, path: str, endpoint: str, **kw: Any) -> requests.Response:
        kw.setdefault("headers", {}).setdefault("Accept", "application/json")
        return http.request(
            self._http(), method, API + path, platform=self.key, endpoint=endpoint, **kw
        )

    def _http(self) -> requests.Session:
        # One pooled session per adapter, rebuilt if the sandbox moved (tests' live servers).
        key = (bool(settings.SANDBOX_ENABLED), str(settings.SANDBOX_URL))
        with self._lock:
            if self._session is None or self._session_key != key:
                self._session, self._session_key = http.session_for(self.key), key
            return self._session

    def _error(
        self, endpoint: str, response: requests.Response, credential: Credential | None = None
    ) -> PlatformError:
        situation = classify(endpoint, response.status_code, parse_body(response.text))
        found = evidence(endpoint, response.status_code, response.text, response.headers)
        if (
            situation == Situation.GRANT_REVOKED
            and found.error == "invalid_grant"
            and credential is not None
            and self._idle_past_limit(credential)
        ):
            # Webex answers invalid_grant alike for a revoked and an expired refresh token;
            # our own record says which: this one idled past its 90-day lifetime.
            situation = Situation.REFRESH_TOKEN_INACTIVE
        return PlatformError(situation, found)

    def _idle_past_limit(self, credential: Credential) -> bool:
        now = timezone.now()
        if credential.refresh_token_expires_at and credential.refresh_token_expires_at <= now:
            return True
        last_used = credential.refresh_token_last_used_at or credential.refresh_token_issued_at
        limit = self.refresh_idle_limit
        return bool(last_used and limit and last_used <= now - limit)

    def _bot_token(self, installation: Installation | None, endpoint: str) -> str:
        bot_token = ""
        if installation is not None and installation.credential_id:
            bot_token = reveal(installation.credential.access_token) or ""
        bot_token = bot_token or self._app("bot_token")
        if installation is None or not installation.is_active or not bot_token:
            raise PlatformError(
                Situation.APP_UNINSTALLED,
                Evidence(
                    platform=self.key,
                    endpoint=endpoint,
                    error="no_bot",
                    description="The Mio bot is not installed (no active installation token).",
                ),
            )
        return bot_token

    def _app(self, name: str) -> str:
        return str(settings.PLATFORM_APPS["webex"].get(name) or "")

    def _remember(self, access_token: str) -> None:
        with self._lock:
            if len(self._minted) > 10_000:  # a long-lived adapter never grows without bound
                self._minted.clear()
            self._minted.add(_digest(access_token))

    def _forget(self, access_token: str) -> bool:
        digest = _digest(access_token)
        with self._lock:
            fresh = digest in self._minted
            self._minted.discard(digest)
        return fresh


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _when(value: Any) -> datetime | None:
    """Webex's ISO 8601 ``created`` ("2015-10-18T14:26:16.000Z"), or None."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
