"""Finding 2 of issue 14: hostile names and evidence render inert on every platform and in email.

Each message is built by the real texts (what an admin or a user is told) from a person's name
and evidence that an attacker controls (a directory display name, a platform's error
description, ids and timestamps reported through the relay), rendered by each platform's real
builder and validated by that platform's contract (schemas, Block Kit, Zoom's card schema).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail

from notifications.channels import send_email
from notifications.models import OutboxMessage
from notifications.tests.test_texts import validate
from notifications.texts import admins, confirmations
from platforms.messages import Message

PLATFORMS = ["slack", "teams", "zoom", "webex"]
EVIL_LINK = "[Re-sync your account](https://evil.example/steal)"
HOSTILE = {
    "link": EVIL_LINK,
    "html": "<a href='https://evil.example/a'>click</a><img src=x onerror=alert(1)>",
    "mention": "<at>everyone</at> <!channel> <!here> <@personEmail:ceo@example.com> @all",
    "bare": "see https://evil.example/bare or www.evil.example now",
    "markup": "**urgent** _now_ `code` ~~x~~ # Heading\n- item\n1. first\n> quote",
    "long": "A" * 30_000 + EVIL_LINK,
}
SINCE = datetime(2026, 11, 27, 8, 55, tzinfo=UTC)


def hostile_messages(platform: str, value: str) -> list[Message]:
    evidence = {
        "platform": platform,
        "http_status": 400,
        "error": value,
        "error_codes": ["53003"],
        "suberror": value,
        "description": value,
        "correlation_id": value,
        "trace_id": value,
        "timestamp": value,
    }
    person = f"{value} <ada@example.com>"
    return [
        admins.admin_prompt(
            admins.AdminContext(
                incident_id=7,
                platform=platform,
                situation=situation,
                person=person,
                evidence=evidence,
                since=SINCE,
            )
        )
        for situation in ("ca_blocked", "unknown", "user_deleted")
    ] + [
        admins.admin_prompt(
            admins.AdminContext(
                incident_id=7,
                platform=platform,
                situation="app_disabled",
                affected=3,
                examples=[value, value],
                evidence=evidence,
            )
        ),
        confirmations.admin_user_resynced(person=value, platform=platform, at=SINCE),
        admins.escalation(
            incident_id=7,
            platform=platform,
            person=person,
            situation="grant_revoked",
            since=SINCE,
            reminders=2,
        ),
        admins.unreached(incident_id=7, tenant=value, recipient=person, message=value, error=value),
    ]


def strings(node: Any, skip: frozenset[str] = frozenset()) -> list[str]:
    """Every string in a payload, except under the keys in ``skip`` (Mio's own link targets)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() if k not in skip for s in strings(v, skip)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v, skip)]
    return []


def mrkdwn(node: Any) -> list[str]:
    """The texts Slack parses (mrkdwn objects); plain_text ones are shown as they are."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [node["text"]]
        return [s for v in node.values() for s in mrkdwn(v)]
    if isinstance(node, list):
        return [s for v in node for s in mrkdwn(v)]
    return []


MD_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(([^)]*)\)")
UNESCAPED = re.compile(r"(?<!\\)[<\[`*_]")


def assert_no_foreign_link(texts: list[str], message: Message, *, markdown: bool = True) -> None:
    ours = {a.url for a in message.actions}
    for text in texts:
        assert "https://evil" not in text  # no bare link a client would make clickable
        assert "www.evil" not in text
        for target in MD_LINK.findall(text) if markdown else []:
            assert target in ours, text[:200]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_it_renders_hostile_names_and_evidence_inert(platform: str, kind: str) -> None:
    for message in hostile_messages(platform, HOSTILE[kind]):
        payload = validate(platform, message)  # still a valid message for the platform
        texts = strings(payload, skip=frozenset({"url", "link"}))
        assert_no_foreign_link(texts, message, markdown=False)
        if platform in {"teams", "webex"}:  # the fields these platforms render as markdown
            marked = strings(payload, skip=frozenset({"url", "summary"}))
            assert_no_foreign_link(marked, message)
        if platform in {"teams", "webex"}:
            body = payload.get("attachments", [{}])[0]["content"]["body"]
            for text in strings(body):
                # Adaptive Card markdown: no link, emphasis, code or tag opens unescaped.
                assert not UNESCAPED.search(text), text[:200]
            assert len(json.dumps(payload)) < 28_000  # Teams' card size limit
        if platform == "webex":
            assert len(payload["markdown"].encode()) <= 7439
        if platform == "slack":
            for block_text in mrkdwn(payload["blocks"]):
                assert "<" not in block_text  # no <url|text> link, no <!channel> mention
        if platform == "zoom":
            assert "is_markdown_support" not in json.dumps(payload)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_it_emails_hostile_names_and_evidence_inert(settings, kind: str) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for n, message in enumerate(hostile_messages("teams", HOSTILE[kind])):
        row = OutboxMessage(recipient_email="admin@example.com", idempotency_key=f"k{n}")
        send_email(row, message)
    assert len(mail.outbox) == len(hostile_messages("teams", HOSTILE[kind]))
    for sent, message in zip(mail.outbox, hostile_messages("teams", HOSTILE[kind]), strict=True):
        assert "\n" not in sent.subject
        # A plain-text mail: markdown is not rendered, bare links are.
        assert_no_foreign_link([sent.subject, sent.body], message, markdown=False)
        for action in message.actions:
            assert action.url in sent.body  # Mio's own links are still there
