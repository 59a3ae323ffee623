"""Microsoft: the Entra app (an app-only Graph token by client credentials, in each customer
tenant Mio is installed in) and the Azure Bot (its Bot Framework token), both through msal.

The AADSTS codes that say which credential is wrong come from Entra's error reference
(https://learn.microsoft.com/entra/identity-platform/reference-error-codes) and the client
credentials flow (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
"""

from __future__ import annotations

from typing import Any

from platforms.appcheck import Finding, detail_of, missing, unreachable
from platforms.errors import PlatformError
from platforms.teams import entra

PLATFORM = "teams"
GRAPH_APP_ONLY = ["https://graph.microsoft.com/.default"]
MAX_TENANTS = 10
APP_PAGE = "Entra admin center > App registrations > your app"
BOT_PAGE = "Azure portal > your Azure Bot > Configuration"


def _problems(who: str, id_setting: str, secret_setting: str, page: str, tenant: str) -> dict:
    """AADSTS code -> (what is wrong, where to fix it)."""
    return {
        "7000215": (
            f"{secret_setting} is not a valid secret of the {who}.",
            f"{page} > Certificates & secrets: add a client secret and put its Value (not its "
            f"Secret ID) in {secret_setting}.",
        ),
        "7000222": (
            f"{secret_setting} has expired.",
            f"{page} > Certificates & secrets: add a new client secret, put its Value in "
            f"{secret_setting}, then delete the expired one.",
        ),
        "7000218": (f"{secret_setting} is empty.", f"Set {secret_setting}."),
        "700016": (
            f"{id_setting} is not an application in directory {tenant}.",
            f"Check {id_setting} against {page} > Overview > Application (client) ID. For a "
            "customer's tenant: its admin has not consented to the app yet (send them the "
            "admin-consent link from the dashboard).",
        ),
        "90002": (
            f"The directory {tenant} does not exist.",
            "Correct the tenant id (the Installation's workspace id, or TEAMS_BOT_TENANT_ID).",
        ),
        "700023": (
            f"The {who} is single-tenant, but its token was asked for in {tenant}.",
            "Set TEAMS_BOT_TENANT_ID to the bot's own tenant id (Azure Bot > Configuration > "
            "App Tenant ID).",
        ),
    }


def check(app: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    if app.get("client_id"):
        findings += _entra_app(app)
        if not app.get("graph_client_state"):
            findings.append(
                missing(
                    PLATFORM,
                    "Graph notifications secret",
                    ["GRAPH_CLIENT_STATE"],
                    "any long random string, the same on every machine.",
                )
            )
    if app.get("bot_app_id"):
        findings.append(_bot(app))
    if not findings:
        return [
            Finding(PLATFORM, "Microsoft apps", ok=True, skipped=True, problem="Not configured.")
        ]
    return findings


def _tenants() -> list[tuple[str, str]]:
    from tokens.models import Installation

    rows = (
        Installation.objects.filter(platform=PLATFORM, is_active=True)
        .select_related("tenant")
        .order_by("pk")[:MAX_TENANTS]
    )
    return [(row.workspace_id, row.tenant.name) for row in rows if row.workspace_id]


def _entra_app(app: dict[str, Any]) -> list[Finding]:
    if not app.get("client_secret"):
        return [missing(PLATFORM, "Entra app", ["MICROSOFT_CLIENT_SECRET"], APP_PAGE)]
    tenants = _tenants()
    if not tenants:
        return [
            Finding(
                PLATFORM,
                "Entra app (app-only token)",
                ok=True,
                skipped=True,
                problem="No Teams installation yet: there is no customer tenant to test in.",
            )
        ]
    findings = []
    for tenant_id, name in tenants:
        item = f"Entra app: app-only Graph token in {name}'s directory ({tenant_id})"
        findings.append(
            _token(
                item,
                tenant_id,
                client_id=app["client_id"],
                secret=app["client_secret"],
                scopes=GRAPH_APP_ONLY,
                problems=_problems(
                    "Entra app",
                    "MICROSOFT_CLIENT_ID",
                    "MICROSOFT_CLIENT_SECRET",
                    APP_PAGE,
                    tenant_id,
                ),
            )
        )
    return findings


def _bot(app: dict[str, Any]) -> Finding:
    item = "Azure Bot: Bot Framework token"
    if not app.get("bot_app_secret"):
        return missing(PLATFORM, item, ["TEAMS_BOT_APP_SECRET"], BOT_PAGE)
    tenant = str(app.get("bot_tenant_id") or "").strip() or entra.BOT_TENANT
    return _token(
        item,
        tenant,
        client_id=app["bot_app_id"],
        secret=app["bot_app_secret"],
        scopes=entra.BOT_SCOPES,
        problems=_problems(
            "Azure Bot",
            "TEAMS_BOT_APP_ID",
            "TEAMS_BOT_APP_SECRET",
            BOT_PAGE + " > Manage Password",
            tenant,
        ),
    )


def _token(
    item: str, tenant: str, *, client_id: str, secret: str, scopes: list[str], problems: dict
) -> Finding:
    http = entra.EntraHttp()
    try:
        entra.call(
            http,
            lambda: entra.application(
                tenant, http, client_id=client_id, secret=secret
            ).acquire_token_for_client(scopes=scopes),
            endpoint="app_token",
        )
    except PlatformError as err:
        if err.transient:
            return unreachable(PLATFORM, item, err)
        for code in err.evidence.error_codes:
            if code in problems:
                problem, fix = problems[code]
                return Finding(
                    PLATFORM, item, ok=False, problem=problem, fix=fix, detail=detail_of(err)
                )
        return Finding(
            PLATFORM,
            item,
            ok=False,
            problem="Entra refused the app's credentials.",
            fix="Search the AADSTS code in Entra's error reference and the sign-in logs "
            "(service principal sign-ins) by the correlation id.",
            detail=detail_of(err),
        )
    finally:
        http.close()
    return Finding(PLATFORM, item, ok=True)
