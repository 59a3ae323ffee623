"""``manage.py purge_old_data [--dry-run]``: every app's retention at once, counts per table."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ResyncLink
from accounts.resync.links import create_link
from dashboard.models import AuditEntry, DailySnapshot
from dashboard.tests.factories import make_incident, make_prompt
from notifications.models import Incident, OutboxMessage
from tests.factories import make_account, make_person, make_tenant
from tokens.models import CheckRecord

YEARS_AGO = timedelta(days=800)
MODELS = [Incident, OutboxMessage, ResyncLink, AuditEntry, DailySnapshot, CheckRecord]


def old_data_everywhere() -> None:
    tenant = make_tenant()
    account = make_account(make_person(tenant))
    with time_machine.travel(timezone.now() - YEARS_AGO, tick=False):
        incident = make_incident(account, resolved_at=timezone.now(), resolution="user_resync")
        make_prompt(incident, account.person, sent_at=timezone.now())
        create_link(account.person, account, incident)
        AuditEntry.objects.create(actor_name="admin", action="incident.close", tenant=tenant)
        DailySnapshot.objects.create(tenant=tenant, platform="slack", day=timezone.now().date())
        CheckRecord.objects.create(
            credential_id=account.credential_id, outcome="ok", state_after="healthy"
        )
    # Recent: stays.
    make_prompt(make_incident(account), account.person)


def run(*args: str) -> dict[str, str]:
    out = StringIO()
    call_command("purge_old_data", *args, stdout=out)
    return dict(line.split(None, 1) for line in out.getvalue().splitlines())


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in MODELS}


def test_a_dry_run_prints_what_each_table_would_lose_and_deletes_nothing(db) -> None:
    old_data_everywhere()
    before = counts()

    printed = run("--dry-run")

    assert counts() == before
    for model in MODELS:
        assert printed[model._meta.label] == "would delete 1"
    assert printed["notifications.AffectedAccount"] == "would delete 0"


def test_it_purges_every_app_and_prints_what_it_deleted(db) -> None:
    old_data_everywhere()
    before = counts()

    printed = run()

    for model in MODELS:
        assert printed[model._meta.label] == "deleted 1"
    assert counts() == {label: n - 1 for label, n in before.items()}
    assert Incident.objects.get().status == Incident.Status.OPEN
    assert run()["notifications.Incident"] == "deleted 0"
