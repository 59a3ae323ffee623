"""Push detection: report_platform_event marks the accounts, dedupes, and gets them checked."""

from __future__ import annotations

import pytest

from tests.factories import make_tenant
from tokens.events import report_platform_event
from tokens.models import CheckRecord, CredentialState, ProcessedEvent
from tokens.tests.conftest import PLATFORMS, fresh

pytestmark = pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")


def test_it_checks_the_named_user_at_once_and_records_the_event(sandbox, enroll) -> None:
    ada = enroll("slack")
    bob = enroll("slack", tenant=ada.person.tenant)
    sandbox.situation("slack", ada.person.email, "grant_revoked")
    marked = report_platform_event(
        "slack",
        "tokens_revoked",
        workspace_id=ada.workspace_id,
        upstream_user_ids=[ada.upstream_user_id],
        event_id="Ev001",
    )
    assert marked == 1
    credential = fresh(ada)
    assert credential.state == CredentialState.WAITING_USER
    assert credential.situation == "grant_revoked"
    check = CheckRecord.objects.get(credential=credential)
    assert check.source == CheckRecord.Source.EVENT
    assert check.outcome == CheckRecord.Outcome.PROBLEM
    # The colleague was not named: not checked.
    assert not CheckRecord.objects.filter(credential_id=bob.credential_id).exists()


def test_it_ignores_a_retried_delivery_of_the_same_event(sandbox, enroll) -> None:
    ada = enroll("slack")
    kwargs = {"workspace_id": ada.workspace_id, "upstream_user_ids": [ada.upstream_user_id]}
    assert report_platform_event("slack", "tokens_revoked", event_id="Ev002", **kwargs) == 1
    assert report_platform_event("slack", "tokens_revoked", event_id="Ev002", **kwargs) == 0
    assert CheckRecord.objects.filter(credential_id=ada.credential_id).count() == 1
    assert ProcessedEvent.objects.filter(platform="slack", event_id="Ev002").count() == 1


def test_it_checks_every_account_of_the_workspace_when_no_user_is_named(sandbox, enroll) -> None:
    ada = enroll("slack")
    bob = enroll("slack", tenant=ada.person.tenant)
    other = enroll("slack", tenant=make_tenant(primary_platform="slack"))
    assert other.workspace_id != ada.workspace_id
    marked = report_platform_event(
        "slack", "app_uninstalled", workspace_id=ada.workspace_id, event_id="Ev003"
    )
    assert marked == 2
    for account in (ada, bob):
        assert CheckRecord.objects.filter(
            credential_id=account.credential_id, source=CheckRecord.Source.EVENT
        ).exists()
    assert not CheckRecord.objects.filter(credential_id=other.credential_id).exists()


def test_it_lets_the_event_name_a_problem_the_check_confirms(sandbox, enroll) -> None:
    ada = enroll("slack")
    # The probe alone reads a revoked grant; the platform's event says the app was removed.
    sandbox.situation("slack", ada.person.email, "grant_revoked")
    report_platform_event(
        "slack",
        "app_uninstalled",
        workspace_id=ada.workspace_id,
        event_id="Ev004",
        situation_hint="app_uninstalled",
    )
    credential = fresh(ada)
    assert credential.situation == "app_uninstalled"
    assert credential.state == CredentialState.WAITING_ADMIN


def test_it_keeps_a_healthy_answer_over_the_events_hint(sandbox, enroll) -> None:
    ada = enroll("slack")
    report_platform_event(
        "slack",
        "app_uninstalled",
        workspace_id=ada.workspace_id,
        event_id="Ev005",
        situation_hint="app_uninstalled",
    )
    assert fresh(ada).state == CredentialState.HEALTHY


def test_it_marks_nothing_for_an_event_naming_no_workspace_and_no_user(db) -> None:
    assert report_platform_event("slack", "tokens_revoked", event_id="Ev006") == 0
    assert not ProcessedEvent.objects.exists()


def test_it_refuses_an_unknown_platform_or_situation(db) -> None:
    with pytest.raises(ValueError, match="platform"):
        report_platform_event("myspace", "x", workspace_id="W1")
    with pytest.raises(ValueError, match="situation"):
        report_platform_event("slack", "x", workspace_id="W1", situation_hint="bored")
