"""The fake Entra's authorize endpoint: sign-in and the "Permissions requested" page.

GET shows the page (who signs in: the ``login_hint``, or an email field); the form POSTs back to
the same URL (the query string carries the request) with ``decision=allow|deny``. Allow redirects
to ``redirect_uri?code=…&state=…&session_state=…``; Deny to ``error=access_denied`` with
AADSTS65004. A user in an admin situation (Conditional Access, no admin consent, app or user
disabled, user deleted…) is refused the way Entra refuses them; a user whose trouble a sign-in
fixes (revoked grant, MFA, an idle or password-expired sign-in) is healed by signing in.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlparse

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes, situations
from platforms.sandbox.models import SandboxToken, SandboxUser

PLATFORM = "teams"
CODE_TTL = timedelta(minutes=10)
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}
SCOPE_TEXT = {
    "user.read": "Sign you in and read your profile",
    "offline_access": "Maintain access to data you have given it access to",
    "openid": "Sign you in",
    "profile": "View your basic profile",
    "email": "View your email address",
}


class Redirect(HttpResponseRedirect):
    # The app's redirect URI may be plain http on a developer machine, like Entra allows.
    allowed_schemes = ["http", "https"]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest, tenant: str) -> HttpResponse:
    params = request.GET
    hint = (request.POST.get("login_hint") or params.get("login_hint") or "").strip().lower()
    if answer := core.intercept(request, PLATFORM, "authorize", hint):
        return answer
    app = shapes.app()
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id != app["client_id"]:
        return _error_page(
            request,
            700016,
            f"Application with identifier '{client_id}' was not found in the directory.",
        )
    if urlparse(redirect_uri).scheme not in ("http", "https") or not urlparse(redirect_uri).netloc:
        return _error_page(
            request,
            50011,
            "The redirect URI specified in the request does not match the redirect URIs "
            "configured for the application.",
        )
    if params.get("response_type") != "code":
        return _error_page(request, 700054, "Only response_type 'code' is enabled for Mio.")
    if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
        return _error_page(request, 501491, "Invalid size or method of the code_challenge.")
    user = (
        SandboxUser.objects.filter(platform=PLATFORM, email__iexact=hint).first() if hint else None
    )
    if request.method == "GET" or (request.POST.get("decision") == "allow" and user is None):
        return _page(request, hint, user, client_id)
    if request.POST.get("decision") != "allow":
        return _back(
            redirect_uri,
            params,
            error="access_denied",
            error_subcode="cancel",
            error_description="AADSTS65004: User declined to consent to access the app.",
        )
    if user.situation and user.situation not in situations.HEALED_BY_SIGN_IN | {
        "operator_config",
        "transient",
    }:
        failure = situations.TOKEN_FAILURES[user.situation]
        return _back(
            redirect_uri,
            params,
            error="access_denied" if failure.error == "invalid_grant" else failure.error,
            error_description=f"AADSTS{failure.code}: "
            + failure.message.format(
                client=client_id, tenant=user.workspace_id, issued="", now=shapes.timestamp()
            ),
        )
    if user.situation in situations.HEALED_BY_SIGN_IN:
        # What a real re-sign-in does: MFA completed, password changed, a fresh grant.
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
    code = core.issue(
        PLATFORM,
        SandboxToken.Kind.CODE,
        user,
        shapes.opaque("1.A", 300),
        ttl=CODE_TTL,
        meta={
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": params.get("code_challenge", ""),
            "nonce": params.get("nonce", ""),
            "scopes": _scopes(params.get("scope", "")),
            "tenant": tenant,
        },
    )
    extra = {"client_info": shapes.client_info(user)} if params.get("client_info") == "1" else {}
    return _back(redirect_uri, params, code=code, session_state=str(uuid.uuid4()), **extra)


def _scopes(scope: str) -> list[str]:
    names = [s.rsplit("/", 1)[-1] for s in scope.split() if s]
    return [s for s in names if s.lower() != "offline_access"] or ["User.Read", "openid", "profile"]


def _page(
    request: HttpRequest, hint: str, user: SandboxUser | None, client_id: str
) -> HttpResponse:
    scopes = [s for s in request.GET.get("scope", "").split() if s]
    requested = [SCOPE_TEXT.get(s.rsplit("/", 1)[-1].lower(), s) for s in scopes]
    unknown = bool(hint) and user is None and request.method == "POST"
    context: dict[str, Any] = {
        "hint": hint,
        "user": user,
        "client_id": client_id,
        "permissions": list(dict.fromkeys(requested)),
        "unknown": unknown,
        "people": SandboxUser.objects.filter(platform=PLATFORM).order_by("email")[:50],
    }
    return render(request, "sandbox/teams/consent.html", context, status=200)


def _error_page(request: HttpRequest, code: int, message: str) -> HttpResponse:
    context = {
        "code": code,
        "message": message,
        "trace_id": str(uuid.uuid4()),
        "correlation_id": shapes.correlation_id(request),
        "timestamp": shapes.timestamp(),
    }
    return render(request, "sandbox/teams/error.html", context, status=400)


def _back(redirect_uri: str, params: Any, **values: str) -> HttpResponse:
    query = {**values}
    if params.get("state"):
        query["state"] = params["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return Redirect(f"{redirect_uri}{separator}{urlencode(query)}")
