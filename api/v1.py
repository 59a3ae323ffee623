"""The relay API, version 1: one NinjaAPI, one router per resource, errors as JSON."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from api import accounts, incidents, relay_events, tokens
from api.keys import MissingScope, RateLimited

api = NinjaAPI(
    title="Mio Auto Heal relay API",
    version="1",
    description=(
        "What a relay needs to send as people through token trouble: their access tokens "
        "(never refresh them yourself), their accounts' state, incidents, and a place to "
        "report send outcomes. Authenticate with `Authorization: Bearer <relay key>` "
        "(`manage.py relay_key`, or the dashboard's Relay keys page). See docs/relay.md."
    ),
    urls_namespace="api-v1",
    docs_url="/docs/",
    openapi_url="/openapi.json",
)
api.add_router("/tokens/", tokens.router)
api.add_router("/accounts/", accounts.router)
api.add_router("/incidents/", incidents.router)
api.add_router("/relay-events/", relay_events.router)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"error": "a valid relay key is required: 'Authorization: Bearer <key>'"},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="mio-relay"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Raised by django-ninja itself, e.g. 400 for a body that is not JSON.
    message = "the body must be JSON" if exc.status_code == 400 else str(exc)
    return api.create_response(request, {"error": message}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"error": "not found"}, status=404)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    where = ", ".join(
        ".".join(str(part) for part in e.get("loc", ())[1:]) or "body" for e in exc.errors[:5]
    )
    return api.create_response(
        request,
        {"error": f"the request is not valid ({where})", "detail": exc.errors},
        status=422,
    )


@api.exception_handler(MissingScope)
def forbidden(request: HttpRequest, exc: MissingScope) -> HttpResponse:
    return api.create_response(request, {"error": str(exc)}, status=403)


@api.exception_handler(RateLimited)
def throttled(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request, {"error": str(exc), "retry_after": exc.retry_after}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response
