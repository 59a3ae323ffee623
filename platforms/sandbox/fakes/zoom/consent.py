"""``zoom.us/oauth/authorize``: the consent page a person sees when an app asks for access.

GET shows the app, the account and the scopes with Allow / Decline; the form posts back to the
same URL (its query string holds the OAuth parameters). Allow issues a single-use code bound to
the redirect URI and the PKCE challenge; signing in again heals what a fresh authorization
heals, while admin-side problems stop the flow on Zoom's own error page.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.zoom import answers as A
from platforms.sandbox.fakes.zoom import tokens as T
from platforms.sandbox.models import SandboxUser

APP_NAME = "Mio Auto Heal"
SCOPE_LABELS = {
    "user:read:user": "View your user information",
    "team_chat:read:user_message": "View your Team Chat messages",
    "team_chat:write:user_message": "Send Team Chat messages on your behalf",
}


def _error_page(request: HttpRequest, code: int, message: str, status: int = 400) -> HttpResponse:
    return render(
        request,
        "sandbox/zoom/error.html",
        {"code": code, "message": message, "app_name": APP_NAME},
        status=status,
    )


def _registered(redirect_uri: str) -> bool:
    """The sandbox's demo app allows redirects to the project's own site, like an allow list."""
    site, target = urlparse(settings.SITE_URL), urlparse(redirect_uri)
    return (site.scheme, site.netloc) == (target.scheme, target.netloc)


def _redirect(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    joiner = "&" if urlparse(redirect_uri).query else "?"
    return HttpResponseRedirect(f"{redirect_uri}{joiner}{urlencode(params)}")


@csrf_exempt
def authorize(request: HttpRequest) -> HttpResponse:
    q = request.GET
    email = (request.POST.get("email") or q.get("login_hint") or "").strip().lower()
    if (hit := core.intercept(request, T.PLATFORM, "authorize", email)) is not None:
        return hit
    if request.method not in ("GET", "POST"):
        return _error_page(request, 4700, "Method not allowed.", status=405)
    if q.get("client_id") != settings.PLATFORM_APPS["zoom"]["client_id"]:
        return _error_page(request, 4702, f"Invalid client_id: {q.get('client_id', '')}")
    if q.get("response_type") != "code":
        return _error_page(request, 4700, "Invalid response_type.")
    redirect_uri = q.get("redirect_uri", "")
    if urlparse(redirect_uri).scheme not in ("http", "https") or not urlparse(redirect_uri).netloc:
        return _error_page(request, 4700, "Invalid redirect url")
    if not _registered(redirect_uri):
        return _error_page(request, 4709, "Redirect URI mismatch.")
    method = q.get("code_challenge_method", "plain" if q.get("code_challenge") else "")
    if method not in ("", "plain", "S256"):
        return _error_page(request, 4700, "Invalid code_challenge_method.")
    user = SandboxUser.objects.filter(platform=T.PLATFORM, email__iexact=email).first()
    if request.method == "GET":
        return render(
            request,
            "sandbox/zoom/consent.html",
            {
                "app_name": APP_NAME,
                "email": email,
                "known": user is not None,
                "user": user,
                "scopes": [(s, SCOPE_LABELS.get(s, s)) for s in T.USER_SCOPES],
            },
        )
    state = q.get("state", "")
    if request.POST.get("decision") != "allow":
        return _redirect(redirect_uri, error="access_denied", state=state)
    if user is None:
        return _error_page(request, 4700, f"No Zoom account for {email or 'that address'}.")
    if user.situation in A.AUTHORIZE_FAILURES:
        code, message = A.AUTHORIZE_FAILURES[user.situation]
        return _error_page(request, code, message, status=403)
    if user.situation in A.HEALED_BY_SIGN_IN:
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
    code = T.issue_code(
        user,
        {
            "redirect_uri": redirect_uri,
            "code_challenge": q.get("code_challenge", ""),
            "code_challenge_method": method,
            "client_id": q.get("client_id"),
            "scopes": T.USER_SCOPES,
        },
    )
    return _redirect(redirect_uri, code=code, state=state)
