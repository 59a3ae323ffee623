"""The one HTTP path to Slack: slack-sdk's WebClient, bounded, with every failure classified.

slack-sdk raises ``SlackApiError`` for ``ok: false`` and for non-200 answers; urllib raises
``TimeoutError`` / ``URLError`` / connection errors below it. All of them leave here as a
``PlatformError`` with the evidence an admin needs (Slack's code, HTTP status, ``x-slack-req-id``,
the ``Date`` Slack answered at, Retry-After, the clipped raw body).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.error import URLError

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from platforms.errors import Evidence, PlatformError, parse_retry_after
from platforms.http import base_url, transient
from platforms.slack.errors import MEANINGS, SLACK_ERRORS
from tokens.situations import Situation

PLATFORM = "slack"


def web_client(token: str | None = None) -> WebClient:
    """A WebClient for the real Slack, or the sandbox in sandbox mode.

    ``retry_handlers=[]``: slack-sdk would otherwise retry connection errors on its own; the
    health engine owns retries (with backoff and Retry-After), so one call is one attempt.
    """
    return WebClient(
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
    """
    return _string(data.get("error"))


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
