"""A bad input is refused with a message that says what was wrong: requests and commands.

The fuzzing (test_fuzz.py) checks that *every* refusal carries a message; this checks, for one
mistake of each kind, that the message names the mistake.
"""

from __future__ import annotations

import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.factories import make_account, make_person, make_tenant
from tests.security.helpers import slack_headers, snapshot, zoom_headers
from tokens.relaykeys import issue_relay_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    tenant = make_tenant(slug="bad-input")
    make_account(make_person(tenant, email="known@bad-input.example"), "slack")
    return issue_relay_key(tenant)


GOOD = {"platform": "slack", "user": "known@bad-input.example", "status": 401, "body": ""}


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "the body must be a JSON object"),
        ({**GOOD, "platform": "myspace"}, 400, "'platform' must be one of"),
        ({**GOOD, "user": ""}, 400, "'user' must be the upstream user id or the email"),
        ({**GOOD, "status": "401"}, 400, "'status' must be an HTTP status code"),
        ({k: v for k, v in GOOD.items() if k != "body"}, 400, "'body' is required"),
        ({**GOOD, "body": 12}, 400, "'body' must be a string, or the platform's JSON error"),
        ({**GOOD, "user": "stranger@elsewhere.example"}, 404, "no slack account"),
    ],
)
def test_the_relay_api_says_what_is_wrong_with_a_report(key, body, status, says) -> None:
    before = snapshot()
    answer = Client().post(
        "/api/relay-failures/",
        data=body if isinstance(body, bytes) else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert answer.status_code == status
    assert says in answer.json()["error"]
    assert snapshot() == before


def hook(path: str, body: str, **headers: str):
    return Client().post(path, data=body, content_type="application/json", **headers)


def test_the_webhooks_say_why_a_request_is_refused(db) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "x"}})
    stale = int(time.time()) - 600
    cases = [
        (hook("/hooks/slack/events/", body), 401, "Missing X-Slack-Request-Timestamp"),
        (
            hook("/hooks/slack/events/", body, **slack_headers(body, timestamp=stale)),
            401,
            "outside the 5-minute window",
        ),
        (
            hook(
                "/hooks/slack/events/",
                body,
                **{**slack_headers(body), "HTTP_X_SLACK_SIGNATURE": "v0=" + "a" * 64},
            ),
            401,
            "does not match",
        ),
        (
            hook("/hooks/slack/events/", "[]", **slack_headers("[]")),
            400,
            "must be a JSON object",
        ),
        (
            hook(
                "/hooks/zoom/events/",
                '{"event": "app_deauthorized"}',
                **zoom_headers('{"event": "app_deauthorized"}', timestamp=stale * 1000),
            ),
            401,
            "outside the five-minute window",
        ),
        (
            hook("/hooks/graph/lifecycle/", json.dumps({"value": [{"clientState": "forged"}]})),
            403,
            "clientState does not match",
        ),
    ]
    for answer, status, says in cases:
        assert answer.status_code == status, answer.content
        assert says in answer.json()["error"], answer.content


@pytest.mark.parametrize(
    ("call", "body", "says"),
    [
        (
            "faults",
            {"platform": "slack", "error_rate": 2},
            "'error_rate' must be a number from 0 to 1",
        ),
        ("faults", {"platform": "icq"}, "'platform' must be one of"),
        ("script", {"platform": "slack", "endpoint": "nope"}, "'endpoint' must be one of"),
        (
            "situation",
            {"platform": "slack", "user": "x@y.example", "situation": "bored"},
            "cannot produce situation",
        ),
        ("users", {"platform": "slack", "email": "no-at-sign"}, "'email' must be an email address"),
    ],
)
def test_the_sandbox_control_api_says_what_is_wrong(call, body, says) -> None:
    answer = Client().post(
        f"/sandbox/api/{call}", data=json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 400
    assert says in answer.json()["error"]


def test_the_fresh_link_page_says_an_email_is_needed(db) -> None:
    answer = Client().post("/resync/fresh/", {"email": "not an address"})
    assert answer.status_code == 400
    assert "Please enter an email address." in answer.content.decode()


@pytest.mark.parametrize(
    ("command", "args", "says"),
    [
        ("check_tokens", ["--tenant", "no-such-tenant"], "no tenant with slug 'no-such-tenant'"),
        ("relay_key", ["--tenant", "no-such-tenant"], "no tenant with slug 'no-such-tenant'"),
        ("seed_demo", ["--tenants", "0"], "--tenants must be 1..100"),
        ("deliver_prompts", ["--interval", "0"], "--interval must be a positive number"),
        (
            "deliver_prompts",
            ["--pause-after-send", "-1"],
            "--pause-after-send must be zero or more",
        ),
    ],
)
def test_the_commands_say_what_is_wrong_with_an_argument(command, args, says) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(command, *args)
    assert says in str(refused.value)


def test_a_command_refuses_an_argument_outside_its_choices(capsys) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("check_tokens", "--platform", "myspace")
    assert "invalid choice: 'myspace'" in str(refused.value)


def test_key_rotation_refuses_an_empty_batch(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        call_command("rotate_token_keys", "--batch-size", "0")
    assert stopped.value.code == 2
    assert "--batch-size must be at least 1" in capsys.readouterr().err
