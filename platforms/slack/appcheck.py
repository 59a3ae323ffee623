"""Slack: the app's client id/secret (oauth.v2.access with a code that cannot be valid), the
signing secret being set, and each installed workspace's bot token (``auth.test``).

Slack checks the client before the code: a made-up code answers ``invalid_code`` when the client
id and secret are right, ``invalid_client_id`` / ``bad_client_secret`` when not
(https://api.slack.com/methods/oauth.v2.access, "Errors"). ``auth.test`` with a bot token answers
``ok`` with the ``bot_id`` (https://api.slack.com/methods/auth.test).
"""

from __future__ import annotations

from typing import Any

from platforms.appcheck import Finding, detail_of, missing, unreachable
from platforms.errors import PlatformError
from platforms.slack.client import call, web_client

PLATFORM = "slack"
# Never issued by Slack (codes are <digits>.<digits>.<hex>), so only the client is judged.
PROBE_CODE = "mio-appcheck-not-a-code"
APP_PAGE = "api.slack.com/apps > your app > Basic Information > App Credentials"
MAX_INSTALLATIONS = 20

CLIENT_PROBLEMS = {
    "invalid_client_id": (
        "SLACK_CLIENT_ID is not the client id of any Slack app.",
        f"Copy the Client ID from {APP_PAGE} into SLACK_CLIENT_ID.",
    ),
    "bad_client_secret": (
        "SLACK_CLIENT_SECRET does not belong to SLACK_CLIENT_ID.",
        f"Copy the Client Secret from {APP_PAGE} (Show) into SLACK_CLIENT_SECRET; if it was "
        "regenerated there, the old one stopped working.",
    ),
}
BOT_PROBLEMS = {
    "invalid_auth": "The stored bot token is not a valid token.",
    "token_revoked": "The bot token was revoked: the app was uninstalled from the workspace.",
    "account_inactive": "The bot token was revoked: the app was uninstalled from the workspace.",
    "token_expired": "The bot token expired and was not refreshed (token rotation).",
}


def check(app: dict[str, Any]) -> list[Finding]:
    if not app.get("client_id"):
        return [Finding(PLATFORM, "Slack app", ok=True, skipped=True, problem="Not configured.")]
    findings = [_client(app)]
    if not app.get("signing_secret"):
        findings.append(
            missing(PLATFORM, "Events signing secret", ["SLACK_SIGNING_SECRET"], APP_PAGE)
        )
    findings += _bots()
    return findings


def _client(app: dict[str, Any]) -> Finding:
    item = "App credentials (client id and secret)"
    if not app.get("client_secret"):
        return missing(PLATFORM, item, ["SLACK_CLIENT_SECRET"], APP_PAGE)
    try:
        call(
            "token",
            lambda: web_client().oauth_v2_access(
                client_id=app["client_id"], client_secret=app["client_secret"], code=PROBE_CODE
            ),
        )
    except PlatformError as err:
        if err.transient:
            return unreachable(PLATFORM, item, err)
        if err.evidence.error in ("invalid_code", "invalid_grant"):
            return Finding(PLATFORM, item, ok=True)  # the client passed; only the code failed
        problem, fix = CLIENT_PROBLEMS.get(
            err.evidence.error, ("Slack refused the app's credentials.", f"Check {APP_PAGE}.")
        )
        return Finding(PLATFORM, item, ok=False, problem=problem, fix=fix, detail=detail_of(err))
    return Finding(PLATFORM, item, ok=True)


def _bots() -> list[Finding]:
    from tokens.models import Installation
    from tokens.secret import reveal

    findings = []
    installations = (
        Installation.objects.filter(platform=PLATFORM, is_active=True)
        .select_related("tenant", "credential")
        .order_by("pk")[:MAX_INSTALLATIONS]
    )
    for installation in installations:
        item = f"Bot token of workspace {installation.workspace_id} ({installation.tenant.name})"
        token = reveal(installation.credential.access_token) if installation.credential else ""
        reinstall = (
            f"A tenant admin of {installation.tenant.name} installs the app again with "
            "'Add to Slack' on the dashboard."
        )
        if not token:
            findings.append(
                Finding(PLATFORM, item, ok=False, problem="No bot token is stored.", fix=reinstall)
            )
            continue
        try:
            answer = call("probe", lambda token=token: web_client(token).auth_test())
        except PlatformError as err:
            if err.transient:
                findings.append(unreachable(PLATFORM, item, err))
                continue
            problem = BOT_PROBLEMS.get(err.evidence.error, "Slack refused the bot token.")
            findings.append(
                Finding(
                    PLATFORM, item, ok=False, problem=problem, fix=reinstall, detail=detail_of(err)
                )
            )
            continue
        if not answer.get("bot_id"):
            findings.append(
                Finding(
                    PLATFORM,
                    item,
                    ok=False,
                    problem="The stored token is a user's token, not the app's bot token.",
                    fix=reinstall,
                )
            )
            continue
        findings.append(Finding(PLATFORM, item, ok=True))
    return findings
