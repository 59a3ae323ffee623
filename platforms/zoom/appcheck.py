"""Zoom: the app's client id and secret, by the chatbot's client-credentials token
(``POST https://zoom.us/oauth/token?grant_type=client_credentials`` with HTTP Basic; Zoom's
"Chatbot API: get a chatbot token", https://developers.zoom.us/docs/team-chat-apps/send-a-chatbot-message/),
and the event secret and the bot JID being set.
"""

from __future__ import annotations

import json
from typing import Any

from platforms.appcheck import Finding, missing, unreachable
from platforms.errors import PlatformError
from platforms.http import REAL_BASES, request, session_for

PLATFORM = "zoom"
TOKEN_URL = f"{REAL_BASES['zoom']['oauth']}/token"
APP_PAGE = "marketplace.zoom.us > Manage > your app > App Credentials"


def check(app: dict[str, Any]) -> list[Finding]:
    if not app.get("client_id"):
        return [Finding(PLATFORM, "Zoom app", ok=True, skipped=True, problem="Not configured.")]
    findings = [_client(app)]
    lacking = [
        name
        for name, key in (("ZOOM_WEBHOOK_SECRET", "webhook_secret"), ("ZOOM_BOT_JID", "bot_jid"))
        if not app.get(key)
    ]
    if lacking:
        findings.append(
            missing(
                PLATFORM,
                "Event secret token and bot JID",
                lacking,
                "marketplace.zoom.us > your app > Features (Secret Token) and Surface > Team "
                "Chat (Bot JID).",
            )
        )
    return findings


def _client(app: dict[str, Any]) -> Finding:
    item = "App credentials (client credentials token)"
    if not app.get("client_secret"):
        return missing(PLATFORM, item, ["ZOOM_CLIENT_SECRET"], APP_PAGE)
    session = session_for(PLATFORM)
    try:
        response = request(
            session,
            "POST",
            TOKEN_URL,
            platform=PLATFORM,
            endpoint="bot_token",
            params={"grant_type": "client_credentials"},
            auth=(app["client_id"], app["client_secret"]),
        )
    except PlatformError as err:
        return unreachable(PLATFORM, item, err)
    finally:
        session.close()
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code == 200 and body.get("access_token"):
        return Finding(PLATFORM, item, ok=True)
    detail = f"HTTP {response.status_code}; " + json.dumps(
        {k: body.get(k) for k in ("error", "reason") if k in body}
    )
    if body.get("error") == "invalid_client":
        return Finding(
            PLATFORM,
            item,
            ok=False,
            problem="ZOOM_CLIENT_ID or ZOOM_CLIENT_SECRET is wrong (Zoom: invalid_client).",
            fix=f"Copy the Client ID and Client Secret from {APP_PAGE} (the Production pair, "
            "not Development) into ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET.",
            detail=detail,
        )
    if body.get("error") == "unsupported_grant_type":
        return Finding(
            PLATFORM,
            item,
            ok=False,
            problem="The Zoom app cannot get a chatbot token: it is not a General app with "
            "the Team Chat feature (chatbot).",
            fix="marketplace.zoom.us > your app > Features > Surface: enable Team Chat and the "
            "chatbot.",
            detail=detail,
        )
    return Finding(
        PLATFORM,
        item,
        ok=False,
        problem="Zoom refused the app's credentials.",
        fix=f"Check {APP_PAGE}.",
        detail=detail,
    )
