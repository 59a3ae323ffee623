"""The bot token with Slack's token rotation on: refreshed on use, rotated, stored at once.

The bot is installed with a rotating grant from the sandbox (what "Add to Slack" returns); the
adapter's ``send`` and ``find_sent`` go through slack-sdk over real HTTP to the fake.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from platforms.errors import PlatformError
from platforms.messages import Message
from platforms.sandbox import core
from platforms.sandbox.fakes.slack import state
from platforms.sandbox.models import SandboxToken
from platforms.slack.client import web_client
from platforms.slack.oauth import BOT_SCOPES, app
from tokens.models import Credential, Installation
from tokens.provisioning import record_installation
from tokens.secret import reveal
from tokens.situations import Situation


@pytest.fixture
def rotating(slack_account) -> dict:
    """A Slack account, and its tenant's bot installed again with a rotating (12 h) token."""
    account = slack_account
    grant = state.mint_rotating_bot_tokens(account.workspace_id, BOT_SCOPES)
    installation = record_installation(
        account.person.tenant,
        "slack",
        account.workspace_id,
        {
            "bot_token": grant["access_token"],
            "bot_user_id": grant["bot_user_id"],
            "refresh_token": grant["refresh_token"],
            "expires_in": grant["expires_in"],
        },
    )
    return {"account": account, "installation": installation, "grant": grant}


def _fresh(installation: Installation) -> Installation:
    return Installation.objects.select_related("credential").get(pk=installation.pk)


def _expire(installation: Installation, *, at_slack: bool = True, ours: bool = True) -> None:
    """Let the bot's access token lapse: in Mio's record, at Slack, or both."""
    past = timezone.now() - timedelta(minutes=1)
    if ours:
        Credential.objects.filter(pk=installation.credential_id).update(expires_at=past)
    if at_slack:
        SandboxToken.objects.filter(platform="slack", kind=SandboxToken.Kind.BOT).update(
            expires_at=past
        )


def _redeem(refresh_token: str):
    client = app()
    return web_client().oauth_v2_access(
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        grant_type="refresh_token",
        refresh_token=refresh_token,
    )


def _message(key: str = "k1") -> Message:
    return Message(title="Re-sync", text="Please re-sync.", idempotency_key=key)


def test_it_refreshes_an_expired_bot_token_on_send_and_stores_the_rotated_one(
    rotating, slack, sandbox, caplog
) -> None:
    installation, account, grant = rotating["installation"], rotating["account"], rotating["grant"]
    _expire(installation)
    caplog.set_level(logging.DEBUG)

    sent = slack.send(_fresh(installation), account, _message())

    assert sent.message_id
    assert len(sandbox.inbox("slack", account.email)) == 1
    credential = _fresh(installation).credential
    new_access, new_refresh = reveal(credential.access_token), reveal(credential.refresh_token)
    assert new_access.startswith("xoxe.xoxb-1-")
    assert new_access != grant["access_token"]
    assert new_refresh.startswith("xoxe-1-")
    assert new_refresh != grant["refresh_token"]
    assert credential.expires_at - timezone.now() > timedelta(hours=11)
    assert credential.last_refreshed_at is not None
    # Rotation: the old refresh token is spent; the stored one is the only one that works.
    with pytest.raises(Exception, match="invalid_refresh_token"):
        _redeem(grant["refresh_token"])
    for secret in (grant["access_token"], grant["refresh_token"], new_access, new_refresh):
        assert secret not in caplog.text


def test_it_refreshes_a_bot_token_about_to_expire_before_lookup(rotating, slack) -> None:
    installation, account, grant = rotating["installation"], rotating["account"], rotating["grant"]
    soon = timezone.now() + timedelta(minutes=2)
    Credential.objects.filter(pk=installation.credential_id).update(expires_at=soon)

    assert slack.find_sent(_fresh(installation), account, "never-sent") is False

    credential = _fresh(installation).credential
    assert reveal(credential.refresh_token) != grant["refresh_token"]
    assert credential.expires_at > soon


def test_it_leaves_a_bot_token_far_from_expiry_alone(rotating, slack) -> None:
    installation, account, grant = rotating["installation"], rotating["account"], rotating["grant"]

    slack.send(_fresh(installation), account, _message())

    credential = _fresh(installation).credential
    assert reveal(credential.access_token) == grant["access_token"]
    assert reveal(credential.refresh_token) == grant["refresh_token"]
    assert credential.last_refreshed_at is None


def test_it_refreshes_once_when_slack_says_expired_before_our_clock_does(
    rotating, slack, sandbox
) -> None:
    installation, account, grant = rotating["installation"], rotating["account"], rotating["grant"]
    _expire(installation, ours=False)

    slack.send(_fresh(installation), account, _message())

    assert len(sandbox.inbox("slack", account.email)) == 1
    assert reveal(_fresh(installation).credential.refresh_token) != grant["refresh_token"]


def test_it_refreshes_once_for_two_concurrent_sends(rotating, slack, sandbox) -> None:
    installation, account = rotating["installation"], rotating["account"]
    _expire(installation)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def send(key: str) -> None:
        try:
            start.wait()
            slack.send(_fresh(installation), account, _message(key))
            outcomes.append("sent")
        except PlatformError as err:
            outcomes.append(err.evidence.error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(f"k{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == ["sent", "sent"]
    assert len(sandbox.inbox("slack", account.email)) == 2
    refresh_tokens = SandboxToken.objects.filter(platform="slack", kind=SandboxToken.Kind.REFRESH)
    bot_refresh = [t for t in refresh_tokens if t.user_id is None]
    # The installed one, redeemed once, and the one that redemption issued.
    assert len(bot_refresh) == 2
    assert sorted(t.revoked for t in bot_refresh) == [False, True]


def test_it_reports_the_app_gone_when_slack_refuses_the_bot_refresh_token(
    rotating, slack, sandbox
) -> None:
    installation, account, grant = rotating["installation"], rotating["account"], rotating["grant"]
    _expire(installation)
    spent = core.find("slack", SandboxToken.Kind.REFRESH, grant["refresh_token"])
    assert spent is not None
    core.revoke(spent)  # e.g. redeemed by a copy of the database restored elsewhere

    with pytest.raises(PlatformError) as caught:
        slack.send(_fresh(installation), account, _message())

    assert caught.value.situation == Situation.APP_UNINSTALLED
    assert caught.value.evidence.error == "invalid_refresh_token"
    assert sandbox.inbox("slack", account.email) == []
    assert reveal(_fresh(installation).credential.refresh_token) == grant["refresh_token"]


def test_it_reports_the_app_gone_after_the_app_was_removed(rotating, slack, sandbox) -> None:
    installation, account = rotating["installation"], rotating["account"]
    _expire(installation)
    sandbox.situation("slack", account.email, "app_uninstalled")

    with pytest.raises(PlatformError) as caught:
        slack.send(_fresh(installation), account, _message())

    assert caught.value.situation == Situation.APP_UNINSTALLED


def test_it_reports_a_failed_refresh_as_transient_when_slack_cannot_answer(
    rotating, slack, sandbox
) -> None:
    installation, account, grant = rotating["installation"], rotating["account"], rotating["grant"]
    _expire(installation)
    sandbox.script(
        "slack", "token", status=200, body='{"ok": false, "error": "service_unavailable"}'
    )

    with pytest.raises(PlatformError) as caught:
        slack.send(_fresh(installation), account, _message())

    assert caught.value.transient
    assert reveal(_fresh(installation).credential.refresh_token) == grant["refresh_token"]
    # Next time Slack answers, and the same refresh token still works.
    slack.send(_fresh(installation), account, _message())
    assert len(sandbox.inbox("slack", account.email)) == 1
