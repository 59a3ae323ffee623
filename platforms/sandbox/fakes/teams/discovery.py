"""The fake Entra ID's OpenID discovery: ``<tenant>/v2.0/.well-known/openid-configuration``.

The document names the REAL token endpoint (msal only accepts https; Mio's HTTP client routes it
here) and the sandbox's own authorize page (the browser must reach it). A tenant that is neither
a directory GUID, a domain name nor one of Entra's aliases is refused with AADSTS90002, as Entra
does (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
Fixtures: ``platforms/teams/fixtures/discovery/``.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from platforms.sandbox import core
from platforms.sandbox.fakes.teams import shapes

PLATFORM = "teams"
LOGIN = "https://login.microsoftonline.com"
# Tenants an authority may name besides a directory's GUID (or a verified domain name).
TENANT_ALIASES = {"common", "organizations", "consumers", "botframework.com"}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def known_tenant(tenant: str) -> bool:
    value = tenant.lower()
    return value in TENANT_ALIASES or bool(_GUID.match(value) or _DOMAIN.match(value))


@csrf_exempt
@require_GET
def discovery(request: HttpRequest, tenant: str) -> HttpResponse:
    if answer := core.intercept(request, PLATFORM, "discovery"):
        return answer
    if not known_tenant(tenant):
        # https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
        # AADSTS90002 InvalidTenantName.
        return shapes.entra_error(
            request,
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud.",
        )
    issuer_tenant = "{tenantid}" if tenant in ("common", "organizations") else tenant
    authorize = request.build_absolute_uri(reverse("sandbox-teams:authorize", args=[tenant]))
    return JsonResponse(
        {
            "token_endpoint": f"{LOGIN}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{LOGIN}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{LOGIN}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": authorize,
            "device_authorization_endpoint": f"{LOGIN}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{LOGIN}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "oid", "tid"],
            "kerberos_endpoint": f"{LOGIN}/{tenant}/kerberos",
            # A directory has a region; the multi-tenant aliases have none (null).
            "tenant_region_scope": None if tenant.lower() in TENANT_ALIASES else "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
    )
