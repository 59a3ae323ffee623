"""The audit log in words with its filters, and the streamed CSV exports (audit, people and
accounts, incidents): scoped to the user's tenants, never a token, never a live formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import Membership
from dashboard.models import AuditEntry
from tests.factories import make_account, make_person
from tokens.models import Credential
from tokens.secret import reveal

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[dict]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def ada(world):
    """The member of A is Ada Hopper, a person of A."""
    person = make_person(world["a"], name="Ada Hopper")
    Membership.objects.filter(user=world["member_a"]).update(person=person)
    return world["member_a"]


def entry(user, action: str, tenant, *, at: datetime | None = None, **kw) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.username if user else "someone",
        action=action,
        tenant=tenant,
        at=at or datetime.now(UTC),
        **kw,
    )


def test_it_says_who_did_what_in_words(member_client, world, ada):
    entry(
        ada,
        "incident.verify",
        world["a"],
        target_type="notifications.Incident",
        target_id="3",
        target_label="#3",
        detail={"summary": "resolved"},
    )
    html = member_client.get(reverse("dashboard:audit")).content.decode()
    assert "Ada Hopper verified incident 3 (resolved)" in html
    # The incident's own timeline says it the same way.
    ca = world["data_a"]["ca"]
    entry(
        ada,
        "incident.snooze",
        world["a"],
        target_type="notifications.Incident",
        target_id=str(ca.pk),
        detail={"summary": "4 h"},
    )
    page = member_client.get(reverse("dashboard:incident", args=[ca.pk])).content.decode()
    assert f"Ada Hopper snoozed incident {ca.pk} for 4 h" in page


def test_it_filters_the_log_by_person_action_and_time(member_client, world, ada):
    viewer = world["viewer_a"]
    old = entry(ada, "incident.snooze", world["a"], at=datetime(2025, 1, 10, 12, tzinfo=UTC))
    mine = entry(ada, "incident.resolve", world["a"], at=datetime(2025, 2, 10, 12, tzinfo=UTC))
    theirs = entry(viewer, "incident.resolve", world["a"], at=datetime(2025, 2, 11, tzinfo=UTC))

    def shown(query: str) -> set[int]:
        return {
            e.pk
            for e in member_client.get(reverse("dashboard:audit") + query).context["page"].items
        }

    assert shown(f"?who={ada.pk}") == {old.pk, mine.pk}
    assert shown("?action=incident.resolve") == {mine.pk, theirs.pk}
    assert shown("?since=2025-02-01&until=2025-02-10") == {mine.pk}
    assert shown("?until=2025-01-31") == {old.pk}
    assert shown(f"?who={ada.pk}&action=incident.resolve") == {mine.pk}
    # Nonsense filter values are ignored, not errors.
    assert (
        member_client.get(reverse("dashboard:audit") + "?since=yesterday&who=x").status_code == 200
    )


def test_it_exports_the_filtered_log_as_csv_for_its_tenants_only(member_client, world, ada):
    entry(ada, "incident.resolve", world["a"], detail={"note": '=HYPERLINK("http://evil")'})
    entry(ada, "account.check", world["a"])
    entry(None, "incident.resolve", world["b"])
    rows = rows_of(
        member_client.get(reverse("dashboard:audit-export") + "?action=incident.resolve")
    )
    assert len(rows) == 1
    assert rows[0]["who"] == "Ada Hopper"
    assert rows[0]["tenant"] == world["a"].slug
    assert rows[0]["sentence"].startswith("Ada Hopper resolved")


def test_it_exports_people_and_their_accounts_without_tokens(member_client, world):
    sly = make_person(world["a"], name="=cmd|' /C calc'!A0", email="formula@acme.example")
    make_account(sly, "teams")
    rows = rows_of(member_client.get(reverse("dashboard:people-export")))
    emails = {r["email"] for r in rows}
    assert {p.email for p in world["data_a"]["people"]} <= emails
    assert not emails & {p.email for p in world["data_b"]["people"]}
    states = {r["state"] for r in rows if r["email"] == world["data_a"]["people"][1].email}
    assert states == {"waiting_user"}
    text = repr(rows)
    for credential in Credential.objects.filter(tenant=world["a"]):
        assert reveal(credential.access_token) not in text
    # A name a spreadsheet would run as a formula is written as text.
    (row,) = [r for r in rows if r["email"] == "formula@acme.example"]
    assert row["name"] == "'=cmd|' /C calc'!A0"
    filtered = rows_of(
        member_client.get(reverse("dashboard:people-export") + "?state=waiting_user")
    )
    assert {r["state"] for r in filtered} == {"waiting_user"}


def test_it_exports_the_filtered_incidents(member_client, world):
    rows = rows_of(member_client.get(reverse("dashboard:incidents-export") + "?audience=admin"))
    assert [int(r["id"]) for r in rows] == [world["data_a"]["ca"].pk]
    assert rows[0]["situation"] == "ca_blocked"
    assert rows[0]["tenant_wide"] == "yes"
    everything = rows_of(member_client.get(reverse("dashboard:incidents-export") + "?status=open"))
    assert len(everything) == world["a"].incidents.filter(status="open").count()


def test_it_never_lets_a_cell_start_a_formula():
    from dashboard.csvexport import safe

    assert safe("=1+1") == "'=1+1"
    assert safe("@SUM(A1)") == "'@SUM(A1)"
    assert safe("Ada Hopper") == "Ada Hopper"
    assert safe(None) == ""
