"""Retention of re-sync links: used or expired ones go after a while; working ones never do."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from accounts import retention, tasks
from accounts.models import ResyncLink
from accounts.resync.links import create_link
from dashboard.tests.factories import make_incident
from notifications.models import Incident, OutboxMessage
from tests.factories import make_account, make_person, make_tenant
from tokens.models import PlatformAccount

DAY = timedelta(days=1)


def link_made(account: PlatformAccount, days_ago: int, incident: Incident | None = None):
    with time_machine.travel(timezone.now() - days_ago * DAY, tick=False):
        return create_link(account.person, account, incident)


def closed(account: PlatformAccount) -> Incident:
    return make_incident(account, resolved_at=timezone.now(), resolution="user_resync")


def prompt_naming(link: ResyncLink, incident: Incident, status: str) -> OutboxMessage:
    return OutboxMessage.objects.create(
        tenant=incident.tenant,
        incident=incident,
        recipient=link.person,
        audience="user",
        kind=OutboxMessage.Kind.PROMPT,
        template=OutboxMessage.Template.USER_PROMPT,
        channel="slack",
        idempotency_key=f"retention-link-{link.pk}-{status}",
        status=status,
        resync_link=link,
    )


def test_it_deletes_links_a_while_after_they_expired_or_were_used(db, settings) -> None:
    settings.RESYNC_LINK_MAX_AGE_DAYS = 7
    settings.RESYNC_LINK_RETENTION_DAYS = 30
    account = make_account(make_person(make_tenant()))
    expired_long_ago = link_made(account, 38, closed(account))  # expired 31 days ago
    expired_lately = link_made(account, 36)  # expired 29 days ago
    used_long_ago = link_made(account, 35)
    ResyncLink.objects.filter(pk=used_long_ago.pk).update(used_at=timezone.now() - 31 * DAY)
    used_lately = link_made(account, 2)
    ResyncLink.objects.filter(pk=used_lately.pk).update(used_at=timezone.now() - DAY)

    assert retention.purge() == {"accounts.ResyncLink": 2}

    left = set(ResyncLink.objects.values_list("pk", flat=True))
    assert left == {expired_lately.pk, used_lately.pk}
    assert expired_long_ago.pk not in left


def test_it_never_deletes_an_unused_link_that_still_works(db, settings) -> None:
    account = make_account(make_person(make_tenant()))
    # A link made to last a year, a year ago... and a day: still unused, still valid.
    with time_machine.travel(timezone.now() - 366 * DAY, tick=False):
        settings.RESYNC_LINK_MAX_AGE_DAYS = 400
        working = create_link(account.person, account)
    settings.RESYNC_LINK_RETENTION_DAYS = 0

    assert retention.purge() == {"accounts.ResyncLink": 0}
    assert ResyncLink.objects.filter(pk=working.pk).exists()


def test_it_keeps_the_links_of_an_open_incident(db) -> None:
    account = make_account(make_person(make_tenant()))
    incident = make_incident(account)  # open: an old link's page asks for a fresh one
    old = link_made(account, 200, incident)

    assert retention.purge() == {"accounts.ResyncLink": 0}
    assert ResyncLink.objects.filter(pk=old.pk).exists()


def test_it_keeps_a_link_a_message_may_still_send(db) -> None:
    account = make_account(make_person(make_tenant()))
    incident = closed(account)
    links = {status: link_made(account, 200, incident) for status in ("pending", "failed", "sent")}
    for status, link in links.items():
        prompt_naming(link, incident, status)

    assert retention.purge() == {"accounts.ResyncLink": 1}
    # Pending goes out with its URL; a failed one can be requeued by an admin.
    left = set(ResyncLink.objects.values_list("pk", flat=True))
    assert left == {links["pending"].pk, links["failed"].pk}


def test_a_dry_run_counts_and_deletes_nothing(db) -> None:
    account = make_account(make_person(make_tenant()))
    link_made(account, 100)

    assert retention.purge(dry_run=True) == {"accounts.ResyncLink": 1}
    assert ResyncLink.objects.count() == 1


def test_it_deletes_in_bounded_batches(db) -> None:
    account = make_account(make_person(make_tenant()))
    for _ in range(5):
        link_made(account, 100)

    with CaptureQueriesContext(connection) as queries:
        assert retention.purge(batch=2) == {"accounts.ResyncLink": 5}

    assert not ResyncLink.objects.exists()
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1


def test_the_retention_schedule_is_installed_once_and_keeps_its_timing(db) -> None:
    rows = Schedule.objects.filter(name="mio-accounts-retention")
    assert rows.count() == 1  # by migrate
    assert (rows[0].func, rows[0].schedule_type) == ("accounts.tasks.purge_old", "D")
    later = rows[0].next_run + timedelta(hours=3)
    rows.update(next_run=later)

    tasks.install_schedules()

    assert rows.count() == 1
    assert rows[0].next_run == later
    assert tasks.purge_old() == {"accounts.ResyncLink": 0}
