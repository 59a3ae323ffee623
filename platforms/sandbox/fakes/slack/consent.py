"""The fake Slack authorize step: ``/oauth/v2/authorize`` with an Allow / Cancel page.

GET shows who is signed in (``login_hint``, or an email typed in), the app and the scopes it
asks for; POST to the same URL answers with a 302 to ``redirect_uri`` carrying ``code`` and
``state`` (or ``error=access_denied``). Codes are single use, live ten minutes, and are bound
to the redirect URI and the PKCE challenge. Signing in again heals what a re-sign-in heals;
a workspace whose admins block the app refuses, as Slack does.

With bot scopes (``scope=``) it is "Add to Slack": the signed-in user installs the app in their
workspace, and the code redeems for the workspace's bot token. Installing again is what brings
a removed app back, so it heals ``app_uninstalled`` for the whole workspace.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.slack import state
from platforms.sandbox.fakes.slack.state import PLATFORM
from platforms.sandbox.models import SandboxUser

TEMPLATE = "sandbox/slack/consent.html"


class _Redirect(HttpResponseRedirect):
    # The app's redirect URI may be any http(s) URL, local in the sandbox.
    allowed_schemes = ["http", "https"]


@csrf_exempt
def authorize(request: HttpRequest) -> HttpResponse:
    email = str(request.POST.get("account") or request.GET.get("login_hint") or "").strip()
    user = (
        SandboxUser.objects.filter(platform=PLATFORM, email__iexact=email).first()
        if email
        else None
    )
    if hit := core.intercept(request, PLATFORM, "authorize", user.email if user else ""):
        return hit
    query = request.GET
    problem = _bad_request(query)
    if problem:
        return _page(request, {"problem": problem}, status=400)
    context = {
        "app_name": state.APP_NAME,
        "scopes": [
            {"name": s, "words": state.BOT_SCOPE_WORDS.get(s, s)} for s in _bot_scopes(query)
        ]
        + [{"name": s, "words": state.SCOPE_WORDS.get(s, s)} for s in _user_scopes(query)],
        "user": user,
        "email": email,
        "team": state.team_name(user) if user else "",
        "blocked": user is not None and _blocked(user, installing=bool(_bot_scopes(query))),
    }
    if request.method != "POST":
        return _page(request, context)
    decision = request.POST.get("decision")
    if decision == "deny":
        return _back(query, error="access_denied")
    if decision != "allow":
        return _page(request, {**context, "problem": "Choose Allow or Cancel."}, status=400)
    if user is None:
        context["problem"] = "Sign in with the email of a sandbox Slack user first."
        return _page(request, context, status=400)
    if context["blocked"]:
        # The workspace's admins must act (reinstall, approve, reactivate): no code.
        return _back(query, error="access_denied")
    if user.situation in state.USER_FIXABLE:
        SandboxUser.objects.filter(pk=user.pk).update(situation="")
    if _bot_scopes(query):
        # The app is (re)installed: removing it is what app_uninstalled means.
        SandboxUser.objects.filter(
            platform=PLATFORM, workspace_id=user.workspace_id, situation="app_uninstalled"
        ).update(situation="")
    code = state.mint_code(
        user,
        {
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "user_scope": query.get("user_scope", ""),
            "scope": ",".join(_bot_scopes(query)),
            "code_challenge": query.get("code_challenge", ""),
            "code_challenge_method": query.get("code_challenge_method", ""),
        },
    )
    return _back(query, code=code)


def _bad_request(query: Any) -> str:
    if query.get("client_id") != settings.PLATFORM_APPS[PLATFORM]["client_id"]:
        return "invalid_client_id: this app is not known to Slack."
    redirect = urlparse(query.get("redirect_uri", ""))
    if redirect.scheme not in ("http", "https") or not redirect.netloc:
        return "bad_redirect_uri: redirect_uri must be an absolute http(s) URL."
    if not _scopes(query):
        return "invalid_scope: the request asks for no scopes."
    if unknown := [s for s in _bot_scopes(query) if s not in state.BOT_SCOPE_WORDS]:
        return f"invalid_scope: {unknown[0][:40]} is not a bot scope this app may ask for."
    if query.get("code_challenge_method", "S256") not in ("S256", "plain"):
        return "invalid_code_challenge_method: use S256."
    return ""


def _scopes(query: Any) -> list[str]:
    return _bot_scopes(query) + _user_scopes(query)


def _user_scopes(query: Any) -> list[str]:
    return [s for s in query.get("user_scope", "").split(",") if s]


def _bot_scopes(query: Any) -> list[str]:
    return [s for s in query.get("scope", "").split(",") if s]


def _blocked(user: SandboxUser, *, installing: bool) -> bool:
    """Whether the workspace's admins keep ``user`` from this consent.

    Installing the app is itself the fix for ``app_uninstalled``; a deactivated member, a
    suspended or ungranted app still cannot.
    """
    situation = state.situation_of(user)
    if installing and situation == "app_uninstalled":
        return False
    return situation in state.ADMIN_BLOCKED


def _back(query: Any, **params: str) -> HttpResponse:
    if state_value := query.get("state"):
        params["state"] = state_value
    uri = query["redirect_uri"]
    return _Redirect(f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}")


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("app_name", state.APP_NAME)
    return render(request, TEMPLATE, context, status=status)
