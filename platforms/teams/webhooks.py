"""Microsoft Graph lifecycle notifications: ``POST /hooks/graph/lifecycle/``.

Graph signs nothing here: a notification proves itself by carrying the ``clientState`` secret
Mio gave when it subscribed, one per subscription (``platforms.teams.subscriptions``). Graph
first validates the URL with ``?validationToken=…`` (answer
200 ``text/plain`` with the token, within 10 seconds); afterwards it POSTs
``{"value": [{"subscriptionId", "subscriptionExpirationDateTime", "tenantId", "clientState",
"lifecycleEvent"}]}`` and wants 202 quickly.

``reauthorizationRequired`` and ``subscriptionRemoved`` both say that Graph could no longer use
the grant behind the subscription (access token expiring or revoked, consent or policy
changed): every Teams account of that Entra tenant is checked now. ``missed`` says nothing about
tokens and is only acknowledged. A batch with any item that fails the checks changes nothing.
A batch whose token events all name Entra tenants Mio does not serve is refused (404, nothing
stored); in a mixed batch the known tenants' items are handled and the others logged, so one
stale subscription cannot hold back a served tenant's notification.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from platforms.teams import subscriptions
from tokens.events import UnknownWorkspace, report_platform_event

log = logging.getLogger(__name__)

EVENTS = {"reauthorizationRequired", "subscriptionRemoved"}
ACKNOWLEDGED = {"missed"}
MAX_BODY = 256 * 1024
MAX_TOKEN = 1024
# Entra tenant ids are GUIDs.
_TENANT = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@csrf_exempt
def lifecycle(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("validationToken")
    if token is not None:
        return _handshake(token)
    if request.method != "POST":
        return JsonResponse({"error": "POST lifecycle notifications here"}, status=405)
    try:
        items = _verified_items(request)
    except Refused as exc:
        log.warning("Graph lifecycle notification refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=exc.status)
    marked = 0
    token_events = [item for item in items if item["lifecycleEvent"] in EVENTS]
    unknown: list[str] = []
    for item in token_events:
        try:
            marked += report_platform_event(
                "teams",
                item["lifecycleEvent"],
                workspace_id=item["tenantId"],
                event_id=_event_id(item),
            )
        except UnknownWorkspace:
            unknown.append(item["tenantId"])
    if token_events and len(unknown) == len(token_events):
        message = f"Mio serves no Entra tenant {', '.join(sorted(set(unknown)))}."
        log.warning("Graph lifecycle notification refused: %s", message)
        return JsonResponse({"error": message}, status=404)
    if unknown:
        log.warning("Graph lifecycle: items for unserved tenants ignored: %s", unknown)
    log.info("Graph lifecycle: %d item(s), %d account(s) marked", len(items), marked)
    return HttpResponse(status=202)


def _handshake(token: str) -> HttpResponse:
    # Graph requires the token back exactly, as text/plain; bounded so the echo is not a toy.
    if not token or len(token) > MAX_TOKEN:
        return JsonResponse({"error": "validationToken must be 1 to 1024 characters"}, status=400)
    return HttpResponse(token, content_type="text/plain; charset=utf-8", status=200)


def _verified_items(request: HttpRequest) -> list[dict[str, Any]]:
    if len(request.body) > MAX_BODY:
        raise Refused(413, "the notification is too large")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "the body must be JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("value"), list) or not body["value"]:
        raise Refused(400, "the body must be an object with a non-empty 'value' list")
    if not subscriptions.key():
        raise Refused(403, "no Graph clientState is configured; notifications cannot be trusted")
    items = []
    for item in body["value"]:
        if not isinstance(item, dict):
            raise Refused(400, "each notification must be an object")
        # Each subscription has its own clientState: the one for the tenant the item names.
        if not subscriptions.matches(item.get("clientState"), item.get("tenantId")):
            raise Refused(403, "clientState does not match")
        event = item.get("lifecycleEvent")
        if not isinstance(event, str) or not event:
            raise Refused(400, "each notification needs a 'lifecycleEvent'")
        tenant = item.get("tenantId")
        if event in EVENTS and (not isinstance(tenant, str) or not _TENANT.match(tenant)):
            raise Refused(400, "'tenantId' must be the Entra tenant id (a GUID)")
        items.append(item)
    return items


def _event_id(item: dict[str, Any]) -> str:
    # Graph gives lifecycle notifications no id of their own; a retried delivery repeats these.
    return ":".join(
        str(item.get(k) or "")
        for k in ("subscriptionId", "lifecycleEvent", "subscriptionExpirationDateTime")
    )[:200]
