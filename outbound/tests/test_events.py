"""The engine's changes become webhook events: broken, healed, incident opened and resolved."""

from __future__ import annotations

import pytest

from outbound.endpoints import create_endpoint
from outbound.tests.receiver import Receiver
from tokens.services import check_now
from tokens.tests.conftest import PLATFORMS, enroll  # noqa: F401

pytestmark = pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack sandbox")


def test_it_announces_an_account_breaking_and_healing(sandbox, enroll, settings) -> None:  # noqa: F811
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    account = enroll("slack")
    hook = Receiver()
    try:
        _, hook.secret = create_endpoint(account.person.tenant, hook.url)
        sandbox.situation("slack", account.person.email, "grant_revoked")
        check_now([account.credential_id])
        check_now([account.credential_id])  # still broken: nothing new to say
        sandbox.situation("slack", account.person.email, None)
        check_now([account.credential_id])
        received = [hook.bodies[i] for i in hook.acknowledged]
    finally:
        hook.close()
    types = [b["type"] for b in received]
    # Each check's events in its own order (the incident is written by the same check).
    assert sorted(types[:2]) == ["account.broken", "incident.opened"]
    assert sorted(types[2:]) == ["account.healed", "incident.resolved"]
    by_type = {b["type"]: b for b in received}
    broken, opened = by_type["account.broken"], by_type["incident.opened"]
    healed, resolved = by_type["account.healed"], by_type["incident.resolved"]
    assert broken["data"]["account"] == account.pk
    assert broken["data"]["situation"] == "grant_revoked"
    assert broken["data"]["audience"] == "user"
    assert healed["data"]["state"] == "healthy"
    assert healed["data"]["previous_state"] == "waiting_user"
    assert opened["data"]["incident"] == resolved["data"]["incident"]
    assert resolved["data"]["status"] == "resolved"
