"""Relay reports with bodies of any JSON shape: classified (maybe `unknown`), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings

from platforms.errors import Evidence
from platforms.registry import get_adapter
from platforms.slack.client import classify
from platforms.tests.relay_properties import check_any_body, json_bodies, statuses
from tokens.relaykeys import issue_relay_key
from tokens.situations import Situation


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, body=json_bodies())
def test_it_classifies_any_json_body_without_raising(status: int | None, body: Any) -> None:
    check_any_body(get_adapter("slack"), status, body)


@pytest.mark.parametrize(
    "body",
    [
        {"ok": False, "response_metadata": "x"},
        {"ok": False, "response_metadata": ["x"]},
        {"ok": False, "response_metadata": {"messages": "not a list"}},
        {"ok": False, "error": ["account_inactive"]},
        {"ok": False, "error": {"code": "account_inactive"}, "needed": ["chat:write"]},
    ],
    ids=["metadata-string", "metadata-list", "messages-string", "error-list", "error-object"],
)
def test_it_classifies_fields_of_the_wrong_shape_as_unknown(body: dict[str, Any]) -> None:
    found = get_adapter("slack").classify_relay_error(200, body)
    assert found.situation == Situation.UNKNOWN
    assert found.evidence.error == "http_200"
    assert found.evidence.error_codes == []
    assert found.evidence.raw == Evidence.clip(json.dumps(body))


def test_it_still_reads_the_codes_and_messages_of_a_well_formed_body() -> None:
    body = {
        "ok": False,
        "error": "missing_scope",
        "needed": "chat:write",
        "provided": "identify",
        "response_metadata": {"messages": ["[ERROR] missing scope", {"odd": 1}]},
    }
    found = classify("probe", 200, body, {}, json.dumps(body))
    assert found.situation == Situation.INSUFFICIENT_SCOPE
    assert "Needed: chat:write; granted: identify." in found.evidence.description
    assert found.evidence.description.endswith("[ERROR] missing scope")


@pytest.mark.parametrize(
    "body",
    [{"ok": False, "response_metadata": "x"}, {"error": 5}, [None], "\u0000 not json"],
    ids=["metadata-string", "error-number", "list", "nul-text"],
)
def test_it_answers_a_relay_report_with_a_malformed_body_with_202(
    sandbox, live_server, slack_account, body: Any
) -> None:
    key = issue_relay_key(slack_account.person.tenant, "relay-shapes")
    report = {"platform": "slack", "user": slack_account.upstream_user_id, "status": 200}
    with requests.Session() as http:
        http.trust_env = False
        answer = http.post(
            f"{live_server.url}/api/relay-failures/",
            json={**report, "body": body},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    assert answer.status_code == 202, answer.text[:300]
    assert answer.json()["recorded"] is True
