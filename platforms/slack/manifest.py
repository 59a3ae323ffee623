"""The Slack app, as a manifest to paste into "Create New App > From an app manifest".

Built from SITE_URL and the scopes the code asks for (``platforms.slack.oauth``), so the app an
operator creates is exactly the one Mio uses. Fields follow Slack's manifest reference
(https://api.slack.com/reference/manifests) and validate against the SchemaStore schema
vendored in ``platforms/schemas/``. Events: ``app_uninstalled`` and ``tokens_revoked`` need no
scope; ``user_change`` needs ``users:read`` (https://api.slack.com/events/user_change).
"""

from __future__ import annotations

from typing import Any

from platforms.setup import Line, callback
from platforms.slack.oauth import BOT_SCOPES, USER_SCOPES

EVENTS = ["app_uninstalled", "tokens_revoked", "user_change"]  # platforms/slack/webhooks.py


def urls(site_url: str) -> dict[str, str]:
    base = site_url.rstrip("/")
    return {
        "resync": callback(base),
        "install": f"{base}/install/slack/callback/",
        "events": f"{base}/hooks/slack/events/",
    }


def manifest(site_url: str) -> dict[str, Any]:
    found = urls(site_url)
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "Mio Auto Heal",
            "description": "Keeps Mio's chat relay working: finds broken sign-ins and asks the "
            "right person to fix them.",
            "background_color": "#1f3a5f",
        },
        "features": {"bot_user": {"display_name": "mio-auto-heal", "always_online": True}},
        "oauth_config": {
            "redirect_urls": [found["resync"], found["install"]],
            "scopes": {"user": list(USER_SCOPES), "bot": list(BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {"request_url": found["events"], "bot_events": list(EVENTS)},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            # Rotation on: user tokens last 12 h and Mio refreshes them (docs/operations.md).
            "token_rotation_enabled": True,
        },
    }


def registration(site_url: str) -> list[Line]:
    found = urls(site_url)
    return [
        Line(
            "api.slack.com/apps > Create New App > From an app manifest",
            "manage.py platform_setup --slack-manifest slack-manifest.json",
        ),
        Line("OAuth & Permissions > Redirect URLs", found["resync"]),
        Line("OAuth & Permissions > Redirect URLs", found["install"]),
        Line("OAuth & Permissions > User Token Scopes", " ".join(USER_SCOPES)),
        Line("OAuth & Permissions > Bot Token Scopes", " ".join(BOT_SCOPES)),
        Line("OAuth & Permissions > Token Rotation", "opt in"),
        Line("Event Subscriptions > Request URL", found["events"]),
        Line("Event Subscriptions > Subscribe to bot events", " ".join(EVENTS)),
        Line(
            "Basic Information > App Credentials",
            "Client ID > SLACK_CLIENT_ID, Client Secret > SLACK_CLIENT_SECRET, "
            "Signing Secret > SLACK_SIGNING_SECRET",
        ),
    ]
