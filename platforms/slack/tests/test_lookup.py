"""Looking a sent prompt up in the bot's DM: the fake's ``conversations.open`` and
``conversations.history`` answer like Slack's, and ``find_sent`` pages through them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from slack_sdk.errors import SlackApiError

from platforms.errors import PlatformError
from platforms.messages import Message
from platforms.slack import adapter as slack_adapter
from platforms.slack.client import web_client
from tokens.models import Installation
from tokens.situations import Situation


def _installation(account) -> Installation:
    return Installation.objects.select_related("credential").get(
        tenant=account.person.tenant, platform="slack"
    )


def _bot(account):
    return web_client(_installation(account).credential.access_token.reveal())


def _send(slack, account, key: str) -> None:
    message = Message(title=f"Prompt {key}", text="Re-sync, please.", idempotency_key=key)
    slack.send(_installation(account), account, message)


def _dm(bot, account) -> str:
    return bot.conversations_open(users=account.upstream_user_id)["channel"]["id"]


def test_it_opens_the_same_dm_that_chat_post_message_posts_into(slack, slack_account) -> None:
    installation = _installation(slack_account)
    sent = slack.send(installation, slack_account, Message(title="Hi", text="There"))
    bot = _bot(slack_account)
    assert _dm(bot, slack_account) == sent.conversation_id
    assert sent.conversation_id.startswith("D")


def test_it_lists_the_dm_newest_first_with_metadata_only_when_asked(slack, slack_account) -> None:
    _send(slack, slack_account, "older")
    _send(slack, slack_account, "newer")
    bot = _bot(slack_account)
    channel = _dm(bot, slack_account)
    plain = bot.conversations_history(channel=channel)
    assert [m["text"].split(":")[0] for m in plain["messages"]] == ["Prompt newer", "Prompt older"]
    assert all("metadata" not in m for m in plain["messages"])
    assert plain["messages"][0]["bot_id"].startswith("B")
    rich = bot.conversations_history(channel=channel, include_all_metadata=True)
    assert [m["metadata"]["event_payload"]["idempotency_key"] for m in rich["messages"]] == [
        "newer",
        "older",
    ]
    assert rich["messages"][0]["metadata"]["event_type"] == "mio_auto_heal_prompt"


def test_it_pages_the_history_with_slacks_cursor_and_bounds_it_by_oldest(
    slack, slack_account
) -> None:
    for key in ("a", "b", "c"):
        _send(slack, slack_account, key)
    bot = _bot(slack_account)
    channel = _dm(bot, slack_account)
    first = bot.conversations_history(channel=channel, limit=2, include_all_metadata=True)
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = bot.conversations_history(
        channel=channel, limit=2, cursor=cursor, include_all_metadata=True
    )
    assert second["has_more"] is False
    keys = [
        m["metadata"]["event_payload"]["idempotency_key"]
        for m in [*first["messages"], *second["messages"]]
    ]
    assert keys == ["c", "b", "a"]
    # oldest is exclusive: the message at exactly that ts is left out.
    newest_ts = first["messages"][0]["ts"]
    assert bot.conversations_history(channel=channel, oldest=newest_ts)["messages"] == []
    inclusive = bot.conversations_history(channel=channel, oldest=newest_ts, inclusive=True)
    assert [m["ts"] for m in inclusive["messages"]] == [newest_ts]


def test_it_refuses_a_token_slack_never_issued_and_a_dm_the_bot_is_not_in(
    slack, slack_account, sandbox
) -> None:
    bot = _bot(slack_account)
    channel = _dm(bot, slack_account)
    with pytest.raises(SlackApiError) as refused:
        web_client("xoxb-1-2-forged").conversations_history(channel=channel)
    assert refused.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        web_client(None).conversations_history(channel=channel)
    assert missing.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as elsewhere:
        bot.conversations_history(channel="DNOTTHEBOTS")
    assert elsewhere.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as nobody:
        bot.conversations_open(users="UNOBODY0000")
    assert nobody.value.response["error"] == "user_not_found"


def test_it_finds_a_message_beyond_the_first_page(slack, slack_account, monkeypatch) -> None:
    monkeypatch.setattr(slack_adapter, "HISTORY_PAGE_SIZE", 2)
    _send(slack, slack_account, "wanted")
    for key in ("x1", "x2", "x3"):
        _send(slack, slack_account, key)
    assert slack.find_sent(_installation(slack_account), slack_account, "wanted") is True
    assert slack.find_sent(_installation(slack_account), slack_account, "unsent") is False


def test_it_cannot_tell_when_more_pages_are_newer_than_it_may_read(
    slack, slack_account, monkeypatch
) -> None:
    monkeypatch.setattr(slack_adapter, "HISTORY_PAGE_SIZE", 1)
    monkeypatch.setattr(slack_adapter, "HISTORY_PAGES", 2)
    _send(slack, slack_account, "wanted")
    for key in ("x1", "x2"):
        _send(slack, slack_account, key)
    with pytest.raises(PlatformError) as unsure:
        slack.find_sent(_installation(slack_account), slack_account, "wanted")
    assert unsure.value.situation == Situation.UNKNOWN
    assert unsure.value.evidence.error == "history_too_long"


def test_it_reads_back_only_to_since(slack, slack_account) -> None:
    _send(slack, slack_account, "earlier")
    later = timezone.now() + timedelta(seconds=5)
    installation = _installation(slack_account)
    assert slack.find_sent(installation, slack_account, "earlier") is True
    assert slack.find_sent(installation, slack_account, "earlier", since=later) is False


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"limit": "many"}, "invalid_limit"),
        ({"oldest": "yesterday"}, "invalid_ts_oldest"),
        ({"oldest": "Infinity"}, "invalid_ts_oldest"),
        ({"latest": "1e400"}, "invalid_ts_latest"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "invalid_cursor"),
        ({"cursor": "%%%"}, "invalid_cursor"),
    ],
)
def test_it_answers_malformed_history_arguments_with_slacks_codes(
    slack_account, arguments, code
) -> None:
    bot = _bot(slack_account)
    channel = _dm(bot, slack_account)
    with pytest.raises(SlackApiError) as refused:
        bot.api_call(
            "conversations.history", http_verb="GET", params={"channel": channel, **arguments}
        )
    assert refused.value.response["error"] == code
