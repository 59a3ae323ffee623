"""Who may open a dashboard page: signed in, with a second factor, then tenant-scoped.

``dashboard_page`` wraps every GET page; ``dashboard_action`` every state-changing POST (CSRF is
checked by Django's middleware; the action is refused for viewers and audited by the view);
``dashboard_form`` a page that shows a form (GET) and takes it (POST, refused for viewers).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

View = Callable[..., HttpResponse]


# Recovery codes do not count: they are the way back in after losing a factor, not one.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_second_factor(user: Any) -> bool:
    """An authenticator app or a passkey: either is asked for at every sign-in."""
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def _gate(request: HttpRequest) -> HttpResponse | None:
    """The login and MFA checks every dashboard URL shares; None when the user may pass."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_active:
        return render(request, "dashboard/forbidden.html", status=403)
    if not has_second_factor(request.user):
        # allauth's own page (which also offers a passkey instead): the second factor is set up
        # before any tenant data is shown.
        messages.info(request, "The dashboard needs two-factor authentication: set it up first.")
        return redirect("mfa_activate_totp")
    return None


def dashboard_page(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _gate(request) or view(request, *args, **kwargs)

    return require_GET(wrapped)


def dashboard_action(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _gate(request) or view(request, *args, **kwargs)

    return require_POST(wrapped)


def dashboard_form(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _gate(request) or view(request, *args, **kwargs)

    return require_http_methods(["GET", "POST"])(wrapped)
