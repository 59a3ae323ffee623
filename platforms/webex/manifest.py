"""What to register for the Webex integration and bot (Webex has no importable manifest)."""

from __future__ import annotations

from platforms.setup import Line, callback
from platforms.webex.adapter import SCOPES


def registration(site_url: str) -> list[Line]:
    return [
        Line(
            "developer.webex.com > My Webex Apps > Create an Integration > Redirect URI",
            callback(site_url),
        ),
        Line("Integration > Scopes", " ".join(SCOPES)),
        Line(
            "Integration credentials",
            "Client ID > WEBEX_CLIENT_ID, Client Secret > WEBEX_CLIENT_SECRET",
        ),
        Line("My Webex Apps > Create a Bot > Bot access token", "WEBEX_BOT_TOKEN"),
    ]
