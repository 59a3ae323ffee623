"""Entra's client credentials grant for the Entra app itself: an app-only Graph token.

``POST login/<tenant>/oauth2/v2.0/token`` with ``grant_type=client_credentials``, the app's
``client_id``/``client_secret`` and ``scope=https://graph.microsoft.com/.default`` answers
``{token_type, expires_in, ext_expires_in, access_token}``
(https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
"Successful response" and "Error response"). ``check_platforms`` uses it to prove the app's id
and secret work in a tenant. Fixtures: platforms/teams/fixtures/app_token/.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes
from platforms.sandbox.fakes.teams.entra import check_client, client_credentials
from platforms.sandbox.models import SandboxToken

PLATFORM = "teams"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def is_app_request(request: HttpRequest) -> bool:
    """A client-credentials call by the Entra app (not the bot)."""
    app = shapes.app()
    client_id, _ = client_credentials(request)
    return client_id == app["client_id"] and client_id != app["bot_app_id"]


def app_token(request: HttpRequest, tenant: str) -> HttpResponse:
    if answer := core.intercept(request, PLATFORM, "app_token"):
        return answer
    app = shapes.app()
    client_id, secret = client_credentials(request)
    if refused := check_client(
        request,
        client_id,
        secret,
        expected_id=app["client_id"],
        expected_secret=app["client_secret"],
    ):
        return refused
    scope = request.POST.get("scope", "")
    if GRAPH_DEFAULT not in scope.split():
        return shapes.entra_error(
            request,
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
        )
    now = int(time.time())
    token = shapes.jwt(
        {
            "aud": "https://graph.microsoft.com",
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": now,
            "nbf": now,
            "exp": now + shapes.ACCESS_TTL,
            "appid": client_id,
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{tenant}:{client_id}")),
            "roles": [],
            "tid": tenant,
            "ver": "1.0",
        }
    )
    core.issue(
        PLATFORM, SandboxToken.Kind.BOT, None, token, ttl=timedelta(seconds=shapes.ACCESS_TTL)
    )
    return JsonResponse(
        {
            "token_type": "Bearer",
            "expires_in": shapes.ACCESS_TTL,
            "ext_expires_in": shapes.ACCESS_TTL,
            "access_token": token,
        }
    )
