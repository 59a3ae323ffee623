"""The one HTTP path to Slack: slack-sdk's WebClient, bounded, with every failure classified.

slack-sdk builds each request and reads each answer (``SlackResponse``, ``SlackApiError`` for
``ok: false`` and for non-200 answers). Its synchronous client sends through ``urllib``, which
opens a new TCP (and TLS) connection per call and has no pool; ``PooledWebClient`` hands the
bytes slack-sdk built to the project's kept-alive ``requests`` session instead
(``platforms.http.session_for``) and gives slack-sdk back what it expects, so everything above
the socket stays slack-sdk's. Every failure leaves here as a ``PlatformError`` with the evidence
an admin needs (Slack's code, HTTP status, ``x-slack-req-id``, the ``Date`` Slack answered at,
Retry-After, the clipped and redacted raw body).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.error import URLError
from urllib.request import Request

import requests
from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from platforms.errors import Evidence, PlatformError, parse_retry_after
from platforms.http import base_url, session_for, transient
from platforms.slack.errors import MEANINGS, SLACK_ERRORS
from tokens.situations import Situation

PLATFORM = "slack"
# slack-sdk's own prefix for a 200 whose body is not JSON (``internal_utils``): it puts the
# first 100 characters of the body after it, tokens included, so it is never kept as a code.
NON_JSON_PREFIX = "Received a response in a non-JSON format"

_pool_lock = threading.Lock()
_pool: tuple[tuple[bool, str], requests.Session] | None = None


def _session() -> requests.Session:
    """One kept-alive session for every Slack call in this process (rebuilt if the sandbox
    moved, as the tests' live servers do)."""
    global _pool
    key = (bool(settings.SANDBOX_ENABLED), str(settings.SANDBOX_URL))
    with _pool_lock:
        if _pool is None or _pool[0] != key:
            _pool = (key, session_for(PLATFORM))
        return _pool[1]


class PooledWebClient(WebClient):
    """slack-sdk's WebClient over a pooled, kept-alive ``requests`` session.

    slack-sdk (3.47, pinned) funnels every Web API call through
    ``BaseClient._perform_urllib_http_request_internal(url, req)`` with the finished
    ``urllib.request.Request`` and expects ``{"status", "headers", "body"}`` back
    (slack_sdk/web/base_client.py, ``_perform_urllib_http_request_internal``): the one place
    where urllib opens its connection. Replacing only that keeps slack-sdk's request building,
    JSON decoding, ``SlackResponse.validate()`` and ``SlackApiError`` as they are. Non-2xx
    answers come back as values here (urllib raised ``HTTPError`` for them; slack-sdk turns
    both into the same dict), and redirects are not followed (Slack's Web API answers none).
    """

    last_body: str = ""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        answer = _session().request(
            req.get_method(),
            url,
            data=req.data,
            headers={name: str(value) for name, value in req.header_items()},
            timeout=self.timeout,
            allow_redirects=False,
        )
        body = answer.content.decode(answer.encoding or "utf-8", "replace")
        # slack-sdk keeps only 100 characters of a body that is not JSON; the refresh keeps the
        # whole answer to recover what a cut-off one still holds (oauth.salvage_refresh).
        self.last_body = body
        return {"status": answer.status_code, "headers": dict(answer.headers), "body": body}


def web_client(token: str | None = None) -> WebClient:
    """A WebClient for the real Slack, or the sandbox in sandbox mode.

    ``retry_handlers=[]``: slack-sdk would otherwise retry connection errors on its own; the
    health engine owns retries (with backoff and Retry-After), so one call is one attempt.
    """
    return PooledWebClient(
        token=token,
        base_url=base_url(PLATFORM, "api") + "/",
        timeout=settings.PLATFORM_HTTP_TIMEOUT,
        retry_handlers=[],
    )


def call(endpoint: str, fn: Callable[[], SlackResponse]) -> SlackResponse:
    """Run one Web API call; any failure becomes a classified ``PlatformError``."""
    try:
        return fn()
    except SlackApiError as exc:
        raise classify_response(endpoint, exc.response) from None
    except requests.Timeout as exc:
        raise transient(PLATFORM, endpoint, "timeout waiting for Slack") from exc
    except requests.RequestException as exc:
        raise transient(PLATFORM, endpoint, f"network error: {type(exc).__name__}") from exc
    except TimeoutError as exc:
        raise transient(PLATFORM, endpoint, "timeout waiting for Slack") from exc
    except URLError as exc:
        reason = exc.reason
        what = "timeout" if isinstance(reason, TimeoutError) else type(reason).__name__
        raise transient(PLATFORM, endpoint, f"network error: {what}") from exc
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise transient(PLATFORM, endpoint, f"network error: {type(exc).__name__}") from exc
    except SlackClientError as exc:
        # e.g. a body slack-sdk could not read: nothing a person can act on yet.
        raise transient(PLATFORM, endpoint, f"client error: {type(exc).__name__}") from exc


def classify_response(endpoint: str, response: SlackResponse) -> PlatformError:
    data = response.data if isinstance(response.data, dict) else {}
    raw = json.dumps(data) if data else _text(response.data)
    return classify(endpoint, response.status_code, data, response.headers or {}, raw)


def classify(
    endpoint: str,
    status: int | None,
    data: Mapping[str, Any],
    headers: Mapping[str, Any],
    raw: str,
) -> PlatformError:
    """Slack's answer -> situation, on the ``error`` code only (never on message text)."""
    code = error_code(data)
    situation: Situation
    if status is not None and (status == 429 or status >= 500):
        situation = Situation.TRANSIENT
    else:
        situation = SLACK_ERRORS.lookup(code) or Situation.UNKNOWN
    return PlatformError(situation, evidence(endpoint, status, data, headers, raw))


def evidence(
    endpoint: str,
    status: int | None,
    data: Mapping[str, Any],
    headers: Mapping[str, Any],
    raw: str,
) -> Evidence:
    code = error_code(data)
    description = MEANINGS.get(code, "")
    needed, provided = _string(data.get("needed")), _string(data.get("provided"))
    if needed or provided:
        # missing_scope answers name the scopes: exactly what the admin must approve.
        description += f" Needed: {needed}; granted: {provided}."
    metadata = data.get("response_metadata")
    messages = metadata.get("messages") if isinstance(metadata, dict) else None
    if isinstance(messages, list):
        description += " " + "; ".join(_string(m) for m in messages[:5] if _string(m))
    return Evidence(
        platform=PLATFORM,
        endpoint=endpoint,
        http_status=status,
        error=code or (f"http_{status}" if status else "no_answer"),
        error_codes=[code] if code else [],
        description=description.strip() or (f"HTTP {status} from Slack" if status else ""),
        trace_id=str(_header(headers, "x-slack-req-id") or ""),
        timestamp=str(_header(headers, "date") or ""),
        retry_after=parse_retry_after(_header(headers, "retry-after")),
        raw=Evidence.clip(raw),
    )


def error_code(data: Mapping[str, Any]) -> str:
    """Slack's ``error`` code; "" when the field is missing or not a string.

    Bodies also come from the relay, so every field is type-checked rather than trusted.
    A 200 that was not JSON reads ``non_json_answer`` (slack-sdk's own message quotes the body).
    """
    code = _string(data.get("error"))
    return "non_json_answer" if code.startswith(NON_JSON_PREFIX) else code


def _string(value: Any, limit: int = 500) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            # aiohttp-style multi-value headers arrive as lists.
            return value[0] if isinstance(value, list | tuple) and value else value
    return None


def _text(body: Any) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body or "")
