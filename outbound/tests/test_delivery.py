"""Webhook delivery: signed per Standard Webhooks, at least once through failures and timeouts,
a log of every attempt, secret rotation with overlap, auto-disable after a day, no SSRF."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from dashboard.tests.factories import make_tenant, make_user
from outbound import destinations
from outbound.emit import emit
from outbound.endpoints import create_endpoint, rotate_secret, send_again, set_active
from outbound.models import Attempt, Delivery, Endpoint, Event
from outbound.tasks import deliver_due
from outbound.tests.receiver import Receiver


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def fast(settings):
    settings.OUTBOUND_WEBHOOK_TIMEOUT = 0.3
    settings.OUTBOUND_WEBHOOK_RETRY_DELAYS = [0] * 12
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True  # the test receiver listens on loopback
    return settings


def drain(rounds: int = 20) -> None:
    for _ in range(rounds):
        if not Delivery.objects.filter(status="pending", endpoint__is_active=True).exists():
            return
        deliver_due()


def test_it_delivers_every_event_exactly_once_to_a_receiver_that_recovers(
    transactional_db, fast, receiver
) -> None:
    tenant = make_tenant("acme")
    hook = receiver(script=[500, 500, ("sleep", 0.6), 503, ("sleep", 0.6), 500])
    endpoint, secret = create_endpoint(tenant, hook.url)
    hook.secret = secret
    events = [emit(tenant, "account.healed", {"account": n}) for n in range(4)]
    drain()
    ids = [e.webhook_id for e in events]
    assert Counter(hook.acknowledged) == Counter(ids)  # each once, none missing
    assert set(hook.seen) == set(ids)  # retries carry the event's own webhook-id
    assert hook.bad_signatures == 0
    assert {hook.bodies[e.webhook_id]["data"]["account"] for e in events} == {0, 1, 2, 3}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    log = list(Attempt.objects.filter(delivery__endpoint=endpoint))
    assert len(log) == hook.requests == 4 + 6
    assert sorted(a.status_code or 0 for a in log) == [0, 0, 200, 200, 200, 200, 500, 500, 500, 503]
    assert {a.error for a in log if a.status_code is None} == {"timed out"}
    assert all(a.latency_ms >= 300 for a in log if a.error == "timed out")
    drain()  # nothing is sent again once acknowledged
    assert hook.requests == 10


def test_it_signs_with_both_secrets_while_a_rotation_overlaps(
    transactional_db, fast, receiver
) -> None:
    tenant = make_tenant("acme")
    hook = receiver()
    endpoint, old = create_endpoint(tenant, hook.url)
    new = rotate_secret(endpoint)
    for secret in (old, new):
        hook.secret = secret
        emit(tenant, "incident.opened", {"incident": 1})
    assert hook.bad_signatures == 0
    assert len(hook.acknowledged) == 2
    Endpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    hook.secret = old  # the overlap is over: the old secret no longer verifies
    emit(tenant, "incident.opened", {"incident": 2})
    assert hook.bad_signatures == 1
    assert Webhook(new)  # the new one is a valid Standard Webhooks secret


def test_it_disables_an_endpoint_after_a_day_of_failures_and_tells_its_admins(
    transactional_db, fast, receiver
) -> None:
    tenant = make_tenant("acme")
    admin = make_user(tenant)
    hook = receiver(script=[500] * 3)
    endpoint, hook.secret = create_endpoint(tenant, hook.url)
    emit(tenant, "account.broken", {"account": 1})  # attempt 1 fails: failing since now
    Endpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=25)
    )
    deliver_due()  # attempt 2 fails, a day after the first failure
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "no successful delivery" in endpoint.disabled_reason
    assert [m.to for m in mail.outbox] == [[admin.email]]
    emit(tenant, "account.healed", {"account": 1})  # a disabled endpoint gets no new events
    assert Event.objects.count() == 1
    set_active(endpoint, True)  # fixed: what waited goes out
    drain()
    assert hook.acknowledged == [Event.objects.get().webhook_id]


def test_it_sends_a_delivery_again_with_the_same_webhook_id(
    transactional_db, fast, receiver
) -> None:
    tenant = make_tenant("acme")
    hook = receiver()
    _, hook.secret = create_endpoint(tenant, hook.url)
    event = emit(tenant, "incident.resolved", {"incident": 9})
    send_again(Delivery.objects.get(event=event))
    assert hook.acknowledged == [event.webhook_id] * 2
    assert Attempt.objects.filter(delivery__event=event).count() == 2


def test_it_refuses_private_and_loopback_destinations_in_production(db, settings) -> None:
    settings.DEBUG = False
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = False
    tenant = make_tenant("acme")
    for url in (
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
        "https://[::1]/hook",
        "http://example.com/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
    ):
        with pytest.raises(destinations.Refused):
            create_endpoint(tenant, url)
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint, _ = create_endpoint(tenant, "https://10.1.2.3/hook")
    assert endpoint.pk


def test_it_refuses_at_delivery_time_when_private_destinations_become_refused(
    transactional_db, fast, settings
) -> None:
    tenant = make_tenant("acme")
    endpoint, _ = create_endpoint(tenant, "http://127.0.0.1:9/hook")  # allowed by the operator
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = False
    emit(tenant, "incident.opened", {"incident": 1})
    attempt = Attempt.objects.get(delivery__endpoint=endpoint)
    assert attempt.status_code is None
    assert attempt.error == "webhook URLs must use https://"


def test_it_forgets_old_events_but_never_one_still_waiting_to_go_out(db) -> None:
    from outbound.retention import purge

    tenant = make_tenant("acme")
    endpoint = Endpoint.objects.create(tenant=tenant, url="https://example.com/h", secret="s")
    old = timezone.now() - timedelta(days=31)
    done, waiting, recent = (
        Event.objects.create(tenant=tenant, type="account.healed", body="{}", created_at=at)
        for at in (old, old, timezone.now())
    )
    for event, status in ((done, "delivered"), (waiting, "pending"), (recent, "delivered")):
        delivery = Delivery.objects.create(endpoint=endpoint, event=event, status=status)
        Attempt.objects.create(delivery=delivery, status_code=200)
    assert purge(dry_run=True)["outbound.Event"] == 1
    counts = purge()
    assert counts["outbound.Event"] == 1
    assert counts["outbound.Attempt"] == 1
    assert set(Event.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}


def test_migrate_installs_the_webhook_schedules_once(db) -> None:
    from django_q.models import Schedule

    from outbound.tasks import install_schedules

    install_schedules()  # again, as every migrate does
    names = {"mio-webhooks-due", "mio-webhooks-retention"}
    assert sorted(Schedule.objects.filter(name__in=names).values_list("name", flat=True)) == sorted(
        names
    )


def test_it_announces_a_verified_admin_fix_as_resolved_and_verified(
    transactional_db, fast, receiver
) -> None:
    from dashboard.tests.factories import make_incident
    from notifications.incidents import resolve
    from notifications.models import Resolution
    from tests.factories import make_account, make_person

    tenant = make_tenant("acme")
    account = make_account(make_person(tenant), "teams")
    incident = make_incident(account, situation="user_disabled")
    hook = receiver()
    _, hook.secret = create_endpoint(tenant, hook.url, ["incident.resolved", "incident.verified"])
    assert resolve(incident, Resolution.ADMIN_VERIFIED, by="admin")
    assert not resolve(incident, Resolution.ADMIN_VERIFIED, by="admin")  # once
    types = [hook.bodies[i]["type"] for i in hook.acknowledged]
    assert types == ["incident.resolved", "incident.verified"]
    assert hook.bodies[hook.acknowledged[1]]["data"]["resolution"] == "admin_verified"
