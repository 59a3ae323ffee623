"""Zoom's error codes and the situations they mean, each with the page that documents it.

Zoom answers in three envelopes, and an answer is read by its *codes* whichever one it uses:

* the OAuth token endpoint (``zoom.us/oauth/token``): ``{"reason": "...", "error": "..."}``; the
  refresh failure seen in practice is ``{"reason": "Invalid Token!", "error": "invalid_grant"}``;
* zoom.us's own envelope, which carries the numbered OAuth codes 4700-4741 of the OAuth error
  page: ``{"status": false, "errorCode": 4717, "errorMessage": "...", "result": null}``. Zoom
  documents the codes and their messages but not which envelope the token endpoint wraps them
  in, so both are read;
* the REST API (``api.zoom.us/v2``): ``{"code": 124, "message": "Invalid access token."}``.

Every answer also carries an ``x-zm-trackingid`` header, which Zoom support asks for.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import requests

from platforms.errors import ErrorRule, ErrorTable, Evidence, PlatformError, parse_retry_after
from tokens.situations import Situation

PLATFORM = "zoom"

OAUTH_ERRORS = "https://developers.zoom.us/docs/integrations/oauth-error-messages/"
OAUTH_GUIDE = "https://developers.zoom.us/docs/integrations/oauth/"
API_ERRORS = "https://developers.zoom.us/docs/api/errors/"
RATE_LIMITS = "https://developers.zoom.us/docs/api/rate-limits/"
GET_USER = "https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId}"
CHATBOT_SEND = (
    "https://developers.zoom.us/docs/api/chatbot/#tag/chatbot-messages/POST/im/chat/messages"
)
# "Not authorized." from the chatbot send when the app is not installed for the account; Zoom's
# chatbot docs do not list error codes, this is the answer seen in practice.
CHATBOT_NOT_AUTHORIZED = "https://github.com/Jericho/ZoomNet/pull/312"
# Zoom does not document the body of a refresh failure; this is the one seen in practice.
INVALID_TOKEN_SEEN = "https://github.com/raycast/extensions/issues/10896"  # noqa: S105
INVALID_CLIENT_SEEN = "https://github.com/JubaerHossain/zoom-laravel/issues/3"
UNSUPPORTED_GRANT_SEEN = "https://github.com/JubaerHossain/zoom-laravel/issues/4"
# An authorization code used a second time: {"reason": "Invalid authorization code <code>",
# "error": "invalid_request"}. The person signs in again; Mio's configuration is not at fault.
CODE_SPENT_SEEN = "https://github.com/Jericho/ZoomNet/issues/36"

# Calls to api.zoom.us (not zoom.us/oauth): the probe, the chatbot send, relayed user calls.
API_ENDPOINTS = frozenset({"probe", "send", "relay"})

# Codes the adapter derives itself from documented data rather than reads from a body.
EXPIRED_REFRESH_TOKEN = "invalid_grant:refresh_token_expired"  # noqa: S105 (a code)
USER_INACTIVE = "user.status:inactive"
CODE_SPENT = "invalid_request:authorization_code"

# Refresh tokens of user-authorized apps die 90 days after they were issued; every refresh
# issues a new one, so in practice this is an inactivity limit.
REFRESH_TOKEN_LIFETIME = timedelta(days=90)

ZOOM_ERRORS = ErrorTable(
    [
        # --- API access token -----------------------------------------------------------
        # 401 {"code": 124, "message": "Invalid access token."} and "Access token is expired."
        # share one code: refresh once; if the grant is gone the refresh says so.
        ErrorRule("124", Situation.ACCESS_TOKEN_EXPIRED, API_ERRORS),
        # 400 {"code": 4711, "message": "Invalid access token, does not contain scopes:[…]"}
        # on the API; "Refresh token invalid: the token scopes do not match the client scopes"
        # on the token endpoint. Either way the app's scopes changed under the grant.
        ErrorRule("4711", Situation.INSUFFICIENT_SCOPE, OAUTH_ERRORS),
        # On the REST API (not the token endpoint, where 4700 is a catch-all) 4700 is "Invalid
        # access token, does not contain scopes. The user is not authorized" (API_ERRORS).
        ErrorRule("api:4700", Situation.INSUFFICIENT_SCOPE, API_ERRORS),
        # The chatbot send refused Mio's own message ("Validation Failed." with the fields, or
        # "Request Body should be a valid JSON object."): Mio's bug, for the operator, as on
        # Teams (BadArgument) and Webex (400 on /messages). On relayed calls it stays unknown.
        ErrorRule("send:300", Situation.OPERATOR_CONFIG, API_ERRORS),
        ErrorRule("1001", Situation.USER_DELETED, GET_USER),  # "User does not exist: {id}."
        ErrorRule(USER_INACTIVE, Situation.USER_DISABLED, GET_USER),  # user.status "inactive"
        # --- OAuth token endpoint, numbered codes --------------------------------------
        ErrorRule("4700", Situation.UNKNOWN, OAUTH_ERRORS),  # catch-all: triage by tracking id
        ErrorRule("4702", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),  # invalid client
        ErrorRule("4704", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),  # invalid client secret
        ErrorRule("4705", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),  # grant type not supported
        ErrorRule("4706", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),  # client id/secret missing
        ErrorRule("4709", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),  # redirect URI mismatch
        ErrorRule("4724", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),  # invalid JWT in header
        ErrorRule("4717", Situation.APP_DISABLED, OAUTH_ERRORS),  # the app has been disabled
        ErrorRule("4732", Situation.TRANSIENT, OAUTH_ERRORS),  # Zoom's lookup service down
        ErrorRule("4733", Situation.GRANT_REVOKED, OAUTH_ERRORS),  # code expired: sign in again
        ErrorRule("4734", Situation.GRANT_REVOKED, OAUTH_ERRORS),  # invalid authorization code
        ErrorRule("4735", Situation.USER_DELETED, OAUTH_ERRORS),  # token owner does not exist
        ErrorRule("4737", Situation.GRANT_REVOKED, OAUTH_ERRORS),  # authentication not found
        # "The token is disabled by admin": an admin turned off pre-approval of the app for
        # the account's users, i.e. withdrew the admin consent.
        ErrorRule("4738", Situation.CONSENT_MISSING, OAUTH_ERRORS),
        ErrorRule("4740", Situation.GRANT_REVOKED, OAUTH_ERRORS),  # out of tolerance range
        ErrorRule("4741", Situation.GRANT_REVOKED, OAUTH_ERRORS),  # revoked by newer auth
        # --- OAuth token endpoint, RFC 6749 error strings ----------------------------------
        ErrorRule("invalid_grant", Situation.GRANT_REVOKED, INVALID_TOKEN_SEEN),
        ErrorRule(EXPIRED_REFRESH_TOKEN, Situation.REFRESH_TOKEN_INACTIVE, OAUTH_GUIDE),
        ErrorRule("invalid_client", Situation.OPERATOR_CONFIG, INVALID_CLIENT_SEEN),
        ErrorRule("unauthorized_client", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),
        ErrorRule("unsupported_grant_type", Situation.OPERATOR_CONFIG, UNSUPPORTED_GRANT_SEEN),
        ErrorRule(CODE_SPENT, Situation.GRANT_REVOKED, CODE_SPENT_SEEN),
        ErrorRule("invalid_request", Situation.OPERATOR_CONFIG, OAUTH_ERRORS),
        ErrorRule("access_denied", Situation.CONSENT_MISSING, OAUTH_GUIDE),  # user declined
        ErrorRule("server_error", Situation.TRANSIENT, OAUTH_GUIDE),
        ErrorRule("temporarily_unavailable", Situation.TRANSIENT, OAUTH_GUIDE),
        # --- API throttling in a body (the status is 429 too) -------------------------------
        ErrorRule("429", Situation.TRANSIENT, RATE_LIMITS),
        # --- chatbot -----------------------------------------------------------------------
        ErrorRule("7004", Situation.APP_UNINSTALLED, CHATBOT_NOT_AUTHORIZED),
    ]
)


def read_body(body: Any) -> dict[str, Any]:
    """The JSON object of an answer, or {} when it is not one."""
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def codes_of(data: dict[str, Any]) -> tuple[list[str], str, str]:
    """(numbered codes, OAuth error string, description) of any of Zoom's three envelopes.

    Bodies also come from the relay, so every field is type-checked: a code that is not a
    number or a string, or a message that is not a string, counts as absent.
    """
    numbered = [code for k in ("errorCode", "code") if (code := _code(data.get(k)))]
    error = data.get("error")
    error = error[:200] if isinstance(error, str) else ""
    description = next(
        (
            data[k][:1000]
            for k in ("reason", "errorMessage", "message", "error_description")
            if isinstance(data.get(k), str) and data[k]
        ),
        "",
    )
    return numbered, error, description


def _code(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**12:
        return str(value)
    if isinstance(value, str):
        return value.strip()[:64]
    return ""


def raw_text(body: Any) -> str:
    """The body as an admin should see it: text as it came, JSON values as JSON."""
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    if isinstance(body, str):
        return body
    return "" if body is None else json.dumps(body, default=str)


def error_for(
    endpoint: str,
    *,
    status: int | None,
    body: Any,
    headers: dict[str, str] | None = None,
    derived: list[str] | None = None,
) -> PlatformError:
    """Classify a failed answer on its codes; keep everything an admin or Zoom support needs."""
    data = read_body(body)
    numbered, error, description = codes_of(data)
    if error == "invalid_request" and description.lower().startswith("invalid authorization code"):
        # The same error string as Mio's own malformed request; the reason tells them apart.
        derived = [*(derived or []), CODE_SPENT]
    # The REST API gives some numbers a meaning of their own ("api:<code>" rules).
    on_api = [f"api:{code}" for code in numbered] if endpoint in API_ENDPOINTS else []
    on_send = [f"send:{code}" for code in numbered] if endpoint == "send" else []
    codes = [*(derived or []), *on_send, *on_api, *numbered, *([error] if error else [])]
    if status is not None and (status == 429 or status >= 500):
        # Throttling and Zoom's own failures pass, whatever the body says.
        situation: Situation | None = Situation.TRANSIENT
    else:
        situation = ZOOM_ERRORS.lookup(*codes)
    if situation is None:
        # An unauthorized answer without a known code: the access token was refused.
        situation = Situation.ACCESS_TOKEN_EXPIRED if status == 401 else Situation.UNKNOWN
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    raw = raw_text(body)
    return PlatformError(
        situation,
        Evidence(
            platform=PLATFORM,
            endpoint=endpoint,
            http_status=status,
            error=error or (numbered[0] if numbered else (derived or [""])[0]),
            error_codes=[*(derived or []), *numbered],
            description=description,
            trace_id=headers.get("x-zm-trackingid", ""),
            timestamp=headers.get("date", ""),
            retry_after=parse_retry_after(headers.get("retry-after")),
            raw=Evidence.clip(raw),
        ),
    )


def error_from_response(
    endpoint: str, response: requests.Response, *, derived: list[str] | None = None
) -> PlatformError:
    return error_for(
        endpoint,
        status=response.status_code,
        body=response.text,
        headers=dict(response.headers),
        derived=derived,
    )
