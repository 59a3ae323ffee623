"""Content-Security-Policy and Cache-Control for every page (Django 5.2 has no built-in CSP).

- No inline script and no inline style: every page's CSS and JS are static files. The one
  ``<style>`` element Django's admin change list prints (when a list has no actions) is allowed
  by its hash. The platform sandbox's inbox (demo only, never in production) draws the colours
  the fakes received and keeps ``'unsafe-inline'`` styles for itself (``SANDBOX_STYLE_POLICY``).
- Forms post only to this site, and the redirects that follow a form (to start a platform's
  sign-in: re-sync, "Add to Slack", "Sign in with Microsoft") only to the platforms' sign-in
  hosts (or to the sandbox that stands in for them).
- Pages that show tenants' data or carry a secret in their URL (dashboard, Django admin, sign-in,
  re-sync and install pages), the API's answers, and every answer to a signed-in user, are
  ``no-store``: no shared cache or browser history keeps them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# django/contrib/admin/templates/admin/change_list.html (Django 5.2): the only inline style
# left on our pages, allowed by its exact content.
ADMIN_CHANGE_LIST_STYLE = "\n      #changelist table thead th:first-child {width: inherit}\n    "
# Where a platform's sign-in starts (the browser is redirected there after a form).
SIGN_IN_HOSTS = (
    "https://slack.com",
    "https://login.microsoftonline.com",
    "https://zoom.us",
    "https://webexapis.com",
)
# /api/ answers may carry tokens (the relay API hands access tokens to the relay).
NO_STORE_PREFIXES = ("/dashboard/", "/admin/", "/accounts/", "/resync/", "/install/", "/api/")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@functools.lru_cache(maxsize=8)
def policy(sandbox_url: str | None, *, sandbox_styles: bool = False) -> str:
    """The policy; ``sandbox_url`` (when the sandbox stands in for the platforms) may be posted
    and redirected to as well."""
    form_action = ["'self'", *SIGN_IN_HOSTS]
    if sandbox_url and _origin(sandbox_url):
        form_action.append(_origin(sandbox_url))
    styles = (
        "'self' 'unsafe-inline'" if sandbox_styles else f"'self' {_hash(ADMIN_CHANGE_LIST_STYLE)}"
    )
    return (
        f"default-src 'self'; img-src 'self' data:; style-src {styles}; script-src 'self'; "
        f"frame-ancestors 'none'; form-action {' '.join(form_action)}; base-uri 'self'"
    )


def current_policy(*, sandbox_styles: bool = False) -> str:
    sandbox = settings.SANDBOX_URL if settings.SANDBOX_ENABLED else None
    return policy(sandbox, sandbox_styles=sandbox_styles)


def sandbox_styles(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the sandbox's own pages: the colours a fake received are drawn as inline styles."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = current_policy(sandbox_styles=True)
        return response

    return wrapped


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", current_policy())
        user = getattr(request, "user", None)
        if request.path.startswith(NO_STORE_PREFIXES) or (user and user.is_authenticated):
            add_never_cache_headers(response)
        return response
