"""Hostile values the fuzzing found that once gave a 500: each must now be a clear 4xx."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from tests.factories import make_tenant
from tests.security.helpers import snapshot
from tokens.relaykeys import issue_relay_key

pytestmark = pytest.mark.django_db


def post_json(url: str, body: object, **headers: str):
    return Client(raise_request_exception=False).post(
        url, data=json.dumps(body), content_type="application/json", **headers
    )


@pytest.mark.parametrize("platform", [[], {}, ["slack"]])
def test_the_relay_api_refuses_a_platform_that_is_not_a_string_with_a_400(platform) -> None:
    key = issue_relay_key(make_tenant())
    before = snapshot()
    answer = post_json(
        "/api/relay-failures/",
        {"platform": platform, "user": "someone", "status": 401, "body": ""},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert answer.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("faults", {"platform": []}),
        ("users", {"platform": {}, "email": "a@b.example"}),
        ("script", {"platform": "slack", "endpoint": []}),
        ("situation", {"platform": "slack", "user": "a@b.example", "situation": []}),
        ("event", {"platform": "slack", "event": {}, "user": "a@b.example"}),
    ],
)
def test_the_sandbox_control_api_refuses_values_that_are_not_strings_with_a_400(call, body) -> None:
    answer = post_json(f"/sandbox/api/{call}", body)
    assert answer.status_code == 400


def test_the_slack_hook_answers_a_body_that_is_not_utf8_with_a_4xx() -> None:
    before = snapshot()
    answer = Client(raise_request_exception=False).post(
        "/hooks/slack/events/",
        data=b'{"type": "event_callback", "x": "\xff"}',
        content_type="application/json",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=str(int(time.time())),
        HTTP_X_SLACK_SIGNATURE="v0=" + "0" * 64,
    )
    assert 400 <= answer.status_code < 500
    assert snapshot() == before
