"""Relay reports with bodies of any JSON shape: classified (maybe `unknown`), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from platforms.errors import Evidence
from platforms.registry import get_adapter
from platforms.tests.relay_properties import check_any_body, json_bodies, statuses
from platforms.zoom.errors import error_for
from tokens.situations import Situation


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, body=json_bodies())
def test_it_classifies_any_json_body_without_raising(status: int | None, body: Any) -> None:
    check_any_body(get_adapter("zoom"), status, body)


@pytest.mark.parametrize(
    "body",
    [
        {"code": {"value": 124}, "message": ["Invalid access token."]},
        {"errorCode": [4717], "errorMessage": {"text": "x"}},
        {"code": True, "reason": 7},
        {"error": ["invalid_grant"], "reason": "Invalid Token!"},
    ],
    ids=["object-code", "list-code", "bool-code", "list-error"],
)
def test_it_classifies_fields_of_the_wrong_shape_as_unknown(body: dict[str, Any]) -> None:
    found = get_adapter("zoom").classify_relay_error(400, body)
    assert found.situation == Situation.UNKNOWN
    assert found.evidence.error_codes == []
    assert found.evidence.raw == Evidence.clip(json.dumps(body))


def test_it_keeps_a_list_body_as_json_evidence() -> None:
    found = get_adapter("zoom").classify_relay_error(400, [{"code": 124}])
    assert found.situation == Situation.UNKNOWN
    assert found.evidence.raw == '[{"code": 124}]'  # JSON, not Python's repr


def test_it_still_reads_each_envelope_with_codes_of_the_right_type() -> None:
    assert error_for("probe", status=401, body={"code": 124}).situation == (
        Situation.ACCESS_TOKEN_EXPIRED
    )
    found = error_for("token", status=400, body={"errorCode": "4717", "errorMessage": "x"})
    assert found.evidence.error_codes == ["4717"]
    assert found.evidence.description == "x"
