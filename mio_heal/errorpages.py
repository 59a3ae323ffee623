"""The product's own 403, 404 and 500 pages (and its favicon), in the demo as in production.

With DEBUG on, Django answers a view's ``Http404`` with its technical page, which lists the
URL patterns and reads like a crash; another tenant's incident must look like any page that
does not exist. ``ErrorPagesMiddleware`` renders ours for a view's ``Http404`` and for a path no
URL matches; ``mio_heal.urls`` names the handlers below for production. A view that renders its
own refusal (the re-sync pages, the dashboard's "Not allowed") keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_safe


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=HttpResponseNotFound.status_code)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=HttpResponseForbidden.status_code)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form older than the session, say; the 403 page explains."""
    return forbidden(request)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke (the database, a context processor) must not break
    # this page too.
    return HttpResponseServerError(loader.get_template("500.html").render({}))


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page's ``<link rel="icon">`` says."""
    return redirect(static("mio/favicon.svg"), permanent=True)


def _unrouted(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return True
    return False


class ErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Without DEBUG, Django already calls handler404 for a path no URL matches.
        if settings.DEBUG and response.status_code == 404 and _unrouted(request.path_info):
            return not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return not_found(request, exception)
        return None
