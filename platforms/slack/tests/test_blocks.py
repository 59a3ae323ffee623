"""The Block Kit payload: valid for slack_sdk.models, escaped, clipped, and tone-aware."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from platforms.messages import Action, Message
from platforms.slack.blocks import FIELDS_MAX, HEADER_MAX, METADATA_EVENT_TYPE, render_payload


def _valid(payload: dict) -> list[Block]:
    parsed = Block.parse_all(payload["blocks"])
    for block in parsed:
        block.validate_json()  # raises on any Block Kit limit
    assert [b.to_dict() for b in parsed] == payload["blocks"]
    return parsed


def _types(payload: dict) -> list[str]:
    return [b["type"] for b in payload["blocks"]]


def test_it_builds_header_text_facts_buttons_and_context() -> None:
    payload = render_payload(
        Message(
            title="Re-sync Slack",
            text="Your token was revoked.",
            facts=[("Platform", "Slack"), ("Since", "today")],
            actions=[Action("Re-sync", "https://heal.example/r/1")],
            tone="warning",
        )
    )
    _valid(payload)
    assert _types(payload) == ["header", "section", "section", "actions", "divider", "context"]
    fields = payload["blocks"][2]["fields"]
    assert fields[0] == {"type": "mrkdwn", "text": "*Platform*\nSlack"}
    button = payload["blocks"][3]["elements"][0]
    assert button["url"] == "https://heal.example/r/1"
    assert button["style"] == "primary"
    assert "https://heal.example/r/1" in payload["text"]


def test_it_makes_each_tone_look_different() -> None:
    looks = {}
    for tone in ("info", "warning", "success"):
        payload = render_payload(Message(title="T", text="Body", tone=tone))
        _valid(payload)
        looks[tone] = (payload["blocks"][0]["text"]["text"], payload["blocks"][-1]["elements"][0])
    assert looks["warning"][0].startswith(":warning:")
    assert looks["success"][0].startswith(":white_check_mark:")
    assert looks["info"][0].startswith(":information_source:")
    assert len({str(look) for look in looks.values()}) == 3


def test_it_escapes_mrkdwn_so_text_cannot_inject_links_or_mentions() -> None:
    payload = render_payload(
        Message(title="x", text="<!channel> & <https://evil.example|click>", facts=[("a<", "b>")])
    )
    text = payload["blocks"][1]["text"]["text"]
    # The bare URL is broken by a word joiner, so Slack does not link it either.
    assert text == "&lt;!channel&gt; &amp; &lt;https:\u2060//evil.example|click&gt;"
    assert payload["blocks"][2]["fields"][0]["text"] == "*a&lt;*\nb&gt;"
    assert "<!channel>" not in payload["text"]


def test_it_clips_to_block_kit_limits_instead_of_being_refused() -> None:
    payload = render_payload(
        Message(
            title="T" * 500,
            text="x" * 5000,
            facts=[(f"k{i}", "v" * 3000) for i in range(15)],
            actions=[Action("L" * 200, "https://x.example/")],
        )
    )
    _valid(payload)
    assert len(payload["blocks"][0]["text"]["text"]) == HEADER_MAX
    assert len(payload["blocks"][2]["fields"]) == FIELDS_MAX


def test_it_carries_the_idempotency_key_as_message_metadata() -> None:
    payload = render_payload(Message(title="T", text="B", idempotency_key="prompt-42"))
    assert payload["metadata"] == {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"idempotency_key": "prompt-42", "tone": "info"},
    }
    assert "metadata" not in render_payload(Message(title="T", text="B"))
