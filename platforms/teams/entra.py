"""Entra ID through msal: one fresh application object per call, every failure classified.

Why a fresh ``ConfidentialClientApplication`` each time: msal caches identical HTTP 400 answers
for 60 s per application object, so a shared object would answer a repeated check from memory
(an admin's fix would look unfixed for a minute). The authority is always the REAL
``https://login.microsoftonline.com/<tenant>`` (msal insists on https); ``platforms.http``
routes it to the sandbox in sandbox mode.

msal hands back Entra's JSON unchanged, raises on HTTP 5xx and lets network errors through. The
HTTP client below remembers the last answer, so the evidence always carries what Entra really
said: status, AADSTS codes, sub-error, trace and correlation ids, Entra's timestamp, Retry-After.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import msal
import requests
from django.conf import settings

from platforms.errors import Evidence, PlatformError, parse_retry_after
from platforms.http import REAL_BASES, session_for, transient
from platforms.teams.errors import entra_situation
from tokens.situations import Situation

PLATFORM = "teams"
LOGIN = REAL_BASES["teams"]["login"]
# Delegated Graph permissions Mio asks for; msal adds openid, profile and offline_access itself.
USER_SCOPES = ["User.Read"]
BOT_SCOPES = ["https://api.botframework.com/.default"]
BOT_TENANT = "botframework.com"  # multi-tenant bots; a single-tenant bot uses its own tenant
# "CP1": Mio can answer Continuous Access Evaluation claims challenges, so Entra issues
# CAE-enabled tokens and Graph revokes them within minutes of a critical event.
CLIENT_CAPABILITIES = ["CP1"]
DISCOVERY_TTL = 3600.0  # seconds; msal itself would keep it a day on a long-lived app
# An AADSTS number: ASCII digits only ("²".isdigit() is True), and short.
_AADSTS = re.compile(r"[0-9]{1,10}")
MAX_CODES = 20


@dataclass
class _Cached:
    """A discovery answer kept in memory (what msal reads of a response)."""

    status_code: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def raise_for_status(self) -> None:
        return None


_discovery: dict[tuple[str, str], tuple[float, _Cached]] = {}
_discovery_lock = threading.Lock()


def forget_discovery() -> None:
    """Drop the cached discovery documents (an operator changed the cloud; tests)."""
    with _discovery_lock:
        _discovery.clear()


class EntraHttp:
    """The ``http_client`` msal calls: bounded timeouts, sandbox routing, a memory of the answer.

    OpenID discovery documents are cached per process (they name endpoints, never user data),
    so a check costs one token request instead of two.
    """

    def __init__(self) -> None:
        self.session = session_for(PLATFORM)
        self.timeout = settings.PLATFORM_HTTP_TIMEOUT
        self.last: requests.Response | _Cached | None = None
        self.last_endpoint = "token"

    def get(self, url: str, **kw: Any) -> requests.Response | _Cached:
        key = (settings.SANDBOX_URL if settings.SANDBOX_ENABLED else "", url)
        discovery = url.endswith("/.well-known/openid-configuration")
        if discovery:
            with _discovery_lock:
                hit = _discovery.get(key)
            if hit and hit[0] > time.monotonic():
                self.last = hit[1]
                return hit[1]
        kw.setdefault("timeout", self.timeout)
        self.last_endpoint = "discovery" if discovery else "token"
        response = self.session.get(url, **kw)
        self.last = response
        if discovery and response.status_code == 200:
            cached = _Cached(200, response.text, dict(response.headers))
            with _discovery_lock:
                _discovery[key] = (time.monotonic() + DISCOVERY_TTL, cached)
        return response

    def post(self, url: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", self.timeout)
        self.last_endpoint = "token"
        response = self.session.post(url, **kw)
        self.last = response
        return response

    def close(self) -> None:
        self.session.close()


def authority(tenant: str) -> str:
    return f"{LOGIN}/{tenant or 'organizations'}"


def application(
    tenant: str, http: EntraHttp, *, client_id: str = "", secret: str = ""
) -> msal.ConfidentialClientApplication:
    """A new msal application for one call (see the module docstring for why)."""
    app = settings.PLATFORM_APPS[PLATFORM]
    return msal.ConfidentialClientApplication(
        client_id or app["client_id"],
        client_credential=secret or app["client_secret"],
        authority=authority(tenant),
        http_client=http,
        instance_discovery=False,
        client_capabilities=CLIENT_CAPABILITIES,
        http_cache={},
    )


def claims_parameter(claims_challenge: str | None) -> str:
    """The ``claims`` request parameter: the CAE challenge merged with Mio's capabilities.

    msal only merges them on its interactive and silent paths; the refresh-token path takes the
    parameter as request data.
    """
    merged: dict[str, Any] = json.loads(claims_challenge) if claims_challenge else {}
    merged.setdefault("access_token", {}).update(xms_cc={"values": CLIENT_CAPABILITIES})
    return json.dumps(merged, separators=(",", ":"))


def call(http: EntraHttp, fn: Any, *, endpoint: str = "token") -> dict[str, Any]:
    """Run one msal call; return Entra's success JSON or raise a classified ``PlatformError``."""
    try:
        result = fn()
    except requests.Timeout as exc:
        raise transient(
            PLATFORM, http.last_endpoint or endpoint, "timeout talking to Entra"
        ) from exc
    except requests.RequestException as exc:
        raise transient(
            PLATFORM, http.last_endpoint or endpoint, f"network error: {type(exc).__name__}"
        ) from exc
    except (msal.exceptions.MsalServiceError, RuntimeError, ValueError) as exc:
        # 5xx (msal raises), a discovery 4xx (ValueError), a body that is not JSON.
        if http.last is not None and getattr(http.last, "status_code", 200) >= 400:
            raise from_response(http.last, http.last_endpoint or endpoint) from exc
        raise PlatformError(
            Situation.UNKNOWN,
            Evidence(platform=PLATFORM, endpoint=endpoint, error=type(exc).__name__),
        ) from exc
    last = http.last
    if last is not None and (last.status_code == 429 or last.status_code >= 500):
        raise from_response(last, endpoint)
    if not isinstance(result, dict) or "error" in result:
        if last is not None and last.status_code >= 400:
            raise from_response(last, endpoint)
        raise from_body(result if isinstance(result, dict) else {}, endpoint, status=None, raw="")
    return result


def from_response(response: requests.Response | _Cached, endpoint: str) -> PlatformError:
    status = response.status_code
    headers = response.headers or {}
    retry_after = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
    try:
        body = json.loads(response.text or "{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = from_body(body, endpoint, status=status, raw=response.text or "")
    error.evidence.retry_after = retry_after
    if not error.evidence.correlation_id:
        error.evidence.correlation_id = str(headers.get("client-request-id") or "")
    if not error.evidence.trace_id:
        error.evidence.trace_id = str(headers.get("x-ms-request-id") or "")
    if status == 429 or status >= 500:
        error.situation = Situation.TRANSIENT
    return error


def from_body(
    body: dict[str, Any], endpoint: str, *, status: int | None, raw: str
) -> PlatformError:
    """Entra's error JSON -> a classified error with the evidence admins search the logs by.

    ``body`` may come from a relay as well as from Entra, so every field is type-checked: a
    field of an unexpected shape counts as absent (the raw body keeps it as evidence).
    """
    codes = aadsts_codes(body.get("error_codes"))
    suberror = text(body.get("suberror"))
    evidence = Evidence(
        platform=PLATFORM,
        endpoint=endpoint,
        http_status=status,
        error=text(body.get("error")),
        error_codes=codes,
        suberror=suberror,
        description=text(body.get("error_description"), 1000),
        correlation_id=text(body.get("correlation_id")),
        trace_id=text(body.get("trace_id")),
        timestamp=text(body.get("timestamp")),
        raw=Evidence.clip(raw or json.dumps(body, default=str)),
    )
    return PlatformError(entra_situation(codes, suberror), evidence)


def aadsts_codes(value: Any) -> list[str]:
    """The AADSTS numbers of an ``error_codes`` field, whatever JSON shape it arrived in.

    Entra sends a list of integers. A lone number (``50076`` or ``"70000"``) is taken as one
    code, never split into characters; anything else that is not a number is skipped.
    """
    items = value if isinstance(value, list) else [value]
    codes = []
    for item in items[:MAX_CODES]:
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item < 10**10:
            codes.append(str(item))
        elif isinstance(item, str) and _AADSTS.fullmatch(item):
            codes.append(item)
    return codes


def text(value: Any, limit: int = 200) -> str:
    """A string field of an error body, clipped; "" for any other JSON shape (numbers as text)."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        # A huge int makes str() raise (Python's digit limit); NaN and infinity say nothing.
        return str(value)[:limit] if abs(value) < 1e18 else ""
    return ""


def redeem_refresh_token(
    tenant: str, refresh_token: str, *, claims_challenge: str | None = None
) -> dict[str, Any]:
    """Redeem a user's refresh token at ``/<tenant>/oauth2/v2.0/token``."""
    http = EntraHttp()
    try:
        data = {"claims": claims_parameter(claims_challenge)}
        return call(
            http,
            lambda: application(tenant, http).acquire_token_by_refresh_token(
                refresh_token, scopes=USER_SCOPES, data=data
            ),
        )
    finally:
        http.close()


def bot_tenant() -> str:
    """Where the bot's token comes from: the Azure Bot's own Entra tenant for a single-tenant
    bot (``TEAMS_BOT_TENANT_ID``; Azure creates no new multi-tenant bots since July 2025), else
    ``botframework.com``. https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication
    """
    return str(settings.PLATFORM_APPS[PLATFORM].get("bot_tenant_id") or "").strip() or BOT_TENANT


def bot_token() -> dict[str, Any]:
    """The Mio bot's Bot Framework token (client credentials in ``bot_tenant()``).

    Any permanent failure here is Mio's own registration (bot app id or secret), whatever the
    AADSTS code says, so the caller can tell the operator rather than a customer's admin.
    """
    app = settings.PLATFORM_APPS[PLATFORM]
    http = EntraHttp()
    try:
        return call(
            http,
            lambda: application(
                bot_tenant(), http, client_id=app["bot_app_id"], secret=app["bot_app_secret"]
            ).acquire_token_for_client(scopes=BOT_SCOPES),
            endpoint="bot_token",
        )
    except PlatformError as err:
        if not err.transient:
            err.situation = Situation.OPERATOR_CONFIG
        raise
    finally:
        http.close()
