"""Webex's error codes -> situations, and reading Webex's error answers into evidence.

Webex answers API errors with an HTTP status and its envelope ``{"message", "errors":
[{"description"}], "trackingId"}`` (the tracking id also comes as a ``TrackingID`` header); its
token endpoint ``POST /v1/access_token`` adds the RFC 6749 §5.2 ``error`` code of its identity
broker. Webex documents statuses, not finer error codes, so the table's keys are:

* the OAuth ``error`` code (``invalid_grant``, ``invalid_client``, …), looked up first;
* ``<endpoint>:<status>`` (``probe:403``, ``send:404``, ``token:403``…) when no code decides.

What Webex does NOT document (the exact body of a refused refresh for a deactivated user, or for
an integration blocked in Control Hub) follows the sandbox's model below; every row names the
page it rests on. An expired refresh token and a revoked one both answer ``invalid_grant``: the
adapter tells them apart from the credential's own timeline (``refresh_token_inactive``).
"""

from __future__ import annotations

import json
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


def error_code(body: dict[str, Any]) -> str:
    code = body.get("error")
    return code if isinstance(code, str) else ""


def description_of(body: dict[str, Any]) -> str:
    """error_description, else the envelope's message, else the first errors[].description."""
    for key in ("error_description", "message"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict) and isinstance(item.get("description"), str):
                return item["description"]
    return ""


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
