"""The one HTTP path for requests-based adapters: bounded timeouts, sandbox routing, errors.

Production talks to the real hosts. With ``SANDBOX_ENABLED`` every real base URL below is
rewritten to the sandbox (``SANDBOX_URL/<platform>/<name>/…``), so the adapters' code always
names the real endpoints and the same code path runs in the tests, the demo and production.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from platforms import grants
from platforms.errors import Evidence, PlatformError, parse_retry_after
from tokens.situations import Situation

# platform -> name -> real base URL. The sandbox serves each under SANDBOX_URL/<platform>/<name>/.
REAL_BASES: dict[str, dict[str, str]] = {
    "slack": {"api": "https://slack.com/api", "oauth": "https://slack.com/oauth"},
    "teams": {
        "login": "https://login.microsoftonline.com",
        "graph": "https://graph.microsoft.com",
        "connector": "https://smba.trafficmanager.net",
    },
    "zoom": {"oauth": "https://zoom.us/oauth", "api": "https://api.zoom.us"},
    "webex": {"api": "https://webexapis.com/v1"},
}


def base_url(platform: str, name: str) -> str:
    """Where ``name`` of ``platform`` lives now: the real host, or the sandbox."""
    if settings.SANDBOX_ENABLED:
        return f"{settings.SANDBOX_URL}/{platform}/{name}"
    return REAL_BASES[platform][name]


class _RewriteAdapter(HTTPAdapter):
    """Sends requests for a real host to the sandbox instead (sandbox mode only)."""

    def __init__(self, real: str, sandbox: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.real, self.sandbox = real, sandbox

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        if request.url and request.url.startswith(self.real):
            request.url = self.sandbox + request.url[len(self.real) :]
        return super().send(request, **kw)


def session_for(platform: str) -> requests.Session:
    """A requests session for one platform; in sandbox mode it routes real hosts to the sandbox."""
    session = requests.Session()
    # The machine's CA-bundle variables must not override what we verify against.
    session.trust_env = False
    # One kept-alive connection per checking thread (the health engine shares a session between
    # its threads); requests' default pool of 10 would open and drop connections beyond that.
    pool = int(getattr(settings, "PLATFORM_HTTP_POOL_SIZE", 32))
    session.mount("https://", HTTPAdapter(pool_maxsize=pool))
    session.mount("http://", HTTPAdapter(pool_maxsize=pool))
    # A refresh the platform honoured must never be lost: the engine sees the raw 2xx answers of
    # token calls while a redemption runs (``platforms.grants.witness``), whatever the adapter
    # makes of them.
    session.hooks["response"].append(grants.requests_hook)
    if settings.SANDBOX_ENABLED:
        for name, real in REAL_BASES[platform].items():
            sandbox = f"{settings.SANDBOX_URL}/{platform}/{name}"
            session.mount(real, _RewriteAdapter(real, sandbox, pool_maxsize=pool))
    return session


def request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    platform: str,
    endpoint: str,
    **kw: Any,
) -> requests.Response:
    """One HTTP call with a timeout; network trouble, 429 and 5xx become transient errors.

    Other statuses are returned for the platform to read its own error format.
    """
    kw.setdefault("timeout", settings.PLATFORM_HTTP_TIMEOUT)
    started = time.monotonic()
    try:
        response = session.request(method, url, **kw)
    except requests.Timeout as exc:
        raise transient(
            platform, endpoint, f"timeout after {time.monotonic() - started:.1f}s"
        ) from exc
    except requests.RequestException as exc:
        raise transient(platform, endpoint, f"network error: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise transient(
            platform,
            endpoint,
            f"HTTP {response.status_code}",
            status=response.status_code,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            raw=response.text,
        )
    return response


def transient(
    platform: str,
    endpoint: str,
    description: str,
    *,
    status: int | None = None,
    retry_after: float | None = None,
    raw: str = "",
) -> PlatformError:
    return PlatformError(
        Situation.TRANSIENT,
        Evidence(
            platform=platform,
            endpoint=endpoint,
            http_status=status,
            error="transient",
            description=description,
            retry_after=retry_after,
            raw=Evidence.clip(raw),
        ),
    )
