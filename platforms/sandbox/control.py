"""The sandbox control API (DESIGN.md): JSON over HTTP under /sandbox/api/."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from platforms.sandbox.models import (
    SandboxFaults,
    SandboxMessage,
    SandboxScript,
    SandboxUser,
)
from platforms.sandbox.registry import available


class BadRequest(Exception):
    pass


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _platform(value: Any) -> Any:
    fakes = available()
    if not isinstance(value, str) or value not in fakes:
        raise BadRequest(f"'platform' must be one of {sorted(fakes)}")
    return fakes[value]


def _user(platform: str, email: Any) -> SandboxUser:
    if not isinstance(email, str) or "@" not in email:
        raise BadRequest("'user' must be an email address")
    user = SandboxUser.objects.filter(platform=platform, email__iexact=email).first()
    if user is None:
        raise LookupError(f"no {platform} user {email} in the sandbox")
    return user


def api(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, **kw: Any) -> JsonResponse:
        try:
            return view(request, *args, **kw)
        except BadRequest as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        except LookupError as exc:
            return JsonResponse({"error": str(exc)}, status=404)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


@api
@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """What the sandbox can do: per platform, its situations, script endpoints and events."""
    return JsonResponse(
        {
            key: {
                "situations": sorted(fake.situations),
                "endpoints": fake.endpoints,
                "events": fake.events,
            }
            for key, fake in available().items()
        }
    )


@api
@require_POST
def reset(request: HttpRequest) -> JsonResponse:
    """Forget scripted behaviour, faults, situations and the inbox (users and tokens stay)."""
    with transaction.atomic():
        SandboxScript.objects.all().delete()
        SandboxFaults.objects.all().delete()
        SandboxMessage.objects.all().delete()
        SandboxUser.objects.exclude(situation="").update(situation="")
    return JsonResponse({"ok": True})


@api
@require_POST
def situation(request: HttpRequest) -> JsonResponse:
    body = _body(request)
    fake = _platform(body.get("platform"))
    key = body.get("situation")
    if key is not None and (not isinstance(key, str) or key not in fake.situations):
        raise BadRequest(
            f"{fake.key} cannot produce situation {key!r}; it can produce {sorted(fake.situations)}"
        )
    user = _user(fake.key, body.get("user"))
    user.situation = key or ""
    user.save(update_fields=["situation"])
    return JsonResponse({"ok": True, "user": user.email, "situation": key})


@api
@require_POST
def script(request: HttpRequest) -> JsonResponse:
    body = _body(request)
    fake = _platform(body.get("platform"))
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or endpoint not in fake.endpoints:
        raise BadRequest(f"'endpoint' must be one of {sorted(fake.endpoints)} for {fake.key}")
    status = body.get("status", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise BadRequest("'status' must be an HTTP status code")
    headers = body.get("headers") or {}
    if not isinstance(headers, dict):
        raise BadRequest("'headers' must be an object")
    times = body.get("times", 1)
    if not isinstance(times, int) or not 1 <= times <= 1_000_000:
        raise BadRequest("'times' must be a positive integer")
    raw = body.get("body", "")
    raw = raw if isinstance(raw, str) else json.dumps(raw)
    user = body.get("user")
    if user is not None and (not isinstance(user, str) or "@" not in user):
        raise BadRequest("'user' must be an email address or null")
    row = SandboxScript.objects.create(
        platform=fake.key,
        endpoint=endpoint,
        user_email=user or "",
        status=status,
        headers={str(k): str(v) for k, v in headers.items()},
        body=raw,
        times_left=times,
    )
    return JsonResponse({"ok": True, "id": row.pk})


@api
@require_POST
def faults(request: HttpRequest) -> JsonResponse:
    body = _body(request)
    fake = _platform(body.get("platform"))
    rate = body.get("error_rate", 0)
    latency = body.get("latency_ms", 0)
    if not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise BadRequest("'error_rate' must be a number from 0 to 1")
    if not isinstance(latency, int) or not 0 <= latency <= 60_000:
        raise BadRequest("'latency_ms' must be an integer from 0 to 60000")
    SandboxFaults.objects.update_or_create(
        platform=fake.key, defaults={"error_rate": float(rate), "latency_ms": latency}
    )
    return JsonResponse({"ok": True})


@api
@require_GET
def inbox(request: HttpRequest) -> JsonResponse:
    messages = SandboxMessage.objects.all()
    if platform := request.GET.get("platform"):
        _platform(platform)
        messages = messages.filter(platform=platform)
    if user := request.GET.get("user"):
        messages = messages.filter(recipient=user.lower())
    return JsonResponse(
        [
            {
                "platform": m.platform,
                "user": m.recipient,
                "at": m.at.isoformat(),
                "kind": m.kind,
                "sender": m.sender or None,
                "content_type": m.content_type,
                "payload": m.payload,
            }
            for m in messages.order_by("at", "pk")[:1000]
        ],
        safe=False,
    )


@api
@require_POST
def users(request: HttpRequest) -> JsonResponse:
    """Create (or find) a user with a fresh valid grant, as a finished sign-in would."""
    body = _body(request)
    fake = _platform(body.get("platform"))
    email = body.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise BadRequest("'email' must be an email address")
    user, grant = fake.provision(
        email.lower(), str(body.get("name") or ""), str(body.get("workspace_id") or "")
    )
    return JsonResponse(
        {
            "user": {
                "email": user.email,
                "upstream_id": user.upstream_id,
                "workspace_id": user.workspace_id,
            },
            "grant": grant,
        }
    )


@api
@require_POST
def event(request: HttpRequest) -> JsonResponse:
    """Make the platform push an event about a user to the project, signed like the real one."""
    body = _body(request)
    fake = _platform(body.get("platform"))
    name = body.get("event")
    if not isinstance(name, str) or name not in fake.events:
        raise BadRequest(f"'event' must be one of {sorted(fake.events)} for {fake.key}")
    user = _user(fake.key, body.get("user"))
    target = _own_site(body.get("target"))
    return JsonResponse({"ok": True, "delivery": fake.emit(name, user, target)})


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username is not None:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def _own_site(target: object) -> str:
    """Where the event goes: this site only (``SITE_URL``).

    The control API is unauthenticated (demo only): an arbitrary ``target`` would make the
    server send signed requests anywhere it can reach (SSRF), so any other origin is refused.
    Not the request's own host either: a Host header naming another port of this machine
    passes ALLOWED_HOSTS (which ignores ports).
    """
    if target is None or target == "":
        return settings.SITE_URL
    if not isinstance(target, str):
        raise BadRequest("'target' must be this site's base URL")
    if _origin(target) is not None and _origin(target) == _origin(settings.SITE_URL):
        return settings.SITE_URL
    raise BadRequest("'target' must be this site's base URL (events go to this site only)")
