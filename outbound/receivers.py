"""Where the engine's changes become webhook events, without the engine knowing about them.

- ``account.broken`` / ``account.healed``: from ``tokens.signals.credential_checked`` (sent in
  the transaction that records the check) when a user account enters a waiting state, or
  leaves one for ``healthy``;
- ``incident.opened``: an ``Incident`` row created;
- ``incident.resolved`` (and ``incident.verified`` for a verified admin fix):
  ``notifications.signals.incident_resolved``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from notifications.models import Incident, Resolution
from notifications.signals import incident_resolved
from outbound.emit import emit
from tokens.models import Credential, CredentialState
from tokens.scheduling import WAITING_STATES
from tokens.signals import credential_checked
from tokens.situations import audience_key


def connect() -> None:
    credential_checked.connect(on_checked, sender=Credential, dispatch_uid="outbound-checked")
    post_save.connect(on_incident_saved, sender=Incident, dispatch_uid="outbound-incident")
    incident_resolved.connect(on_resolved, dispatch_uid="outbound-resolved")


def account_data(credential: Credential, previous_state: str) -> dict[str, Any] | None:
    try:
        account = credential.account
    except Credential.account.RelatedObjectDoesNotExist:
        return None  # a bot's credential: no person's account
    return {
        "account": account.pk,
        "platform": account.platform,
        "user": account.upstream_user_id,
        "email": account.email or account.person.email,
        "state": credential.state,
        "previous_state": previous_state,
        "situation": credential.situation or None,
        "audience": audience_key(credential.situation),
        "since": credential.state_changed_at,
    }


def on_checked(
    sender: Any, *, credential: Credential, previous_state: str, changed: bool, **kw: Any
) -> None:
    if not changed or credential.state == previous_state:
        return
    if credential.state in WAITING_STATES and previous_state not in WAITING_STATES:
        event_type = "account.broken"
    elif credential.state == CredentialState.HEALTHY and previous_state in WAITING_STATES:
        event_type = "account.healed"
    else:
        return
    data = account_data(credential, previous_state)
    if data is not None:
        emit(credential.tenant_id, event_type, data)


def incident_data(incident: Incident) -> dict[str, Any]:
    return {
        "incident": incident.pk,
        "platform": incident.platform,
        "situation": incident.situation,
        "audience": incident.audience,
        "status": incident.status,
        "tenant_wide": incident.tenant_wide,
        "account": incident.account_id,
        "opened_at": incident.opened_at,
        "resolved_at": incident.resolved_at,
        "resolution": incident.resolution or None,
    }


def on_incident_saved(sender: Any, *, instance: Incident, created: bool, **kw: Any) -> None:
    if created and not kw.get("raw"):
        emit(instance.tenant_id, "incident.opened", incident_data(instance))


def on_resolved(sender: Any, *, incident: Incident, **kw: Any) -> None:
    data = incident_data(incident)
    emit(incident.tenant_id, "incident.resolved", data)
    if incident.resolution == Resolution.ADMIN_VERIFIED:
        emit(incident.tenant_id, "incident.verified", data)
