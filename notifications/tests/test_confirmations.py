"""Admin confirmations: per user by default (see test_resync), or one daily digest."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from accounts.resync.links import url_for
from notifications import tasks
from notifications.models import OutboxMessage
from notifications.tests.browser import Browser
from notifications.tests.world import build, payload_text

# 15:00 UTC = 10:00 in New York; the digest goes out at 17:00 there, 22:00 UTC.
MORNING = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
EVENING = datetime(2026, 12, 1, 22, 5, tzinfo=UTC)


def test_it_gathers_the_days_re_syncs_into_one_digest_per_admin(sandbox) -> None:
    with time_machine.travel(MORNING, tick=True) as clock:
        world = build(
            sandbox,
            "slack",
            users=2,
            admins=2,
            timezone="America/New_York",
            admin_confirmations="daily_digest",
        )
        for account in world.users:
            world.break_(account, "grant_revoked")
        world.check()
        for row in OutboxMessage.objects.filter(template="user_prompt"):
            browser = Browser()
            assert browser.sign_in(browser.get(url_for(row.resync_link))).status_code == 200
        for admin in world.admins:
            assert world.inbox(admin) == []  # nothing per user on the digest option
        assert tasks.digests() == 0  # 10:00 in New York: not yet
        clock.move_to(EVENING)
        assert tasks.digests() == 2
        assert tasks.digests() == 0  # once a day
    for admin in world.admins:
        inbox = [payload_text(m) for m in world.inbox(admin)]
        assert len(inbox) == 1
        assert "2 people re-synced on 2026-12-01" in inbox[0]
        for account in world.users:
            assert account.person.name in inbox[0]
    for account in world.users:  # each user was told in their own chat
        assert "You're re-synced" in payload_text(world.inbox(account.person)[-1])
