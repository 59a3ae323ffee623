"""Slack's error table and the classification of raw answers (no network needed)."""

from __future__ import annotations

import json

import pytest

from platforms.registry import get_adapter
from platforms.slack.client import classify
from platforms.slack.errors import MEANINGS, SLACK_ERRORS
from tokens.situations import Situation

# The codes the brief and provider-errors.md name, with what they must mean for Mio.
EXPECTED = {
    "invalid_auth": "grant_revoked",
    "not_authed": "grant_revoked",
    "token_revoked": "grant_revoked",
    "invalid_refresh_token": "grant_revoked",
    "invalid_grant": "grant_revoked",
    "account_inactive": "user_deleted",
    "token_expired": "access_token_expired",
    "missing_scope": "insufficient_scope",
    "no_permission": "insufficient_scope",
    "ekm_access_denied": "app_disabled",
    "team_access_not_granted": "consent_missing",
    "two_factor_setup_required": "mfa_enrollment_required",
    "invalid_client_id": "operator_config",
    "bad_client_secret": "operator_config",
    "ratelimited": "transient",
    "service_unavailable": "transient",
    "internal_error": "transient",
    "fatal_error": "transient",
    "request_timeout": "transient",
    "org_login_required": "transient",
}


@pytest.mark.parametrize(("code", "situation"), EXPECTED.items(), ids=list(EXPECTED))
def test_it_maps_each_documented_code_to_its_situation(code, situation) -> None:
    assert SLACK_ERRORS.lookup(code) == situation


def test_it_links_every_rule_to_slacks_own_docs_and_explains_it() -> None:
    for code, rule in SLACK_ERRORS.rules.items():
        assert rule.doc.startswith("https://docs.slack.dev/"), code
        assert MEANINGS.get(code), f"{code} has no description for admins"


def test_it_keeps_unknown_codes_unknown() -> None:
    error = classify("probe", 200, {"ok": False, "error": "brand_new_code"}, {}, "{}")
    assert error.situation == Situation.UNKNOWN
    assert error.evidence.error == "brand_new_code"


def test_it_reads_429_as_transient_and_keeps_retry_after() -> None:
    error = classify(
        "probe", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "12"}, "{}"
    )
    assert error.situation == Situation.TRANSIENT
    assert error.evidence.retry_after == 12


def test_it_reads_5xx_as_transient_whatever_the_body_says() -> None:
    error = classify("probe", 503, {"ok": False, "error": "account_inactive"}, {}, "{}")
    assert error.situation == Situation.TRANSIENT


def test_it_keeps_the_evidence_an_admin_needs() -> None:
    body = {"ok": False, "error": "missing_scope", "needed": "chat:write", "provided": "identify"}
    headers = {"x-slack-req-id": "abc123", "Date": "Fri, 27 Nov 2026 08:55:37 GMT"}
    evidence = classify("probe", 200, body, headers, json.dumps(body)).evidence
    assert evidence.platform == "slack"
    assert evidence.endpoint == "probe"
    assert evidence.http_status == 200
    assert evidence.error_codes == ["missing_scope"]
    assert evidence.trace_id == "abc123"
    assert evidence.timestamp == "Fri, 27 Nov 2026 08:55:37 GMT"
    assert "chat:write" in evidence.description
    assert "missing_scope" in evidence.raw


def test_it_never_keeps_a_token_in_the_raw_evidence() -> None:
    token = "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMi1hYmNkZWZnaGlqaw"
    raw = json.dumps({"ok": False, "error": "invalid_auth", "echo": token})
    evidence = classify("probe", 200, json.loads(raw), {}, raw).evidence
    assert "Mi0yLTEyMzQ1Njc4OTAxMi1hYmNkZWZnaGlqaw" not in evidence.raw


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"ok": False, "error": "token_revoked"}, "grant_revoked"),
        (200, '{"ok": false, "error": "account_inactive"}', "user_deleted"),
        (200, b'{"ok": false, "error": "missing_scope"}', "insufficient_scope"),
        (429, {"ok": False, "error": "ratelimited"}, "transient"),
        (502, "<html>Bad Gateway</html>", "transient"),
        (200, "not json at all", "unknown"),
        (None, None, "unknown"),
    ],
)
def test_it_classifies_what_the_relay_reports(status, body, expected) -> None:
    error = get_adapter("slack").classify_relay_error(status, body)
    assert error.situation == expected
    assert error.evidence.endpoint == "relay"
