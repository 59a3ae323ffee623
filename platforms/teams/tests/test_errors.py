"""The Teams error table: codes decide, every rule is documented, the reference is covered."""

from __future__ import annotations

import pytest

from platforms.teams.adapter import TeamsAdapter
from platforms.teams.errors import (
    BOT_RULES,
    ENTRA_RULES,
    GRAPH_RULES,
    SUBERROR_RULES,
    TEAMS_ERRORS,
    entra_situation,
)
from platforms.teams.oauth import redirect_error

# The primary codes of shared/reference/provider-errors.md and what they must mean.
PRIMARY = {
    65001: "consent_missing",
    53003: "ca_blocked",
    7000112: "app_disabled",
    50034: "user_deleted",
    50057: "user_disabled",
    50173: "grant_revoked",
    50079: "mfa_enrollment_required",
    50076: "mfa_enrollment_required",
    700082: "refresh_token_inactive",
    50055: "password_expired",
    7000215: "operator_config",
    7000222: "operator_config",
}

# Related codes from Entra's error reference, per situation (at least these).
RELATED = {
    "consent_missing": [65004, 90094, 90008],
    "ca_blocked": [53000, 53001, 53002, 530032, 50097, 530003],
    "app_disabled": [700016, 70001],
    "user_deleted": [51004],
    "grant_revoked": [50132, 50133, 70043, 50089],
    "mfa_enrollment_required": [50072, 50074, 50158],
    "refresh_token_inactive": [70008, 700084],
    "password_expired": [50144],
    "transient": [50196, 90055],
    "operator_config": [50011, 70002, 7000218, 90002],
}


@pytest.mark.parametrize(("code", "expected"), sorted(PRIMARY.items()))
def test_it_maps_each_primary_code_of_the_reference(code: int, expected: str) -> None:
    assert entra_situation([code]) == expected


@pytest.mark.parametrize(
    ("situation", "code"), [(s, c) for s, codes in sorted(RELATED.items()) for c in codes]
)
def test_it_maps_the_related_codes_of_each_situation(situation: str, code: int) -> None:
    assert entra_situation([str(code)]) == situation


def test_it_links_the_vendor_documentation_on_every_rule() -> None:
    for rule in TEAMS_ERRORS.rules.values():
        assert rule.doc.startswith(
            ("https://learn.microsoft.com/", "https://login.microsoftonline.com/error?code=")
        ), rule


def test_it_keeps_the_namespaces_apart() -> None:
    assert all(r.code.isdigit() for r in ENTRA_RULES)
    assert all(r.code.startswith("suberror:") for r in SUBERROR_RULES)
    assert all(r.code.startswith("graph:") for r in GRAPH_RULES)
    assert all(r.code.startswith("bot:") for r in BOT_RULES)
    total = len(ENTRA_RULES) + len(SUBERROR_RULES) + len(GRAPH_RULES) + len(BOT_RULES)
    assert len(TEAMS_ERRORS.rules) == total, "a code is listed twice"


def test_it_decides_on_codes_before_the_suberror() -> None:
    # 50057 with a consent sub-error is still a disabled user: the AADSTS number wins.
    assert entra_situation(["50057"], "consent_required") == "user_disabled"
    # No known number: the sub-error decides.
    assert entra_situation(["99999"], "consent_required") == "consent_missing"
    assert entra_situation([], "user_password_expired") == "password_expired"
    # Neither: unknown, never a guess from the error string.
    assert entra_situation(["99999"], "") == "unknown"


def test_it_uses_the_first_code_it_knows() -> None:
    assert entra_situation(["99999", "53003", "65001"]) == "ca_blocked"


def test_it_reads_the_code_of_an_authorize_redirect_error() -> None:
    err = redirect_error(
        {
            "error": "access_denied",
            "error_subcode": "cancel",
            "error_description": "AADSTS65004: User declined to consent to access the app.",
            "state": "s",
        }
    )
    assert err.situation == "consent_missing"
    assert err.evidence.error_codes == ["65004"]
    assert err.evidence.endpoint == "authorize"


def test_it_classifies_relay_errors_from_entra_graph_and_the_connector() -> None:
    adapter = TeamsAdapter()
    entra = {"error": "invalid_grant", "error_codes": [50057], "correlation_id": "c-1"}
    found = adapter.classify_relay_error(400, entra)
    assert found.situation == "user_disabled"
    assert found.evidence.correlation_id == "c-1"
    graph = '{"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}'
    assert adapter.classify_relay_error(401, graph).situation == "access_token_expired"
    bot = {"error": {"code": "BotNotInConversationRoster", "message": "not in roster"}}
    assert adapter.classify_relay_error(403, bot).situation == "app_uninstalled"
    assert adapter.classify_relay_error(503, "<html>").situation == "transient"
    assert adapter.classify_relay_error(429, {}).situation == "transient"
    assert adapter.classify_relay_error(400, "not json").situation == "unknown"
    assert adapter.classify_relay_error(403, {"error": {"code": "Nope"}}).situation == "unknown"
