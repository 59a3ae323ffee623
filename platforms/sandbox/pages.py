"""Human pages of the sandbox: who is there, and each person's inbox per platform."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from mio_heal.middleware import sandbox_styles
from platforms.sandbox.models import SandboxMessage, SandboxUser
from platforms.sandbox.registry import available


def home(request: HttpRequest) -> HttpResponse:
    fakes = available()
    users = SandboxUser.objects.order_by("platform", "email")
    return render(request, "sandbox/home.html", {"fakes": fakes, "users": users})


@sandbox_styles
def inbox(request: HttpRequest, platform: str, email: str) -> HttpResponse:
    fake = available().get(platform)
    if fake is None:
        raise Http404("unknown platform")
    messages = SandboxMessage.objects.filter(platform=platform, recipient=email.lower()).order_by(
        "at", "pk"
    )
    items = [
        {"message": m, "person_text": person_text(m.payload)}
        if m.sender
        else {"message": m, **fake.inbox_context(m)}
        for m in messages
    ]
    return render(
        request,
        "sandbox/inbox.html",
        {
            "platform": platform,
            "label": fake.key,
            "email": email,
            "items": items,
            "item_template": f"sandbox/inbox/{platform}.html",
        },
    )


# Where each platform's user-send body holds its text: Slack ``text``, Graph
# ``body.content``, Zoom ``message``, Webex ``text`` or ``markdown``.
_TEXT_PATHS = (("text",), ("body", "content"), ("message",), ("markdown",))


def person_text(payload: str) -> str:
    """The text of a message a person sent with their own token (drawn as plain text)."""
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    for path in _TEXT_PATHS:
        value = body
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return value
    return payload
