"""The fake Slack behaves like Slack: token shapes, rotation, bot DMs, inbox page, control API."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone
from slack_sdk.errors import SlackApiError

from platforms.errors import PlatformError
from platforms.messages import Action, Message
from platforms.sandbox.models import SandboxToken
from platforms.slack.client import web_client
from tokens.models import Credential, Installation


def _plain() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _credential(account) -> Credential:
    return Credential.objects.get(pk=account.credential_id)


def test_it_issues_tokens_shaped_like_slacks_and_keeps_only_their_hashes(sandbox) -> None:
    data = sandbox.provision("slack", "lin@shapes.example", "Lin")
    grant = data["grant"]
    assert grant["access_token"].startswith("xoxe.xoxp-1-")
    assert grant["refresh_token"].startswith("xoxe-1-")
    assert grant["expires_in"] == 43200
    assert grant["upstream_user_id"].startswith("U")
    assert len(grant["upstream_user_id"]) == 11
    assert grant["workspace_id"].startswith("T")
    for value in (grant["access_token"], grant["refresh_token"]):
        row = SandboxToken.objects.get(token_hash=hashlib.sha256(value.encode()).hexdigest())
        assert value not in json.dumps(row.meta)
    # Provisioning the same person again keeps their Slack ids.
    again = sandbox.provision("slack", "lin@shapes.example", "Lin")["grant"]
    assert again["upstream_user_id"] == grant["upstream_user_id"]


def test_it_never_stores_a_slack_token_in_plaintext_in_the_projects_tables(
    slack_account,
) -> None:
    credential = _credential(slack_account)
    plaintext = credential.access_token.reveal()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM tokens_credential WHERE id = %s",
            [credential.pk],
        )
        stored = cursor.fetchone()
    assert plaintext not in "".join(stored)
    assert "xox" not in "".join(stored)


def test_it_revokes_a_refresh_token_once_it_is_used(sandbox, slack_account, settings) -> None:
    refresh = _credential(slack_account).refresh_token.reveal()
    app = settings.PLATFORM_APPS["slack"]
    client = web_client()
    first = client.oauth_v2_access(
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        grant_type="refresh_token",
        refresh_token=refresh,
    )
    assert first["token_type"] == "user"
    assert first["refresh_token"] != refresh
    with pytest.raises(SlackApiError) as caught:
        client.oauth_v2_access(
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            grant_type="refresh_token",
            refresh_token=refresh,
        )
    assert caught.value.response["error"] == "invalid_refresh_token"


def test_it_lets_only_one_of_two_racing_refreshes_win(sandbox, slack, slack_account) -> None:
    credential = _credential(slack_account)
    refresh = credential.refresh_token.reveal()
    outcomes: list[str] = []

    def redeem() -> None:
        try:
            slack.redeem_refresh_token(credential, refresh)
            outcomes.append("ok")
        except PlatformError as err:
            outcomes.append(err.evidence.error)

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["invalid_refresh_token", "ok"]


def test_it_heals_a_scripted_token_expired_silently(sandbox, slack, slack_account) -> None:
    sandbox.script(
        "slack",
        "probe",
        user=slack_account.person.email,
        status=200,
        body=json.dumps({"ok": False, "error": "token_expired"}),
    )
    outcome = slack.check(_credential(slack_account))
    assert outcome.healthy, outcome.evidence
    assert outcome.refreshed


def test_it_reads_token_revoked_on_user_and_bot_as_app_uninstalled(
    sandbox, slack, slack_account
) -> None:
    sandbox.script(
        "slack",
        "probe",
        status=200,
        body=json.dumps({"ok": False, "error": "token_revoked"}),
        times=2,  # any caller: the user's probe, then the bot's
    )
    outcome = slack.check(_credential(slack_account))
    assert outcome.situation == "app_uninstalled", outcome.evidence
    assert "bot token is refused too" in outcome.evidence.description


@pytest.mark.parametrize("situation", ["app_uninstalled", "grant_revoked"])
def test_it_tells_a_removed_app_from_a_revoked_grant_at_refresh_time_too(
    sandbox, slack, slack_account, situation
) -> None:
    # Due for a refresh: the refresh token, not auth.test, is what Slack refuses first.
    Credential.objects.filter(pk=slack_account.credential_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    sandbox.situation("slack", slack_account.person.email, situation)
    outcome = slack.check(_credential(slack_account))
    assert outcome.situation == situation, outcome.evidence
    assert outcome.evidence.endpoint == "token"
    assert outcome.evidence.error == "invalid_refresh_token"


def test_it_stays_transient_when_the_bot_check_cannot_answer(sandbox, slack, slack_account) -> None:
    sandbox.script(
        "slack",
        "probe",
        user=slack_account.person.email,
        status=200,
        body=json.dumps({"ok": False, "error": "token_revoked"}),
    )
    sandbox.script("slack", "probe", status=503, body="{}")
    assert slack.check(_credential(slack_account)).transient


def test_it_sends_a_dm_as_the_bot_and_the_inbox_shows_it_like_slack(
    sandbox, slack, slack_account, live_server
) -> None:
    installation = Installation.objects.get(tenant=slack_account.person.tenant, platform="slack")
    message = Message(
        title="Your Slack connection needs you",
        text="Mio can no longer relay <your> messages.",
        facts=[("Platform", "Slack")],
        actions=[Action("Re-sync your account", "https://heal.example.com/r/abc")],
        tone="warning",
        idempotency_key="prompt-7",
    )
    result = slack.send(installation, slack_account, message)
    assert result.message_id
    assert result.conversation_id.startswith("D")
    delivered = sandbox.inbox("slack", slack_account.person.email)
    payload = json.loads(delivered[0]["payload"])
    assert payload["channel"] == slack_account.upstream_user_id
    assert payload["metadata"]["event_payload"]["idempotency_key"] == "prompt-7"

    page = _plain().get(
        f"{live_server.url}/sandbox/inbox/slack/{slack_account.person.email}/", timeout=10
    )
    assert page.status_code == 200
    assert "Your Slack connection needs you" in page.text
    assert '<a class="slack-button slack-button-primary" href="https://heal.example.com/r/abc"' in (
        page.text
    )
    assert "⚠️" in page.text
    assert "&lt;your&gt;" in page.text  # user text is escaped, never markup


def test_it_reports_a_removed_app_when_sending(sandbox, slack, slack_account) -> None:
    installation = Installation.objects.get(tenant=slack_account.person.tenant, platform="slack")
    sandbox.event("slack", "app_uninstalled", slack_account.person.email)
    with pytest.raises(PlatformError) as caught:
        slack.send(installation, slack_account, Message(title="T", text="B"))
    assert caught.value.situation == "app_uninstalled"
    assert caught.value.evidence.error == "token_revoked"


def test_it_reports_a_missing_bot_installation_as_app_uninstalled(slack, slack_account) -> None:
    installation = Installation.objects.get(tenant=slack_account.person.tenant, platform="slack")
    installation.is_active = False
    with pytest.raises(PlatformError) as caught:
        slack.send(installation, slack_account, Message(title="T", text="B"))
    assert caught.value.situation == "app_uninstalled"


def test_it_refuses_a_dm_to_someone_slack_does_not_know(sandbox, slack, slack_account) -> None:
    installation = Installation.objects.get(tenant=slack_account.person.tenant, platform="slack")
    slack_account.upstream_user_id = "U0NOBODY000"
    with pytest.raises(PlatformError) as caught:
        slack.send(installation, slack_account, Message(title="T", text="B"))
    assert caught.value.evidence.error == "channel_not_found"
    assert sandbox.inbox("slack") == []


def test_it_answers_unknown_methods_like_slack(sandbox, live_server) -> None:
    answer = _plain().post(f"{live_server.url}/sandbox/slack/api/nope.nothing", timeout=10)
    assert answer.status_code == 404
    assert answer.json() == {"ok": False, "error": "unknown_method"}


def test_it_describes_itself_in_the_control_api(sandbox, live_server) -> None:
    index = _plain().get(f"{live_server.url}/sandbox/api/", timeout=10).json()["slack"]
    assert {"token", "probe", "send"} <= set(index["endpoints"])
    assert set(index["events"]) == {"tokens_revoked", "app_uninstalled", "user_change_deleted"}
    assert "access_token_expired" in index["situations"]
    assert "transient" in index["situations"]
