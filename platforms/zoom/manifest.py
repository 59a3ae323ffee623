"""What to register for the Zoom General app (Zoom has no importable manifest)."""

from __future__ import annotations

from platforms.setup import Line, callback

# What the sandbox's demo app is registered with (docs/operations.md, Zoom): the checks call
# GET /v2/users/me, the chatbot POST /v2/im/chat/messages.
USER_SCOPES = ["user:read:user", "team_chat:read:user_message", "team_chat:write:user_message"]
BOT_SCOPES = ["imchat:bot"]
EVENTS = ["app_deauthorized"]


def registration(site_url: str) -> list[Line]:
    base = site_url.rstrip("/")
    return [
        Line("marketplace.zoom.us > Develop > Build App", "General app, user-managed"),
        Line("Basic Information > OAuth Redirect URL", callback(base)),
        Line("Basic Information > OAuth Allow List", callback(base)),
        Line("Scopes (user)", " ".join(USER_SCOPES)),
        Line("Scopes (chatbot)", " ".join(BOT_SCOPES)),
        Line("Features > Access > Event Subscription > Endpoint URL", f"{base}/hooks/zoom/events/"),
        Line("Features > Access > Event Subscription > Events", " ".join(EVENTS)),
        Line("Features > Surface > Team Chat > Bot endpoint URL", f"{base}/hooks/zoom/events/"),
        Line("App Credentials", "Client ID > ZOOM_CLIENT_ID, Client Secret > ZOOM_CLIENT_SECRET"),
        Line("Features > Access > Secret Token", "ZOOM_WEBHOOK_SECRET"),
        Line("Features > Surface > Team Chat > Bot JID", "ZOOM_BOT_JID"),
    ]
