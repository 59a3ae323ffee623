"""Zoom's error table and the reading of its three error envelopes (no HTTP needed)."""

from __future__ import annotations

import json

import pytest

from platforms.registry import get_adapter
from platforms.zoom.errors import ZOOM_ERRORS, error_for
from tokens.situations import CATALOGUE, Situation


def test_it_links_every_rule_to_a_vendor_page() -> None:
    for rule in ZOOM_ERRORS.rules.values():
        assert rule.doc.startswith("https://"), rule
        assert rule.situation.value in CATALOGUE


def test_it_covers_zooms_documented_oauth_codes() -> None:
    documented = {"4700", "4702", "4704", "4705", "4706", "4709", "4711", "4717", "4724"}
    documented |= {"4732", "4733", "4734", "4735", "4737", "4738", "4740", "4741"}
    assert documented <= set(ZOOM_ERRORS.rules)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"status": False, "errorCode": 4741, "errorMessage": "x", "result": None},
            400,
            "grant_revoked",
        ),
        (
            {"status": False, "errorCode": 4735, "errorMessage": "x", "result": None},
            400,
            "user_deleted",
        ),
        (
            {"code": 4711, "message": "Invalid access token, does not contain scopes"},
            400,
            "insufficient_scope",
        ),
        ({"code": 124, "message": "Access token is expired."}, 401, "access_token_expired"),
        ({"code": 124, "message": "Invalid access token."}, 401, "access_token_expired"),
        ({"code": 7004, "message": "Not authorized.", "result": False}, 400, "app_uninstalled"),
        ({"reason": "Invalid Token!", "error": "invalid_grant"}, 400, "grant_revoked"),
        ({"message": "no code here"}, 401, "access_token_expired"),
        ({"message": "no code here"}, 403, "unknown"),
        ({"code": 4741, "message": "a code, but throttled"}, 429, "transient"),
        ("<html>gateway</html>", 502, "transient"),
        ("not json at all", 400, "unknown"),
    ],
)
def test_it_classifies_on_codes_not_messages(body, status, expected) -> None:
    raw = body if isinstance(body, str) else json.dumps(body)
    assert error_for("relay", status=status, body=raw).situation == expected


def test_it_ignores_the_message_text() -> None:
    # Same words as a revoked grant, but an unknown code: the text does not decide.
    body = {"code": 999999, "message": "The token has been revoked."}
    assert error_for("probe", status=400, body=body).situation == Situation.UNKNOWN


def test_it_keeps_full_evidence() -> None:
    err = error_for(
        "token",
        status=400,
        body=json.dumps(
            {"status": False, "errorCode": 4717, "errorMessage": "The app has been disabled"}
        ),
        headers={
            "x-zm-trackingid": "v=2.0;clid=us05;rid=WEB_abc",
            "Date": "Fri, 27 Nov 2026 08:55:37 GMT",
        },
    )
    evidence = err.evidence
    assert (evidence.platform, evidence.endpoint, evidence.http_status) == ("zoom", "token", 400)
    assert evidence.error_codes == ["4717"]
    assert evidence.description == "The app has been disabled"
    assert evidence.trace_id == "v=2.0;clid=us05;rid=WEB_abc"
    assert evidence.timestamp == "Fri, 27 Nov 2026 08:55:37 GMT"
    assert "4717" in evidence.raw


def test_it_keeps_retry_after_of_a_throttled_answer() -> None:
    err = error_for("probe", status=429, body="{}", headers={"Retry-After": "12"})
    assert err.transient
    assert err.evidence.retry_after == 12


def test_it_redacts_tokens_in_the_raw_evidence() -> None:
    leaked = "eyJhbGciOiJIUzUxMiJ9.eyJ1aWQiOiJhYmNkZWZnaCJ9.c2lnbmF0dXJlc2ln"
    err = error_for(
        "token", status=400, body=json.dumps({"error": "invalid_grant", "refresh_token": leaked})
    )
    assert leaked not in err.evidence.raw
    assert leaked not in repr(err)


def test_it_classifies_a_relay_failure_from_a_dict_or_text() -> None:
    adapter = get_adapter("zoom")
    assert adapter.classify_relay_error(
        400, {"code": 7004, "message": "Not authorized."}
    ).situation == (Situation.APP_UNINSTALLED)
    assert adapter.classify_relay_error(None, "connection reset").situation == Situation.UNKNOWN
    assert adapter.classify_relay_error(503, "").transient
    assert (
        adapter.classify_relay_error(400, {"errorCode": 4738}).situation
        == Situation.CONSENT_MISSING
    )
