"""Webex: the bot's access token, by ``GET https://webexapis.com/v1/people/me``: 200 with
``"type": "bot"`` for a bot's token, 401 for a revoked or regenerated one
(https://developer.webex.com/docs/api/v1/people/get-my-own-details; bots:
https://developer.webex.com/docs/bots). The integration's client id and secret can only be
proven by a real sign-in, so they are checked for presence.
"""

from __future__ import annotations

from typing import Any

from platforms.appcheck import Finding, missing, unreachable
from platforms.errors import PlatformError
from platforms.http import REAL_BASES, request, session_for

PLATFORM = "webex"
ME_URL = f"{REAL_BASES['webex']['api']}/people/me"
BOT_PAGE = "developer.webex.com > My Webex Apps > your bot"
INTEGRATION_PAGE = "developer.webex.com > My Webex Apps > your integration"
MAX_INSTALLATIONS = 20


def check(app: dict[str, Any]) -> list[Finding]:
    if not app.get("client_id") and not app.get("bot_token"):
        return [Finding(PLATFORM, "Webex apps", ok=True, skipped=True, problem="Not configured.")]
    findings = []
    if app.get("client_id") and not app.get("client_secret"):
        findings.append(
            missing(PLATFORM, "Integration credentials", ["WEBEX_CLIENT_SECRET"], INTEGRATION_PAGE)
        )
    if app.get("bot_token"):
        findings.append(_bot("Bot token (WEBEX_BOT_TOKEN)", app["bot_token"], setting=True))
    findings += _installed_bots()
    if not any(f.item.startswith("Bot token") for f in findings):
        findings.append(missing(PLATFORM, "Bot token", ["WEBEX_BOT_TOKEN"], BOT_PAGE))
    return findings


def _installed_bots() -> list[Finding]:
    from tokens.models import Installation
    from tokens.secret import reveal

    rows = (
        Installation.objects.filter(platform=PLATFORM, is_active=True, credential__isnull=False)
        .select_related("tenant", "credential")
        .order_by("pk")[:MAX_INSTALLATIONS]
    )
    findings = []
    for row in rows:
        token = reveal(row.credential.access_token) or ""
        if token:
            findings.append(_bot(f"Bot token of {row.tenant.name}'s installation", token))
    return findings


def _bot(item: str, token: str, *, setting: bool = False) -> Finding:
    where = (
        f"{BOT_PAGE} > Regenerate Access Token, then put the new token in WEBEX_BOT_TOKEN."
        if setting
        else "Install the bot again for that tenant (a new bot token on its Installation)."
    )
    session = session_for(PLATFORM)
    try:
        response = request(
            session,
            "GET",
            ME_URL,
            platform=PLATFORM,
            endpoint="bot_probe",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
    except PlatformError as err:
        return unreachable(PLATFORM, item, err)
    finally:
        session.close()
    tracking = response.headers.get("TrackingID", "")
    detail = f"HTTP {response.status_code}" + (f"; trackingId {tracking}" if tracking else "")
    if response.status_code == 401:
        return Finding(
            PLATFORM,
            item,
            ok=False,
            problem="Webex does not accept the bot token (revoked, regenerated, or mistyped).",
            fix=where,
            detail=detail,
        )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict):
        return Finding(
            PLATFORM,
            item,
            ok=False,
            problem="Webex refused the bot token.",
            fix=where,
            detail=detail,
        )
    if body.get("type") != "bot":
        return Finding(
            PLATFORM,
            item,
            ok=False,
            problem=f"The token is not a bot's: it belongs to a {body.get('type') or 'person'} "
            f"({body.get('displayName', '')}).",
            fix=f"Use the bot's own access token from {BOT_PAGE}, not a personal token.",
            detail=detail,
        )
    return Finding(PLATFORM, item, ok=True)
