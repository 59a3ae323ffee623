""" "Send me a fresh link": one prompt per request window, however the requests arrive.

Two requests at once (a double click, two tabs, two server processes) send one prompt; the
per-person limit lives in the database, so it holds across processes and addresses.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from accounts.resync.links import read, token_for, url_for
from notifications import services
from notifications.models import OutboxMessage
from notifications.services import FRESH_LINKS_PER_HOUR, FreshLink, fresh_key
from notifications.tests.browser import Browser
from notifications.tests.world import build, payload_text

Row = OutboxMessage


def prompted(sandbox):
    world = build(sandbox, "slack", users=1, admins=0)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = Row.objects.get(template=Row.Template.USER_PROMPT, recipient=user.person)
    return world, user, row


def fresh_rows(person) -> list[OutboxMessage]:
    return list(Row.objects.filter(recipient=person, idempotency_key__startswith="fresh:"))


def prompts_received(world, person) -> int:
    return sum("Re-sync your Slack account" in payload_text(m) for m in world.inbox(person))


def test_it_sends_one_prompt_for_a_request_made_twice(sandbox) -> None:
    world, user, row = prompted(sandbox)
    later = timezone.now() + timedelta(minutes=11)  # past the prompt's own link's window
    with time_machine.travel(later, tick=True):
        link = row.resync_link
        assert services.request_fresh_link(link) == FreshLink.SENT
        assert services.request_fresh_link(link) == FreshLink.TOO_SOON
        [fresh] = fresh_rows(user.person)
        assert fresh.idempotency_key == fresh_key(
            row.incident_id, user.person_id, user.pk, timezone.now()
        )
    assert prompts_received(world, user.person) == 2


@pytest.mark.postgres_only
def test_it_sends_one_prompt_for_two_requests_at_the_same_moment(sandbox) -> None:
    world, user, row = prompted(sandbox)
    token = token_for(row.resync_link)
    start = timezone.now()

    def ask(gate: threading.Barrier, outcomes: list[str]) -> None:
        try:
            link, _issue = read(token)
            gate.wait(timeout=10)
            outcomes.append(services.request_fresh_link(link))
        finally:
            connections.close_all()

    for round_ in range(1, 4):
        gate = threading.Barrier(2)
        outcomes: list[str] = []
        with time_machine.travel(start + timedelta(minutes=11 * round_), tick=True):
            threads = [threading.Thread(target=ask, args=(gate, outcomes)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert sorted(outcomes) == [FreshLink.SENT, FreshLink.TOO_SOON], round_
        assert len(fresh_rows(user.person)) == round_
    assert prompts_received(world, user.person) == 1 + 3


def test_it_limits_fresh_links_per_person_across_processes_and_addresses(sandbox) -> None:
    world, user, row = prompted(sandbox)
    browser = Browser()
    page = browser.get(url_for(row.resync_link).replace("/resync/", "/resync/x"))
    assert 'data-problem="invalid"' in page.text
    start = timezone.now()
    for step in range(1, FRESH_LINKS_PER_HOUR + 2):
        # Each request outside the per-link window, and as if from another process (whose
        # per-address cache knows nothing of the others).
        with time_machine.travel(start + timedelta(minutes=11 * step), tick=True):
            cache.clear()
            answer = browser.submit(page, email=user.person.email)
        assert answer.status_code == 200
        assert 'data-outcome="by_email"' in answer.text  # the same answer either way
    assert len(fresh_rows(user.person)) == FRESH_LINKS_PER_HOUR
    assert prompts_received(world, user.person) == 1 + FRESH_LINKS_PER_HOUR
    # An hour after the first, the person may ask again.
    with time_machine.travel(start + timedelta(minutes=11 + 61), tick=True):
        cache.clear()
        browser.submit(page, email=user.person.email)
    assert len(fresh_rows(user.person)) == FRESH_LINKS_PER_HOUR + 1
