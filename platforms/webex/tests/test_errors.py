"""The Webex error table and how Webex's answers become evidence."""

from __future__ import annotations

import json

import pytest

from platforms.webex.adapter import WebexAdapter
from platforms.webex.errors import WEBEX_ERRORS, classify, evidence
from tokens.situations import CATALOGUE, Situation

TRACKING = "ROUTER_5C5510D1-D8A4-01BB-0055-48A302E70055"


def test_it_links_every_rule_to_a_vendor_or_standard_page() -> None:
    assert len(WEBEX_ERRORS.rules) >= 20
    for code, rule in WEBEX_ERRORS.rules.items():
        assert rule.code == code
        assert rule.doc.startswith(
            (
                "https://developer.webex.com/",
                "https://help.webex.com/",
                "https://datatracker.ietf.org/doc/html/rfc6749",
            )
        ), code
        assert rule.situation.value in CATALOGUE


@pytest.mark.parametrize(
    ("endpoint", "status", "body", "expected"),
    [
        ("token", 400, {"error": "invalid_grant"}, Situation.GRANT_REVOKED),
        ("token", 400, {"error": "unauthorized_client"}, Situation.APP_DISABLED),
        ("token", 401, {"error": "invalid_client"}, Situation.OPERATOR_CONFIG),
        ("token", 403, {"message": "deactivated"}, Situation.USER_DISABLED),
        ("token", 401, {"message": "Unauthorized"}, Situation.OPERATOR_CONFIG),
        ("token", 400, {"message": "Bad Request"}, Situation.UNKNOWN),
        ("probe", 401, {"message": "expired"}, Situation.ACCESS_TOKEN_EXPIRED),
        ("probe", 403, {}, Situation.INSUFFICIENT_SCOPE),
        ("probe", 404, {}, Situation.USER_DELETED),
        ("probe", 423, {}, Situation.TRANSIENT),
        ("probe", 418, {}, Situation.UNKNOWN),
        ("send", 401, {}, Situation.APP_UNINSTALLED),
        ("send", 403, {}, Situation.APP_DISABLED),
        ("send", 404, {}, Situation.USER_DELETED),
        ("send", 429, {}, Situation.TRANSIENT),
        ("relay", 503, {}, Situation.TRANSIENT),
        ("authorize", None, {"error": "access_denied"}, Situation.GRANT_REVOKED),
    ],
)
def test_it_classifies_on_codes_and_statuses(endpoint, status, body, expected) -> None:
    assert classify(endpoint, status, body) == expected


def test_it_decides_on_the_code_not_on_the_message_text() -> None:
    # Same words, different codes: only the code counts.
    words = "The refresh token provided is expired, revoked, malformed, or invalid."
    assert classify("token", 400, {"error": "invalid_grant", "message": words}) == (
        Situation.GRANT_REVOKED
    )
    assert classify("token", 400, {"error": "invalid_scope", "message": words}) == (
        Situation.INSUFFICIENT_SCOPE
    )
    assert classify("token", 400, {"message": "invalid_grant"}) == Situation.UNKNOWN


def test_it_keeps_the_tracking_id_time_and_retry_after_as_evidence() -> None:
    body = {"message": "Too busy", "errors": [{"description": "Too busy"}], "trackingId": TRACKING}
    found = evidence(
        "probe",
        423,
        json.dumps(body),
        {"Retry-After": "12", "Date": "Tue, 19 Jan 2026 08:55:37 GMT"},
    )
    assert found.platform == "webex"
    assert found.http_status == 423
    assert found.error == "http_423"
    assert found.error_codes == ["423"]
    assert found.description == "Too busy"
    assert found.correlation_id == TRACKING
    assert found.timestamp == "Tue, 19 Jan 2026 08:55:37 GMT"
    assert found.retry_after == 12


def test_it_reads_the_tracking_id_from_the_header_when_the_body_has_none() -> None:
    found = evidence("token", 400, '{"error": "invalid_grant"}', {"trackingid": TRACKING})
    assert found.correlation_id == TRACKING
    assert found.error == "invalid_grant"
    assert found.error_codes == ["400", "invalid_grant"]


def test_it_prefers_error_description_then_message_then_errors() -> None:
    assert evidence("token", 400, '{"error_description": "a", "message": "b"}').description == "a"
    assert (
        evidence("token", 400, '{"message": "b", "errors": [{"description": "c"}]}').description
        == "b"
    )
    assert evidence("token", 400, '{"errors": [{"description": "c"}]}').description == "c"
    assert evidence("token", 400, "<html>").description == ""


def test_it_never_keeps_a_token_in_the_raw_evidence() -> None:
    raw = json.dumps({"access_token": "NjY4YzNhMWMtM2UzOS00ZDc2_PF84_abc", "error": "x"})
    found = evidence("token", 400, raw)
    assert "NjY4YzNhMWMtM2UzOS00ZDc2_PF84_abc" not in found.raw


def test_it_classifies_a_relayed_failure(db) -> None:
    adapter = WebexAdapter()
    expired = adapter.classify_relay_error(
        401, {"message": "expired", "errors": [], "trackingId": TRACKING}
    )
    assert expired.situation == Situation.ACCESS_TOKEN_EXPIRED
    assert expired.evidence.endpoint == "relay"
    assert expired.evidence.correlation_id == TRACKING
    throttled = adapter.classify_relay_error(429, b"")
    assert throttled.transient
    assert adapter.classify_relay_error(403, "{}").situation == Situation.INSUFFICIENT_SCOPE
    assert adapter.classify_relay_error(None, "boom").situation == Situation.UNKNOWN


# --- issue 12, finding 3: the identity broker's refusal wrapped by Webex's router -------------
WRAPPED_MESSAGE = (
    "POST failed: HTTP/1.1 400 Bad Request (url = https://idbroker.webex.com/idb/oauth2/v1/"
    "access_token, request/response TrackingId = ROUTER_6357EF72-8F0A-01BB-013F-AC12DA16013F, "
    "error = 'invalid_grant', description = 'The refresh token provided is expired, revoked, "
    "malformed, or invalid.')"
)


@pytest.mark.parametrize(
    "body",
    [
        # The code in ``message`` and in ``errors[].description``…
        {
            "message": WRAPPED_MESSAGE,
            "errors": [{"description": WRAPPED_MESSAGE}],
            "trackingId": "ROUTER_6357EF72-8F0A-01BB-013F-AC12DA16013F",
        },
        # …or only in ``errors[].description``.
        {"errors": [{"description": WRAPPED_MESSAGE}], "trackingId": "ROUTER_1"},
    ],
    ids=["in-message", "in-errors-only"],
)
def test_it_reads_an_oauth_code_wrapped_by_the_router(body) -> None:
    assert classify("token", 400, body) == Situation.GRANT_REVOKED
    found = evidence("token", 400, json.dumps(body))
    assert found.error == "invalid_grant"
    assert found.description == (
        "The refresh token provided is expired, revoked, malformed, or invalid."
    )


def test_it_prefers_the_top_level_code_to_a_wrapped_one() -> None:
    body = {"error": "invalid_client", "message": WRAPPED_MESSAGE}
    assert classify("token", 400, body) == Situation.OPERATOR_CONFIG


def test_it_takes_no_free_text_for_a_wrapped_code() -> None:
    # Other Webex services put prose in the wrapper's ``error``: that is no OAuth code.
    message = (
        "POST failed: HTTP/1.1 400 Bad Request (url = https://webhook-engine-a.wbx2.com/"
        "webhook-engine/api/v1/webhooks, request/response TrackingId = ROUTER_1, "
        "error = 'Invalid value for filter: roomId')"
    )
    body = {"message": message, "errors": [{"description": message}]}
    assert classify("token", 400, body) == Situation.UNKNOWN
    assert evidence("token", 400, json.dumps(body)).description == message
