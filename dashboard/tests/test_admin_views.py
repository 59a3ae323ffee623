"""What the overview, the admin page and the person page say: every problem that waits on an
admin, relative times in words, the person's incidents in order and their history paged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from dashboard.tests.factories import make_incident
from tests.factories import make_account, make_person
from tokens.models import CheckRecord

pytestmark = pytest.mark.django_db


def test_it_lists_single_accounts_waiting_on_an_admin_in_needs_an_admin(member_client, world):
    person = make_person(world["a"], name="Alan Torvalds")
    deleted = make_incident(
        make_account(person, "zoom", state="waiting_admin"), situation="user_deleted"
    )
    overview = member_client.get(reverse("dashboard:overview"))
    shown = {i.pk for i in overview.context["admin_incidents"]}
    assert shown == {world["data_a"]["ca"].pk, deleted.pk}
    html = overview.content.decode()
    assert "Alan Torvalds on Zoom" in html
    ca_page = member_client.get(reverse("dashboard:conditional-access")).content.decode()
    assert f'data-incident="{deleted.pk}"' in ca_page
    assert "User deleted" in ca_page or "deleted" in ca_page
    # Another tenant's deleted user stays out of it.
    other = make_person(world["b"])
    theirs = make_incident(make_account(other, "zoom"), situation="user_deleted")
    again = member_client.get(reverse("dashboard:conditional-access")).content.decode()
    assert f'data-incident="{theirs.pk}"' not in again


def test_it_says_just_now_rather_than_zero_minutes_ago():
    template = Template("{% load dashboard %}{{ a|ago }}|{{ b|ago }}")
    now = timezone.now()
    text = template.render(Context({"a": now, "b": now - timedelta(hours=3)}))
    assert text == "just now|3\xa0hours ago"


def test_it_orders_a_persons_incidents_and_pages_their_history(member_client, world):
    account = world["data_a"]["accounts"][1]
    now = timezone.now()
    older = make_incident(
        account,
        situation="refresh_token_inactive",
        opened_at=now - timedelta(days=3),
        resolved_at=now - timedelta(days=2),
        resolution="user_resync",
    )
    # Created last, opened first: the page goes by when it was opened, not by creation.
    oldest = make_incident(
        account,
        situation="password_expired",
        opened_at=now - timedelta(days=9),
        resolved_at=now - timedelta(days=8),
        resolution="user_resync",
    )
    CheckRecord.objects.bulk_create(
        CheckRecord(
            credential_id=account.credential_id,
            outcome="ok",
            state_after="healthy",
            checked_at=now - timedelta(minutes=i),
        )
        for i in range(1, 60)
    )
    url = reverse("dashboard:person", args=[account.person_id])
    first = member_client.get(url)
    opened = [i.opened_at for i in first.context["incidents"]]
    assert opened == sorted(opened, reverse=True)
    assert [i.pk for i in first.context["incidents"]][-2:] == [older.pk, oldest.pk]
    page = first.context["checks"]
    assert len(page.items) == 25
    assert page.has_next
    assert [c.checked_at for c in page.items] == sorted(
        (c.checked_at for c in page.items), reverse=True
    )
    third = member_client.get(url + "?page=3").context["checks"]
    assert len(third.items) == 60 - 50
    assert not third.has_next
    assert "Older →" in first.content.decode()


def test_it_draws_the_trend_over_7_30_or_90_days_with_values_on_hover(member_client, world):
    from dashboard.snapshots import take_snapshots

    take_snapshots()
    for days in (7, 30, 90):
        response = member_client.get(reverse("dashboard:overview") + f"?days={days}")
        assert response.context["span"] == days
        html = response.content.decode()
        assert f"last {days} days" in html
        # Today's column says what the day held, shown when hovered.
        today = timezone.now().strftime("%b %d")
        assert f"<title>{today}: Healthy 3, Waiting on user 1</title>" in html
    # Anything else falls back to 30 days.
    assert member_client.get(reverse("dashboard:overview") + "?days=1000").context["span"] == 30
