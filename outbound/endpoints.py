"""Managing webhook endpoints: create, rotate the secret, send again, enable, auto-disable.

Every change is audited (``audit.records.record``), by the signed-in admin or, for the
automatic disable, by ``system``.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Membership, Tenant
from audit.records import record
from outbound import destinations
from outbound.models import EVENT_TYPES, Delivery, Endpoint

log = logging.getLogger(__name__)

ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def audit(
    action: str, target: Model, tenant_id: int, request: HttpRequest | None, **detail: Any
) -> None:
    record(request, action, tenant_id=tenant_id, target=target, detail=detail)


def create_endpoint(
    tenant: Tenant,
    url: str,
    event_types: Iterable[str] = (),
    description: str = "",
    *,
    request: HttpRequest | None = None,
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret (shown to the admin once; kept encrypted)."""
    destinations.check(url)
    types = [t for t in EVENT_TYPES if t in set(event_types)]
    secret = new_secret()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            tenant=tenant, url=url, event_types=types, description=description[:200], secret=secret
        )
        audit("webhook.create", endpoint, tenant.pk, request, url=url, event_types=types)
    return endpoint, secret


def rotate_secret(
    endpoint: Endpoint, *, request: HttpRequest | None = None, overlap: timedelta = ROTATION_OVERLAP
) -> str:
    """A new secret; the old one keeps signing too for ``overlap`` (both signatures are sent)."""
    secret = new_secret()
    with transaction.atomic():
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = timezone.now() + overlap
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        audit("webhook.rotate_secret", endpoint, endpoint.tenant_id, request)
    return secret


def send_again(delivery: Delivery, *, request: HttpRequest | None = None) -> None:
    """Deliver this event to its endpoint again (same webhook-id), now."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.PENDING, next_attempt_at=timezone.now(), claimed_until=None
        )
        audit(
            "webhook.send_again",
            delivery.endpoint,
            delivery.endpoint.tenant_id,
            request,
            delivery=delivery.pk,
            event=delivery.event.webhook_id,
        )
    transaction.on_commit(
        lambda: async_task("outbound.tasks.deliver", [delivery.pk], group="webhooks")
    )


def set_active(endpoint: Endpoint, active: bool, *, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            is_active=active,
            disabled_at=None if active else timezone.now(),
            disabled_reason="" if active else "disabled by an admin",
            failing_since=None,
        )
        audit(
            "webhook.enable" if active else "webhook.disable", endpoint, endpoint.tenant_id, request
        )
    if active:  # what waited while it was off goes out now
        transaction.on_commit(lambda: async_task("outbound.tasks.deliver_due", group="webhooks"))


def disable_failing(endpoint: Endpoint) -> bool:
    """A day of failures: disable the endpoint (once) and tell the tenant's admins."""
    reason = f"no successful delivery since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC"
    if not Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason[:200]
    ):
        return False
    audit("webhook.auto_disable", endpoint, endpoint.tenant_id, None, reason=reason)
    admins = list(
        Membership.objects.filter(tenant_id=endpoint.tenant_id, role=Membership.Role.ADMIN)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if admins:
        try:
            send_mail(
                subject="Mio disabled a webhook endpoint that kept failing",
                message=(
                    f"The webhook endpoint {endpoint.url} has answered no delivery successfully "
                    f"for a day ({reason}), so Mio stopped sending to it. Its events are kept: "
                    "fix the receiver, then enable the endpoint on the dashboard's Webhooks "
                    "page and they are delivered."
                ),
                from_email=None,
                recipient_list=admins,
            )
        except OSError:
            log.exception("could not email the admins of tenant %s", endpoint.tenant_id)
    return True
