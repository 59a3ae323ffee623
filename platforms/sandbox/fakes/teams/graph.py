"""The fake Microsoft Graph: ``GET /v1.0/me`` (under ``/sandbox/teams/graph/``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes, situations
from platforms.sandbox.models import SandboxToken

PLATFORM = "teams"


@csrf_exempt
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    token = core.find(PLATFORM, SandboxToken.Kind.ACCESS, core.bearer(request))
    user = token.user if token is not None else None
    if answer := core.intercept(request, PLATFORM, "probe", user.email if user else ""):
        return answer
    if not core.bearer(request):
        return shapes.graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
    if token is None or user is None:
        return shapes.graph_error(
            401,
            "InvalidAuthenticationToken",
            "IDX14100: JWT is not well formed, there are no dots (.).",
        )
    if token.revoked:
        return shapes.cae_challenge(
            "Continuous access evaluation resulted in challenge with result: InteractionRequired "
            "and code: TokenIssuedBeforeRevocationTimestamp"
        )
    if not core.usable(token):
        return shapes.graph_error(
            401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        )
    if failure := situations.graph_failure(user.situation, cae=bool(token.meta.get("cae"))):
        return failure
    name = user.name or user.email.split("@", 1)[0]
    given, _, surname = name.partition(" ")
    data = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "businessPhones": [],
        "displayName": name,
        "givenName": given,
        "surname": surname,
        "jobTitle": None,
        "mail": user.email,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "userPrincipalName": user.email,
        "id": user.upstream_id,
    }
    selected = [s for s in request.GET.get("$select", "").split(",") if s]
    if selected:
        data = {k: v for k, v in data.items() if k in selected or k == "@odata.context"}
    return JsonResponse(data)
