"""``GET /v1/people/me`` called with a bot's token: the bot's own details (``"type": "bot"``).

Webex answers people/me for any token, bots included; a bot's record has ``type: "bot"`` and
its ``@webex.bot`` email (https://developer.webex.com/docs/api/v1/people/get-my-own-details,
the ``type`` field: "person", "bot", "appuser"). Fixture: platforms/webex/fixtures/bot_probe/.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from platforms.sandbox import core
from platforms.sandbox.fakes.webex.shapes import BOT_EMAIL, KEY, bot_id, error, ok
from platforms.sandbox.models import SandboxToken


def bot_me(request: HttpRequest, bot: SandboxToken) -> HttpResponse:
    if answer := core.intercept(request, KEY, "bot_probe"):
        return answer
    if request.method != "GET":
        return error(405, "Method Not Allowed")
    return ok(
        {
            "id": bot_id(),
            "emails": [BOT_EMAIL],
            "phoneNumbers": [],
            "displayName": "Mio Auto Heal",
            "nickName": "Mio Auto Heal",
            "orgId": str(bot.meta.get("workspace_id") or ""),
            "created": "2024-01-15T09:00:00.000Z",
            "status": "unknown",
            "type": "bot",
        }
    )
