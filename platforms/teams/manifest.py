"""The Teams app package (manifest.json + two icons, zipped) for upload, and what to register
in Entra and Azure for Mio.

The manifest follows Microsoft's app manifest schema v1.29 (vendored in ``platforms/schemas/``,
https://learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema): one bot,
personal scope, notification-only (Auto Heal only sends proactive 1:1 messages), and SITE_URL's
host as the valid domain (the re-sync links open there). Its app id is derived from the bot id,
so a package built again replaces the same app instead of adding a second one.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any
from urllib.parse import urlsplit

from platforms.setup import Line, callback
from platforms.teams.entra import BOT_SCOPES, USER_SCOPES
from platforms.teams.icons import ACCENT, color_icon, outline_icon

SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
APP_NAMESPACE = uuid.UUID("3c0f2a6e-2b0e-4f7b-9a53-8a1d3e0c9b41")


def app_id(bot_app_id: str) -> str:
    return str(uuid.uuid5(APP_NAMESPACE, bot_app_id.lower()))


def manifest(site_url: str, bot_app_id: str, version: str = "1.0.0") -> dict[str, Any]:
    base = site_url.rstrip("/")
    host = urlsplit(base).hostname or ""
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": "1.29",
        "version": version,
        "id": app_id(bot_app_id),
        "developer": {
            "name": "Mio Auto Heal",
            "websiteUrl": f"{base}/",
            "privacyUrl": f"{base}/",
            "termsOfUseUrl": f"{base}/",
        },
        "name": {"short": "Mio Auto Heal", "full": "Mio Auto Heal"},
        "description": {
            "short": "Tells you when Mio needs you to sign in again.",
            "full": "Mio relays your messages between chat platforms. When a sign-in stops "
            "working, Mio Auto Heal sends you a message with a link to fix it, and tells your "
            "administrators when something on their side needs attention.",
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02x}{:02x}{:02x}".format(*ACCENT),
        "bots": [
            {
                "botId": bot_app_id,
                "scopes": ["personal"],
                "isNotificationOnly": True,
                "supportsFiles": False,
            }
        ],
        "permissions": ["identity"],
        "validDomains": [host],
    }


def package(site_url: str, bot_app_id: str, version: str = "1.0.0") -> bytes:
    """The zip to upload in Teams admin center (Manage apps > Upload) or Developer Portal."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "manifest.json", json.dumps(manifest(site_url, bot_app_id, version), indent=2)
        )
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()


def registration(site_url: str) -> list[Line]:
    base = site_url.rstrip("/")
    return [
        Line(
            "Entra admin center > App registrations > New registration > Supported account types",
            "Accounts in any organizational directory (multitenant)",
        ),
        Line("Authentication > Web > Redirect URIs", callback(base)),
        Line(
            "Authentication > Web > Redirect URIs (dashboard's Microsoft sign-in)",
            f"{base}/accounts/microsoft/login/callback/",
        ),
        Line(
            "API permissions > Microsoft Graph > Delegated",
            " ".join(USER_SCOPES) + " (msal adds openid profile offline_access)",
        ),
        Line(
            "Overview / Certificates & secrets",
            "Application (client) ID > MICROSOFT_CLIENT_ID, "
            "a client secret's Value > MICROSOFT_CLIENT_SECRET",
        ),
        Line(
            "Admin consent link for a customer",
            "https://login.microsoftonline.com/<their tenant id>/adminconsent"
            "?client_id=<MICROSOFT_CLIENT_ID>",
        ),
        Line(
            "Graph subscriptions (made by the relay) > lifecycleNotificationUrl",
            f"{base}/hooks/graph/lifecycle/",
        ),
        Line("Graph subscriptions > clientState", "GRAPH_CLIENT_STATE"),
        Line(
            "Azure portal > Azure Bot > Configuration",
            "Microsoft App ID > TEAMS_BOT_APP_ID, its secret > TEAMS_BOT_APP_SECRET, "
            "App Tenant ID (single-tenant) > TEAMS_BOT_TENANT_ID",
        ),
        Line("Azure Bot token scope (for reference)", " ".join(BOT_SCOPES)),
        Line("Azure Bot > Channels", "Microsoft Teams"),
        Line(
            "Teams admin center > Manage apps > Upload",
            "manage.py platform_setup --teams-package mio-teams.zip",
        ),
    ]
