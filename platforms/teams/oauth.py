"""The user's (re-)sign-in: msal's authorization-code flow with state, PKCE (S256) and nonce.

``begin`` returns msal's flow dict (state, code verifier, nonce, redirect URI…), which the
caller keeps server-side; ``finish`` hands it back to msal with the redirect's query parameters.
msal refuses a state mismatch (``ValueError``) and checks the id token's nonce; Mio reads the
user's object id (``oid``) and tenant (``tid``) from the id token's claims, so a re-sync can prove
it is the same account that broke.

The authority is ``organizations``: the person may sign in from any work or school tenant, and
the grant says which one it was.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from platforms.base import OAuthStart, TokenGrant
from platforms.errors import Evidence, PlatformError
from platforms.teams import entra
from platforms.teams.errors import entra_situation

AUTHORITY_TENANT = "organizations"
_AADSTS = re.compile(r"^AADSTS(\d+)")


def begin(*, redirect_uri: str, login_hint: str = "") -> OAuthStart:
    http = entra.EntraHttp()
    try:
        with warnings.catch_warnings():
            # msal recommends response_mode=form_post; Mio's callback reads the query string,
            # and state, PKCE and the nonce already bind the answer to this flow.
            warnings.filterwarnings("ignore", message="response_mode='form_post'")
            flow = _initiate(http, redirect_uri, login_hint)
    finally:
        http.close()
    return OAuthStart(url=str(flow["auth_uri"]), flow=dict(flow))


def _initiate(http: entra.EntraHttp, redirect_uri: str, login_hint: str) -> dict[str, Any]:
    return entra.call(
        http,
        lambda: entra.application(AUTHORITY_TENANT, http).initiate_auth_code_flow(
            entra.USER_SCOPES,
            redirect_uri=redirect_uri,
            login_hint=login_hint or None,
            prompt="select_account" if not login_hint else None,
        ),
        endpoint="authorize",
    )


def finish(flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str) -> TokenGrant:
    from platforms.teams.adapter import grant_from_result

    if flow.get("redirect_uri") and flow["redirect_uri"] != redirect_uri:
        raise ValueError("the redirect URI does not match the one the flow started with")
    if params.get("state") != flow.get("state"):
        # msal checks this too; saying it here keeps the message free of both values.
        raise ValueError("state mismatch: this answer does not belong to the sign-in we started")
    if params.get("error"):
        raise redirect_error(params)
    http = entra.EntraHttp()
    try:
        result = entra.call(
            http,
            lambda: entra.application(AUTHORITY_TENANT, http).acquire_token_by_auth_code_flow(
                dict(flow), dict(params), scopes=entra.USER_SCOPES
            ),
        )
    finally:
        http.close()
    grant = grant_from_result(result)
    if not grant.upstream_user_id:
        raise PlatformError(
            entra_situation([]),
            Evidence(
                platform="teams",
                endpoint="token",
                error="no_id_token",
                description="Entra returned no id token naming the user.",
            ),
        )
    return grant


def redirect_error(params: dict[str, str]) -> PlatformError:
    """An error Entra sent back to the redirect URI instead of a code.

    The redirect carries no ``error_codes`` list: the AADSTS number leads ``error_description``
    (``"AADSTS65004: ..."``) and is the only code there is, so it is read from there.
    """
    description = params.get("error_description", "")
    match = _AADSTS.match(description)
    codes = [match.group(1)] if match else []
    evidence = Evidence(
        platform="teams",
        endpoint="authorize",
        error=params.get("error", ""),
        error_codes=codes,
        suberror=params.get("error_subcode", ""),
        description=description[:1000],
        correlation_id=params.get("correlation_id", ""),
        trace_id=params.get("trace_id", ""),
        timestamp=params.get("timestamp", ""),
    )
    return PlatformError(entra_situation(codes, params.get("suberror", "")), evidence)
