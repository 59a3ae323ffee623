"""The fake Webex authorize step: a consent page with Allow / Deny, then the redirect back.

Who signs in is the ``login_hint`` (or the address typed on the page). Consent heals what a fresh
sign-in heals; a deactivated account or an integration blocked by the org admin refuses it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.webex.shapes import (
    APP_NAME,
    CODE_TTL,
    HEALED_BY_SIGN_IN,
    INTEGRATION_SCOPES,
    KEY,
    S,
    tracking_id,
)
from platforms.sandbox.models import SandboxUser


@csrf_exempt
def authorize(request: HttpRequest) -> HttpResponse:
    def value(name: str) -> str:
        return request.POST.get(name) or request.GET.get(name, "")

    hint = value("login_hint") or value("email")
    if answer := core.intercept(request, KEY, "authorize", value("account") or hint):
        return answer
    redirect_uri = value("redirect_uri")
    if value("client_id") != settings.PLATFORM_APPS[KEY]["client_id"]:
        return _page_error(request, 400, "Invalid client_id", "No integration has this id.")
    if not redirect_uri.startswith(("http://", "https://")):
        return _page_error(request, 400, "Invalid redirect_uri", "It must be an http(s) URL.")
    state = value("state")
    if value("response_type") != "code":
        return _redirect(redirect_uri, state, error="unsupported_response_type")
    method = value("code_challenge_method") or ("plain" if value("code_challenge") else "")
    if method not in ("", "plain", "S256"):
        return _redirect(redirect_uri, state, error="invalid_request")
    scopes = value("scope").split()
    if not scopes or any(s not in INTEGRATION_SCOPES for s in scopes):
        return _redirect(redirect_uri, state, error="invalid_scope")
    if request.method == "GET":
        return _consent(request, value, scopes, hint)
    decision = request.POST.get("decision")
    if decision == "deny":
        return _redirect(
            redirect_uri,
            state,
            error="access_denied",
            error_description="The user declined the integration.",
        )
    if decision != "allow":
        return _page_error(request, 400, "No decision", "Choose Allow or Deny.")
    email = (value("account") or hint).strip()
    user = SandboxUser.objects.filter(platform=KEY, email__iexact=email).first()
    if user is None:
        return _consent(
            request,
            value,
            scopes,
            email,
            status=400,
            problem=f"There is no Webex account for {email or 'that address'}.",
        )
    if user.situation == "user_disabled":
        return _page_error(
            request,
            403,
            "Account deactivated",
            "Your administrator has deactivated this Webex account.",
        )
    if user.situation == "app_disabled":
        return _redirect(
            redirect_uri,
            state,
            error="unauthorized_client",
            error_description="Your organization blocks this integration.",
        )
    if user.situation in HEALED_BY_SIGN_IN:
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
    code = core.issue(
        KEY,
        S.CODE,
        user,
        core.random_token("", 32),
        ttl=CODE_TTL,
        meta={
            "redirect_uri": redirect_uri,
            "code_challenge": value("code_challenge"),
            "code_challenge_method": method,
            "scopes": scopes,
        },
    )
    return _redirect(redirect_uri, state, code=code)


def _consent(
    request: HttpRequest,
    value: Any,
    scopes: list[str],
    account: str,
    *,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    names = [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "login_hint",
    ]
    context = {
        "app_name": APP_NAME,
        "scopes": [{"name": s, "text": INTEGRATION_SCOPES[s]} for s in scopes],
        "hidden": [(n, value(n)) for n in names if value(n)],
        "account": account,
        "problem": problem,
    }
    return render(request, "sandbox/webex/consent.html", context, status=status)


def _page_error(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    context = {"title": title, "detail": detail, "tracking_id": tracking_id()}
    return render(request, "sandbox/webex/error.html", context, status=status)


def _redirect(redirect_uri: str, state: str, **params: str) -> HttpResponse:
    query = urlencode({**params, **({"state": state} if state else {})})
    response = HttpResponse(status=302)
    response["Location"] = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"
    return response
