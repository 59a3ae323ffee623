"""Finding 7 of issue 14: the token a wrong-account re-sync obtained is revoked at Slack.

Over real HTTP: the person signs in at the sandbox's Slack as somebody else; Mio refuses and
stores nothing (as before), and now also calls ``auth.revoke`` with the token Slack issued for
that other account, so it does not stay valid at Slack.
"""

from __future__ import annotations

from accounts.resync.links import url_for
from notifications.models import OutboxMessage
from notifications.tests.browser import Browser
from notifications.tests.world import build
from platforms.sandbox.models import SandboxToken

Row = OutboxMessage


def prompted(sandbox):  # type: ignore[no-untyped-def]
    world = build(sandbox, "slack", users=2, admins=1)
    user = world.users[0]
    world.break_(user, "grant_revoked")
    world.check(user)
    row = OutboxMessage.objects.get(template=Row.Template.USER_PROMPT, recipient=user.person)
    return world, user, row


def access_tokens(email: str) -> list[SandboxToken]:
    return list(
        SandboxToken.objects.filter(
            platform="slack", kind=SandboxToken.Kind.ACCESS, user__email=email
        ).order_by("pk")
    )


def test_it_revokes_the_token_slack_issued_for_the_wrong_account(sandbox) -> None:
    _world, user, row = prompted(sandbox)
    stranger = "stranger@elsewhere.example"
    sandbox.provision("slack", stranger, "Stranger", workspace_id=user.workspace_id)
    before = {t.pk for t in access_tokens(stranger)}
    browser = Browser()
    answer = browser.sign_in(browser.get(url_for(row.resync_link)), account=stranger)
    assert answer.status_code == 409
    issued = [t for t in access_tokens(stranger) if t.pk not in before]
    assert issued, "the consent issued a token for the stranger"
    assert all(t.revoked for t in issued)  # given back to Slack, not left valid


def test_it_leaves_the_grant_of_another_account_mio_serves_alone(sandbox) -> None:
    world, _user, row = prompted(sandbox)
    other = world.users[1]
    browser = Browser()
    answer = browser.sign_in(browser.get(url_for(row.resync_link)), account=other.person.email)
    assert answer.status_code == 409
    assert not any(t.revoked for t in access_tokens(other.person.email))
    world.check(other)
    assert world.rows(recipient=other.person) == []  # its own connection still works
