"""Relay reports with bodies of any JSON shape: classified (maybe `unknown`), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from platforms.errors import Evidence
from platforms.registry import get_adapter
from platforms.tests.relay_properties import check_any_body, json_bodies, statuses
from tokens.situations import Situation


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, body=json_bodies())
def test_it_classifies_any_json_body_without_raising(status: int | None, body: Any) -> None:
    check_any_body(get_adapter("webex"), status, body)


@pytest.mark.parametrize(
    "body",
    [
        {"error": ["invalid_grant"], "message": {"text": "x"}},
        {"errors": "Forbidden", "trackingId": ["ROUTER_1"]},
        {"errors": [{"description": 5}, "x"], "error_description": None},
    ],
    ids=["list-error", "string-errors", "junk-errors"],
)
def test_it_classifies_fields_of_the_wrong_shape_as_unknown(body: dict[str, Any]) -> None:
    found = get_adapter("webex").classify_relay_error(400, body)
    assert found.situation == Situation.UNKNOWN
    assert (found.evidence.description, found.evidence.correlation_id) == ("", "")
    assert found.evidence.raw == Evidence.clip(json.dumps(body))
