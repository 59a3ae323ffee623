"""Webex's error codes -> situations, and reading Webex's error answers into evidence.

Webex answers API errors with an HTTP status and its envelope ``{"message", "errors":
[{"description"}], "trackingId"}`` (the tracking id also comes as a ``TrackingID`` header); its
token endpoint ``POST /v1/access_token`` adds the RFC 6749 §5.2 ``error`` code of its identity
broker. Webex documents statuses, not finer error codes, so the table's keys are:

* the OAuth ``error`` code (``invalid_grant``, ``invalid_client``, …), looked up first;
* ``<endpoint>:<status>`` (``probe:403``, ``send:404``, ``token:403``…) when no code decides.

The identity broker's refusals of a refresh token often reach us wrapped by Webex's API router,
with the OAuth code only inside the text of ``message`` (and of ``errors[].description``)::

    {"message": "POST failed: HTTP/1.1 400 Bad Request (url = https://idbroker.webex.com/idb/
     oauth2/v1/access_token, request/response TrackingId = ROUTER_…, error = 'invalid_grant',
     description = 'The refresh token provided is expired, revoked, malformed, or invalid.')",
     "errors": [{"description": "…same…"}], "trackingId": "ROUTER_…"}

``error_code`` and ``description_of`` read both shapes (``WRAPPED`` below), so a revoked or
expired grant is the user's to re-sync, not an unknown failure for an admin.

What Webex does NOT document (the exact body of a refused refresh for a deactivated user, or for
an integration blocked in Control Hub) follows the sandbox's model below; every row names the
page it rests on. An expired refresh token and a revoked one both answer ``invalid_grant``: the
adapter tells them apart from the credential's own timeline (``refresh_token_inactive``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from requests.structures import CaseInsensitiveDict

from platforms.errors import ErrorRule, ErrorTable, Evidence, parse_retry_after
from tokens.situations import Situation

RFC6749_5_2 = "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2"
RFC6749_AUTHORIZE = "https://datatracker.ietf.org/doc/html/rfc6749#section-4.1.2.1"
INTEGRATIONS = "https://developer.webex.com/docs/integrations"
API_BASICS = "https://developer.webex.com/docs/api/basics"  # "HTTP Response Codes" table
PEOPLE_ME = "https://developer.webex.com/docs/api/v1/people/get-my-own-details"
MESSAGES = "https://developer.webex.com/docs/api/v1/messages/create-a-message"
LIST_DIRECT = "https://developer.webex.com/docs/api/v1/messages/list-direct-messages"
AUTHORIZATIONS = "https://developer.webex.com/docs/api/v1/authorizations"
CONTROL_HUB_INTEGRATIONS = (
    "https://help.webex.com/en-us/article/igy96e/"
    "Configure-User-Access-to-Integrations-in-Cisco-Webex-Control-Hub"
)
# "When deactivated, Webex App users will be signed out from their sessions."
DEACTIVATE_USER = "https://help.webex.com/en-us/article/v5wksr"
RATE_LIMITS = "https://developer.webex.com/blog/rate-limiting-and-the-webex-api"
# The router's wrapper around an upstream refusal, "POST failed: HTTP/1.1 400 Bad Request (url =
# …, request/response TrackingId = …, error = '…')", as Webex's Python SDK prints it in a Cisco
# sample (webexteamssdk ApiError; see platforms/webex/fixtures/token/*.json for the corpus).
WRAPPED = "https://github.com/webex/webex-js-sdk/blob/f091832309fb19d14e96d5da997884140d34ddfd/packages/%40webex/http-core/src/http-error.js"
# "error = 'invalid_grant'" and "description = '…'" inside the wrapper's text. Only an RFC 6749
# error code (lower-case letters and underscores) counts as a code: other services put free text
# in ``error`` ("error = 'Invalid value for filter: roomId'").
_WRAPPED_ERROR = re.compile(r"\berror\s*=\s*'([a-z_]{1,64})'")
_WRAPPED_DESCRIPTION = re.compile(r"\bdescription\s*=\s*'((?:[^'\\]|\\.){0,1000})'")

S = Situation

WEBEX_ERRORS = ErrorTable(
    [
        # --- token endpoint: OAuth codes (RFC 6749 §5.2, as Webex's identity broker answers) ---
        # The refresh token is expired, revoked (the user or an admin deleted the authorization:
        # "Deleting a refresh token will revoke all associated access tokens as well") or
        # malformed: a fresh sign-in is needed. Idle past 90 days -> refresh_token_inactive
        # (decided by the adapter from the credential's timeline, the code is the same).
        ErrorRule("invalid_grant", S.GRANT_REVOKED, AUTHORIZATIONS),
        # Our client id / secret is wrong: the operator's problem, not the user's.
        ErrorRule("invalid_client", S.OPERATOR_CONFIG, RFC6749_5_2),
        ErrorRule("invalid_request", S.OPERATOR_CONFIG, RFC6749_5_2),
        ErrorRule("unsupported_grant_type", S.OPERATOR_CONFIG, RFC6749_5_2),
        ErrorRule("unsupported_response_type", S.OPERATOR_CONFIG, RFC6749_AUTHORIZE),
        # The org admin blocked the integration in Control Hub (Apps > Integrations): the
        # client may no longer be used for this user's organisation.
        ErrorRule("unauthorized_client", S.APP_DISABLED, CONTROL_HUB_INTEGRATIONS),
        # The integration asks for a scope the grant does not (or may no longer) include.
        ErrorRule("invalid_scope", S.INSUFFICIENT_SCOPE, INTEGRATIONS),
        # On the authorize redirect: the user clicked Decline. Nothing changed upstream; the
        # user still has to sign in (and accept) to re-sync.
        ErrorRule("access_denied", S.GRANT_REVOKED, RFC6749_AUTHORIZE),
        ErrorRule("temporarily_unavailable", S.TRANSIENT, RFC6749_AUTHORIZE),
        ErrorRule("server_error", S.TRANSIENT, RFC6749_AUTHORIZE),
        # --- token endpoint: statuses without a code (Webex envelope only) ---
        # 401 without an OAuth code: the client authentication itself was refused.
        ErrorRule("token:401", S.OPERATOR_CONFIG, RFC6749_5_2),
        # 403: the identity broker refuses the account: deactivated in Control Hub (sandbox
        # model; Webex documents the deactivation, not the token endpoint's exact answer).
        ErrorRule("token:403", S.USER_DISABLED, DEACTIVATE_USER),
        ErrorRule("token:423", S.TRANSIENT, API_BASICS),
        # --- GET /v1/people/me (the probe) ---
        # "Authentication credentials were missing or incorrect": for a token we hold this is
        # an expired (14-day) access token; the base class refreshes once and re-probes.
        ErrorRule("probe:401", S.ACCESS_TOKEN_EXPIRED, API_BASICS),
        # "The request is understood, but it has been refused or access is not allowed": the
        # token lacks spark:people_read (scopes changed).
        ErrorRule("probe:403", S.INSUFFICIENT_SCOPE, PEOPLE_ME),
        # "The resource requested, such as a user, does not exist."
        ErrorRule("probe:404", S.USER_DELETED, API_BASICS),
        ErrorRule("probe:410", S.USER_DELETED, API_BASICS),
        # "Temporarily unavailable. A Retry-After header may be present."
        ErrorRule("probe:423", S.TRANSIENT, API_BASICS),
        # --- POST /v1/messages with the bot's token (send) ---
        # Webex refused the message itself (a card above version 1.3, a body that is not JSON):
        # Mio's own payload is wrong, which only the operator can fix.
        ErrorRule("send:400", S.OPERATOR_CONFIG, MESSAGES),
        # The bot's token is refused: the bot was deleted or its token regenerated.
        ErrorRule("send:401", S.APP_UNINSTALLED, MESSAGES),
        # The bot may not message this person (org policy blocks the bot / external chat).
        ErrorRule("send:403", S.APP_DISABLED, MESSAGES),
        # No such person to message.
        ErrorRule("send:404", S.USER_DELETED, MESSAGES),
        ErrorRule("send:423", S.TRANSIENT, API_BASICS),
        # --- GET /v1/messages/direct with the bot's token (lookup: did a send arrive?) ---
        ErrorRule("lookup:401", S.APP_UNINSTALLED, LIST_DIRECT),
        ErrorRule("lookup:423", S.TRANSIENT, API_BASICS),
        # --- relayed user calls (on-use detection) ---
        ErrorRule("relay:401", S.ACCESS_TOKEN_EXPIRED, API_BASICS),
        ErrorRule("relay:403", S.INSUFFICIENT_SCOPE, API_BASICS),
        ErrorRule("relay:423", S.TRANSIENT, API_BASICS),
        # Throttling and server faults everywhere (normally caught earlier by the HTTP path).
        ErrorRule("http:429", S.TRANSIENT, RATE_LIMITS),
        ErrorRule("http:500", S.TRANSIENT, API_BASICS),
        ErrorRule("http:502", S.TRANSIENT, API_BASICS),
        ErrorRule("http:503", S.TRANSIENT, API_BASICS),
        ErrorRule("http:504", S.TRANSIENT, API_BASICS),
    ]
)


def parse_body(text: str) -> dict[str, Any]:
    """The JSON object of an answer, or {} (Webex sometimes answers 429 with no body)."""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _texts(body: dict[str, Any]) -> list[str]:
    """The envelope's human texts: ``message``, then each ``errors[].description``."""
    texts = [body["message"]] if isinstance(body.get("message"), str) else []
    errors = body.get("errors")
    if isinstance(errors, list):
        texts += [
            item["description"]
            for item in errors
            if isinstance(item, dict) and isinstance(item.get("description"), str)
        ]
    return [text for text in texts if text]


def _wrapped(pattern: re.Pattern[str], body: dict[str, Any]) -> str:
    for text in _texts(body):
        if found := pattern.search(text):
            return found.group(1)
    return ""


def error_code(body: dict[str, Any]) -> str:
    """The OAuth ``error``: top level (RFC 6749 §5.2), else inside the router's wrapper."""
    code = body.get("error")
    if isinstance(code, str) and code:
        return code
    return _wrapped(_WRAPPED_ERROR, body)


def description_of(body: dict[str, Any]) -> str:
    """error_description (top level or wrapped), else message, else errors[].description."""
    value = body.get("error_description")
    if isinstance(value, str) and value:
        return value
    wrapped = _wrapped(_WRAPPED_DESCRIPTION, body) if _wrapped(_WRAPPED_ERROR, body) else ""
    if wrapped:
        return wrapped
    texts = _texts(body)
    return texts[0] if texts else ""


def tracking_id(body: dict[str, Any], headers: CaseInsensitiveDict | dict[str, str]) -> str:
    value = body.get("trackingId") or body.get("trackingID")
    if isinstance(value, str) and value:
        return value
    headers = CaseInsensitiveDict(headers or {})
    return headers.get("TrackingID", "") or ""


def classify(endpoint: str, status: int | None, body: dict[str, Any]) -> Situation:
    """The situation for one Webex answer: the OAuth code first, then endpoint and status."""
    code = error_code(body)
    situation = WEBEX_ERRORS.lookup(
        code or None,
        f"{endpoint}:{status}" if status else None,
        f"http:{status}" if status else None,
    )
    return situation or Situation.UNKNOWN


def evidence(
    endpoint: str,
    status: int | None,
    text: str,
    headers: CaseInsensitiveDict | dict[str, str] | None = None,
) -> Evidence:
    """Everything an admin needs to find this call in Webex's logs (tracking id, time)."""
    headers = CaseInsensitiveDict(headers or {})
    body = parse_body(text)
    code = error_code(body)
    codes = [str(status)] if status else []
    if code:
        codes.append(code)
    return Evidence(
        platform="webex",
        endpoint=endpoint,
        http_status=status,
        error=code or (f"http_{status}" if status else "no_status"),
        error_codes=codes,
        description=description_of(body),
        correlation_id=tracking_id(body, headers),
        timestamp=headers.get("Date", "") or "",
        retry_after=parse_retry_after(headers.get("Retry-After")),
        raw=Evidence.clip(text or ""),
    )
