"""The relay API, version 1: one NinjaAPI, one router per resource, errors as JSON."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

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
        {"detail": "a valid relay key is required: 'Authorization: Bearer <key>'"},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="mio-relay"'
    return response


@api.exception_handler(MissingScope)
def forbidden(request: HttpRequest, exc: MissingScope) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(RateLimited)
def throttled(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request, {"detail": str(exc), "retry_after": exc.retry_after}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response
