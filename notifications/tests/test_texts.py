"""What each reader is told, for every situation and audience, rendered by every platform.

Each message goes through every adapter's ``render`` and that platform's own payload validator
(Block Kit through slack_sdk.models, Adaptive Cards against the official schemas, Zoom's
chatbot schema): the same checks the platforms' contract tests apply.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

import pytest

from notifications.texts import admins, confirmations, users
from notifications.texts.common import error_code
from platforms.messages import Message
from platforms.registry import get_adapter
from tokens.situations import CATALOGUE, Audience, Situation

PLATFORMS = ["slack", "teams", "zoom", "webex"]
CONTRACTS = {
    "slack": ("platforms.slack.tests.test_contract", "TestSlackContract"),
    "teams": ("platforms.teams.tests.test_contract", "TestTeamsContract"),
    "zoom": ("platforms.zoom.tests.test_contract", "TestZoomContract"),
    "webex": ("platforms.webex.tests.test_contract", "TestWebexContract"),
}
SINCE = datetime(2026, 11, 27, 8, 55, tzinfo=UTC)
ENTRA_EVIDENCE = {
    "platform": "teams",
    "endpoint": "token",
    "http_status": 400,
    "error": "invalid_grant",
    "error_codes": ["53003"],
    "suberror": "message_only",
    "correlation_id": "c0ffee00-1111-4222-8333-444455556666",
    "trace_id": "7ace0000-aaaa-4bbb-8ccc-ddddeeeeffff",
    "timestamp": "2026-11-27 08:55:37Z",
}


def validate(platform: str, message: Message) -> dict[str, Any]:
    payload = get_adapter(platform).render(message)
    module, name = CONTRACTS[platform]
    contract = getattr(importlib.import_module(module), name)
    contract.validate_payload(contract(), payload)
    return payload


def every_message() -> list[tuple[str, Message]]:
    out: list[tuple[str, Message]] = []
    for platform in PLATFORMS:
        for key, info in CATALOGUE.items():
            if info.audience == Audience.USER:
                for reminder in (0, 1):
                    out.append(
                        (
                            f"{platform}-{key}-user-{reminder}",
                            users.user_prompt(
                                platform=platform,
                                situation=key,
                                email="ada@example.com",
                                since=SINCE,
                                link_url="https://heal.example.com/resync/abc:def/",
                                reminder=reminder,
                                first_prompt_at=SINCE,
                            ),
                        )
                    )
            elif info.audience is not None:
                for person in ("", "Ada Lovelace <ada@example.com>"):
                    ctx = admins.AdminContext(
                        incident_id=7,
                        platform=platform,
                        situation=key,
                        affected=5000 if not person else 1,
                        examples=["a@example.com", "b@example.com"],
                        person=person,
                        evidence={**ENTRA_EVIDENCE, "platform": platform},
                        directory_id="84a5a5aa-eb90-5629-b47c-b8154a7552f5",
                        since=SINCE,
                    )
                    build = admins.operator_alert if info.audience == Audience.OPERATOR else None
                    message = build(ctx, "Acme") if build else admins.admin_prompt(ctx)
                    out.append((f"{platform}-{key}-admin-{bool(person)}", message))
        out += [
            (f"{platform}-resynced", users.user_resynced(platform=platform, email="a@x.example")),
            (
                f"{platform}-admin-resynced",
                confirmations.admin_user_resynced(person="Ada", platform=platform, at=SINCE),
            ),
            (
                f"{platform}-digest",
                confirmations.admin_digest(
                    day="2026-11-27",
                    entries=[{"person": f"P{i}", "platform": platform} for i in range(30)],
                ),
            ),
            (
                f"{platform}-configured",
                confirmations.admin_configured(
                    incident_id=7,
                    platform=platform,
                    situation_label="Blocked by Conditional Access",
                    evidence=ENTRA_EVIDENCE,
                    accounts=12,
                ),
            ),
            (
                f"{platform}-escalation",
                admins.escalation(
                    incident_id=7,
                    platform=platform,
                    person="Ada <ada@example.com>",
                    situation="grant_revoked",
                    since=SINCE,
                    reminders=2,
                ),
            ),
            (
                f"{platform}-unreachable",
                admins.unreachable(
                    incident_id=7,
                    platform=platform,
                    person="Ada <ada@example.com>",
                    situation="grant_revoked",
                ),
            ),
            (
                f"{platform}-unreached",
                admins.unreached(
                    incident_id=7,
                    tenant="Acme",
                    recipient="Bob <bob@example.com>",
                    message="Admin: fix prompt",
                    error="slack: channel_not_found; email: refused",
                ),
            ),
        ]
    return out


MESSAGES = every_message()


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("case", "message"), MESSAGES, ids=[c for c, _ in MESSAGES])
def test_it_renders_every_message_validly_on_every_platform(platform, case, message) -> None:
    validate(platform, message)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_it_gives_the_user_one_button_named_for_their_platform(platform) -> None:
    message = users.user_prompt(
        platform=platform,
        situation="grant_revoked",
        email="ada@example.com",
        since=SINCE,
        link_url="https://heal.example.com/resync/t/",
    )
    label = {"slack": "Slack", "teams": "Microsoft Teams", "zoom": "Zoom Team Chat"}.get(
        platform, "Webex"
    )
    assert [(a.label, a.url) for a in message.actions] == [
        (f"Re-sync your {label} account", "https://heal.example.com/resync/t/")
    ]
    assert "stopped relaying" in message.text
    assert "password" in message.text  # why: the reader learns what usually causes it


def test_it_gives_the_admin_the_entra_consent_link(settings) -> None:
    ctx = admins.AdminContext(
        incident_id=3,
        platform="teams",
        situation=Situation.CONSENT_MISSING,
        affected=40,
        evidence={**ENTRA_EVIDENCE, "error_codes": ["65001"]},
        directory_id="84a5a5aa-eb90-5629-b47c-b8154a7552f5",
    )
    message = admins.admin_prompt(ctx)
    client = settings.PLATFORM_APPS["teams"]["client_id"]
    url = (
        "https://login.microsoftonline.com/84a5a5aa-eb90-5629-b47c-b8154a7552f5"
        f"/adminconsent?client_id={client}"
    )
    assert message.actions[0].label == "Grant admin consent"
    assert message.actions[0].url == url
    assert ("Error code", "AADSTS65001") in message.facts


def test_it_gives_the_admin_everything_to_find_a_ca_block_in_the_logs(settings) -> None:
    ctx = admins.AdminContext(
        incident_id=3,
        platform="teams",
        situation=Situation.CA_BLOCKED,
        affected=5000,
        evidence=ENTRA_EVIDENCE,
    )
    message = admins.admin_prompt(ctx)
    facts = dict(message.facts)
    assert facts["Error code"] == "AADSTS53003"
    assert facts["Correlation ID"] == ENTRA_EVIDENCE["correlation_id"]
    assert facts["Timestamp"] == ENTRA_EVIDENCE["timestamp"]
    assert facts["App ID"] == settings.PLATFORM_APPS["teams"]["client_id"]
    assert facts["Affected accounts"] == "5000"
    assert "Conditional Access" in message.title
    assert "Exclude add the Mio app" in message.text
    assert ENTRA_EVIDENCE["correlation_id"] in message.text  # "search the sign-in logs for…"


@pytest.mark.parametrize(
    ("platform", "phrase"),
    [
        ("teams", "Enabled for users to sign-in?"),
        ("slack", "Manage apps"),
        ("zoom", "App Marketplace"),
        ("webex", "Control Hub"),
    ],
)
def test_it_tells_the_admin_how_to_re_enable_the_app_on_their_platform(platform, phrase) -> None:
    ctx = admins.AdminContext(incident_id=1, platform=platform, situation="app_disabled")
    assert phrase in admins.admin_prompt(ctx).text


@pytest.mark.parametrize("situation", ["user_deleted", "user_disabled"])
def test_it_tells_the_admin_to_restore_or_remove_the_user(situation) -> None:
    ctx = admins.AdminContext(
        incident_id=1, platform="teams", situation=situation, person="Ada <ada@example.com>"
    )
    message = admins.admin_prompt(ctx)
    assert "Ada <ada@example.com>" in message.title
    assert "remove them from Mio's sync" in message.text
    assert ("restore" if situation == "user_deleted" else "re-enable") in message.text


def test_it_shows_other_platforms_codes_without_the_aadsts_prefix() -> None:
    evidence = {"error": "token_revoked", "error_codes": ["token_revoked"]}
    assert error_code("slack", evidence) == "token_revoked"
    assert error_code("teams", {"error_codes": ["50057"]}) == "AADSTS50057"


def test_it_words_every_catalogue_situation_for_its_audience() -> None:
    for key, info in CATALOGUE.items():
        if info.audience == Audience.USER:
            assert key in users.WHY, f"{key} has no user wording"
        elif info.audience == Audience.ADMIN and key != "unknown":
            assert key in admins.SITUATIONS, f"{key} has no admin wording"
