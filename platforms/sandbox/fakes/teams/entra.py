"""The fake Entra ID token endpoint and the client checks it shares with the bot's token.

The path is the real one under ``/sandbox/teams/login/``: ``<tenant>/oauth2/v2.0/token``
(discovery is in ``discovery.py``). Like Entra it reads the request only as a form, wants
``scope`` with a refresh, and binds a refresh token to the client it was issued to.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import issuing, shapes, situations
from platforms.sandbox.models import SandboxToken, SandboxUser

PLATFORM = "teams"
FORM = "application/x-www-form-urlencoded"


def client_credentials(request: HttpRequest) -> tuple[str, str]:
    """client_id and secret, from the body (msal) or HTTP Basic (other OAuth clients)."""
    client_id = request.POST.get("client_id", "")
    secret = request.POST.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if ":" in decoded:
            basic_id, basic_secret = decoded.split(":", 1)
            client_id = client_id or unquote_plus(basic_id)
            secret = secret or unquote_plus(basic_secret)
    return client_id, secret


def check_client(
    request: HttpRequest, client_id: str, secret: str, *, expected_id: str, expected_secret: str
) -> HttpResponse | None:
    if not client_id:
        return shapes.entra_error(
            request,
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    if client_id != expected_id:
        return shapes.entra_error(
            request,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory. This "
            "can happen if the application has not been installed by the administrator of the "
            "tenant or consented to by any user in the tenant.",
        )
    if not secret:
        return shapes.entra_error(
            request,
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    if not hmac.compare_digest(secret.encode(), expected_secret.encode()):
        return shapes.entra_error(
            request,
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.",
        )
    return None


def _missing(request: HttpRequest, name: str) -> HttpResponse:
    """AADSTS900144: Entra reads the token request only as a form; a parameter missing from it
    (or a JSON body, which it does not read at all) is named in the error."""
    return shapes.entra_error(
        request,
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


@csrf_exempt
@require_POST
def token(request: HttpRequest, tenant: str) -> HttpResponse:
    if request.content_type != FORM:
        return _missing(request, "grant_type")
    grant_type = request.POST.get("grant_type", "")
    if grant_type == "client_credentials":
        from platforms.sandbox.fakes.teams import apponly

        if apponly.is_app_request(request):  # the Entra app itself, not the bot
            return apponly.app_token(request, tenant)
        return _bot_token(request, tenant)
    found: SandboxToken | None = None
    if grant_type == "refresh_token":
        found = core.find(PLATFORM, SandboxToken.Kind.REFRESH, request.POST.get("refresh_token"))
    elif grant_type == "authorization_code":
        found = core.find(PLATFORM, SandboxToken.Kind.CODE, request.POST.get("code"))
    user = found.user if found is not None else None
    if answer := core.intercept(request, PLATFORM, "token", user.email if user else ""):
        return answer
    app = shapes.app()
    client_id, secret = client_credentials(request)
    # Mio's bot is a registered app too: its credentials are valid, but a user's refresh
    # token issued to the user app is not theirs to redeem (see ``_refresh``).
    is_bot = bool(client_id) and client_id == app["bot_app_id"]
    if refused := check_client(
        request,
        client_id,
        secret,
        expected_id=app["bot_app_id"] if is_bot else app["client_id"],
        expected_secret=app["bot_app_secret"] if is_bot else app["client_secret"],
    ):
        return refused
    if grant_type == "refresh_token":
        if not request.POST.get("scope", "").strip():
            return _missing(request, "scope")
        return _refresh(request, found, client_id, tenant)
    if grant_type == "authorization_code":
        return _code(request, found, client_id, tenant)
    return shapes.entra_error(
        request,
        400,
        "unsupported_grant_type",
        70003,
        f"The app requested an unsupported grant type '{grant_type}'.",
    )


def _refresh(
    request: HttpRequest, found: SandboxToken | None, client_id: str, tenant: str
) -> HttpResponse:
    if found is None or found.user is None:
        return shapes.entra_error(
            request,
            400,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        )
    user = found.user
    issued = found.created_at.strftime("%m/%d/%Y %H:%M:%S")
    if (found.meta or {}).get("client_id", client_id) != client_id:
        # A refresh token is bound to the client it was issued to: AADSTS70000 InvalidGrant.
        return shapes.entra_error(
            request, 400, "invalid_grant", 70000, "Provided grant is invalid or malformed."
        )
    if found.revoked:
        # Sessions revoked (revokeSignInSessions, an admin reset, a lifecycle removal).
        return situations.token_failure(
            request, "grant_revoked", client_id=client_id, tenant=user.workspace_id, issued=issued
        )
    if not core.usable(found):
        return situations.token_failure(
            request,
            "refresh_token_inactive",
            client_id=client_id,
            tenant=user.workspace_id,
            issued=issued,
        )
    if refused := _wrong_tenant(request, user, tenant):
        return refused
    if refused := _situation(request, user, client_id):
        return refused
    return _issue(request, user, client_id, found.meta.get("scopes"), nonce="")


def _code(
    request: HttpRequest, found: SandboxToken | None, client_id: str, tenant: str
) -> HttpResponse:
    if found is None or found.user is None:
        return shapes.entra_error(
            request,
            400,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        )
    meta: dict[str, Any] = found.meta or {}
    if found.revoked:
        return shapes.entra_error(
            request,
            400,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token.",
        )
    if not core.usable(found):
        return shapes.entra_error(
            request,
            400,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource.",
        )
    if meta.get("client_id") != client_id:
        return shapes.entra_error(
            request,
            400,
            "invalid_grant",
            700005,
            "Provided Authorization Code is intended to use against other client.",
        )
    if request.POST.get("redirect_uri", "") != meta.get("redirect_uri"):
        return shapes.entra_error(
            request,
            400,
            "invalid_grant",
            50011,
            "The redirect URI specified in the request does not match the redirect URIs "
            "configured for the application.",
        )
    if not _pkce_ok(meta, request.POST.get("code_verifier", "")):
        return shapes.entra_error(
            request,
            400,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization "
            "request.",
        )
    if not core.revoke(found):  # single use, even against two racing redemptions
        return shapes.entra_error(
            request, 400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed."
        )
    if refused := _wrong_tenant(request, found.user, tenant):
        return refused
    if refused := _situation(request, found.user, client_id):
        return refused
    return _issue(request, found.user, client_id, meta.get("scopes"), nonce=meta.get("nonce", ""))


def _pkce_ok(meta: dict[str, Any], verifier: str) -> bool:
    challenge = meta.get("code_challenge")
    if not challenge:
        return True  # the client did not use PKCE for this code
    if not verifier:
        return False
    computed = shapes.b64url(hashlib.sha256(verifier.encode()).digest())
    return hmac.compare_digest(computed, challenge)


def _wrong_tenant(request: HttpRequest, user: SandboxUser, tenant: str) -> HttpResponse | None:
    """A tenant-specific authority only serves that directory's users."""
    if tenant.lower() in ("common", "organizations") or tenant.lower() == user.workspace_id.lower():
        return None
    return shapes.entra_error(
        request,
        400,
        "invalid_grant",
        50020,
        f"User account '{{EmailHidden}}' from identity provider "
        f"'https://sts.windows.net/{user.workspace_id}/' does not exist in tenant '{tenant}' and "
        "cannot access the application 'Mio' in that tenant.",
    )


def _situation(request: HttpRequest, user: SandboxUser, client_id: str) -> HttpResponse | None:
    if user.situation == "access_token_expired":
        # The user's live access tokens are refused as expired; a refresh works and is the cure.
        core.expire_access_tokens(PLATFORM, user.email)
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
        return None
    return situations.token_failure(
        request, user.situation, client_id=client_id, tenant=user.workspace_id
    )


def _issue(
    request: HttpRequest, user: SandboxUser, client_id: str, scopes: Any, *, nonce: str
) -> JsonResponse:
    body = issuing.user_tokens(
        user,
        client_id=client_id,
        scopes=[str(s) for s in scopes] if isinstance(scopes, list) and scopes else None,
        cae=issuing.wants_cae(request.POST.get("claims", "")),
        nonce=nonce,
        claims=request.POST.get("claims", ""),
    )
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store, no-cache"
    response["client-request-id"] = shapes.correlation_id(request)
    return response


def _bot_token(request: HttpRequest, tenant: str) -> HttpResponse:
    if answer := core.intercept(request, PLATFORM, "bot_token"):
        return answer
    app = shapes.app()
    client_id, secret = client_credentials(request)
    # The bot is registered in one place: botframework.com (multi-tenant) or its own tenant.
    home = str(app.get("bot_tenant_id") or "").strip() or "botframework.com"
    if client_id == app["bot_app_id"] and tenant.lower() != home.lower():
        return shapes.entra_error(
            request,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant.",
        )
    if refused := check_client(
        request,
        client_id,
        secret,
        expected_id=app["bot_app_id"],
        expected_secret=app["bot_app_secret"],
    ):
        return refused
    scope = request.POST.get("scope", "")
    if f"{shapes.BOT_FRAMEWORK_RESOURCE}/.default" not in scope.split():
        return shapes.entra_error(
            request,
            400,
            "invalid_scope",
            70011,
            f"The provided value for the input parameter 'scope' is not valid. The scope {scope} "
            "is not valid.",
        )
    return JsonResponse(issuing.bot_token(client_id))
