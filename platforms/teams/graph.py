"""Microsoft Graph ``GET /v1.0/me``: the cheap identity probe, and its claims challenges.

Graph answers an expired token with 401 ``InvalidAuthenticationToken``. With Continuous Access
Evaluation (Mio declares capability ``CP1``), Graph also answers 401 with
``WWW-Authenticate: Bearer ..., error="insufficient_claims", claims="<base64 JSON>"`` when a
critical event (user disabled or deleted, password reset, sessions revoked, a location policy)
happened after the token was issued. That is not an expired token: the claims must go to Entra
with a token request, and Entra's answer says what happened.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import requests

from platforms.base import Identity
from platforms.errors import Evidence, PlatformError
from platforms.http import REAL_BASES, request, session_for
from platforms.teams.errors import TEAMS_ERRORS
from tokens.situations import Situation

PLATFORM = "teams"
ME = f"{REAL_BASES['teams']['graph']}/v1.0/me"
_PARAM = re.compile(r'([A-Za-z_]+)="([^"]*)"')


class ClaimsChallenge(Exception):
    """Graph asked for a token with these claims (decoded JSON text)."""

    def __init__(self, claims: str, evidence: Evidence) -> None:
        super().__init__("Graph answered with a claims challenge")
        self.claims = claims
        self.evidence = evidence


def me(access_token: str) -> Identity:
    """Who the access token belongs to; raise ``PlatformError`` or ``ClaimsChallenge``."""
    session = session_for(PLATFORM)
    try:
        response = request(
            session,
            "GET",
            ME,
            platform=PLATFORM,
            endpoint="probe",
            params={"$select": "id,displayName,mail,userPrincipalName"},
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
    finally:
        session.close()
    if response.status_code == 200:
        data = _json(response)
        if not data.get("id"):
            raise PlatformError(Situation.UNKNOWN, evidence(response, "probe", data))
        return Identity(
            upstream_user_id=str(data["id"]),
            email=str(data.get("mail") or data.get("userPrincipalName") or ""),
        )
    data = _json(response)
    found = evidence(response, "probe", data)
    challenge = claims_challenge(response.headers.get("WWW-Authenticate", ""))
    if response.status_code == 401 and challenge is not None:
        raise ClaimsChallenge(challenge, found)
    raise classify(response.status_code, data, found)


def claims_challenge(header: str) -> str | None:
    """The decoded ``claims`` of an ``insufficient_claims`` challenge, or None."""
    params = dict(_PARAM.findall(header or ""))
    if params.get("error") != "insufficient_claims" or not params.get("claims"):
        return None
    raw = params["claims"]
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_").decode()
        json.loads(decoded)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded


def classify(status: int | None, data: dict[str, Any], found: Evidence) -> PlatformError:
    code = found.error
    situation = TEAMS_ERRORS.lookup(f"graph:{code}") if code else None
    if situation is None:
        # No code we know: an unexplained 401 is still a token Graph refuses; refresh once.
        situation = Situation.ACCESS_TOKEN_EXPIRED if status == 401 else Situation.UNKNOWN
    return PlatformError(situation, found)


def evidence(response: requests.Response, endpoint: str, data: dict[str, Any]) -> Evidence:
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    inner = error.get("innerError") if isinstance(error.get("innerError"), dict) else {}
    return Evidence(
        platform=PLATFORM,
        endpoint=endpoint,
        http_status=response.status_code,
        error=str(error.get("code") or ""),
        description=str(error.get("message") or "")[:1000],
        correlation_id=str(
            inner.get("client-request-id") or response.headers.get("client-request-id") or ""
        ),
        trace_id=str(inner.get("request-id") or response.headers.get("request-id") or ""),
        timestamp=str(inner.get("date") or response.headers.get("Date") or ""),
        raw=Evidence.clip(response.text or ""),
    )


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
