"""Relay reports with bodies of any JSON shape: classified (maybe `unknown`), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings

from platforms.errors import Evidence
from platforms.registry import get_adapter
from platforms.teams import entra
from platforms.tests import corpus
from platforms.tests.relay_properties import check_any_body, json_bodies, statuses
from tokens.relaykeys import issue_relay_key
from tokens.situations import Situation


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, body=json_bodies())
def test_it_classifies_any_json_body_without_raising(status: int | None, body: Any) -> None:
    check_any_body(get_adapter("teams"), status, body)


def test_it_reads_a_lone_aadsts_number_as_one_code() -> None:
    teams = get_adapter("teams")
    found = teams.classify_relay_error(400, {"error_codes": 50076})
    assert found.situation == Situation.MFA_ENROLLMENT_REQUIRED
    assert found.evidence.error_codes == ["50076"]
    # A string is one code, never its characters.
    found = teams.classify_relay_error(400, {"error": "invalid_grant", "error_codes": "70000"})
    assert found.situation == Situation.GRANT_REVOKED
    assert found.evidence.error_codes == ["70000"]


@pytest.mark.parametrize(
    "body",
    [
        {"error_codes": {"code": 50076}},
        {"error_codes": ["²", True, None, [50076], 1.5]},
        {"error_codes": None, "suberror": ["consent_required"]},
        {"error": ["invalid_grant"], "error_description": {"text": "x"}},
        {"error": {"code": ["InvalidAuthenticationToken"], "message": 7}},
    ],
    ids=["dict-codes", "junk-codes", "list-suberror", "list-error", "list-graph-code"],
)
def test_it_classifies_fields_of_the_wrong_shape_as_unknown(body: dict[str, Any]) -> None:
    found = get_adapter("teams").classify_relay_error(400, body)
    assert found.situation == Situation.UNKNOWN
    assert found.evidence.error_codes == []
    assert found.evidence.raw == Evidence.clip(json.dumps(body))


def test_it_types_every_field_of_an_entra_body_read_by_checks() -> None:
    found = entra.from_body(
        {"error_codes": 53003, "suberror": 5, "error": {}, "correlation_id": [1]},
        "token",
        status=400,
        raw="",
    )
    assert found.situation == Situation.CA_BLOCKED
    assert (found.evidence.suberror, found.evidence.error) == ("5", "")
    assert found.evidence.correlation_id == ""


@pytest.mark.parametrize(
    "body",
    [{"error_codes": 50076}, {"error_codes": "70000"}, {"error": {"code": {"x": 1}}}, [1, 2]],
    ids=["int-codes", "string-codes", "dict-code", "list"],
)
def test_it_answers_a_relay_report_with_a_malformed_body_with_202(
    sandbox, live_server, teams_account, body: Any
) -> None:
    key = issue_relay_key(teams_account.person.tenant, "relay-shapes")
    report = {"platform": "teams", "user": teams_account.upstream_user_id, "status": 400}
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


def _wire(wire_id: str) -> corpus.Wire:
    return next(wire for wire in corpus.load("teams") if wire.id == wire_id)


def test_it_reads_the_connectors_errorcode_shape_as_a_blocked_bot() -> None:
    # Teams' second error shape: {"errorCode": 209, "message": "<JSON text with subCode>"}.
    blocked = _wire("send/message_writes_blocked_403")
    found = get_adapter("teams").classify_relay_error(blocked.status, blocked.body)
    assert found.situation == Situation.APP_UNINSTALLED
    assert found.evidence.error == "MessageWritesBlocked"
    assert found.evidence.error_codes == ["209"]
    assert found.evidence.description == "Thread is blocked from message writes."


def test_it_reads_the_connectors_error_response_shape_too() -> None:
    not_installed = _wire("conversations/not_installed_403")
    found = get_adapter("teams").classify_relay_error(not_installed.status, not_installed.body)
    assert found.situation == Situation.APP_UNINSTALLED
    assert found.evidence.error == "ForbiddenOperationException"


def test_it_keeps_a_plain_text_errorcode_message_as_evidence() -> None:
    found = get_adapter("teams").classify_relay_error(403, {"errorCode": 7, "message": "Nope"})
    assert found.situation == Situation.UNKNOWN
    assert found.evidence.description == "Nope"
    assert found.evidence.error_codes == ["7"]
