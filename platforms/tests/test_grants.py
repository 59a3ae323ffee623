"""Reading what a token endpoint honoured, however damaged the answer arrived (platforms.grants)."""

from __future__ import annotations

import json

from platforms.grants import UnreadableGrant, mask, salvage_grant

# Shapes: RFC 6749 section 5.1 (the fields), Slack's oauth.v2.access answer to a refresh of a
# rotating user token (top-level tokens, as slack-sdk's TokenRotator reads them:
# slackapi/python-slack-sdk slack_sdk/oauth/token_rotation/rotator.py).
SLACK_REFRESH = {
    "ok": True,
    "app_id": "A0KRD7HC3",
    "authed_user": {"id": "U1234"},
    "access_token": "xoxe.xoxp-1-Mi0yLTEyMzQ",
    "refresh_token": "xoxe-1-My0xLTEyMzQtNTY3OA",
    "token_type": "user",
    "expires_in": 43200,
    "team": {"id": "T9TK3CUKW", "name": "Slack Pickleball Team"},
}
ZOOM_REFRESH = {
    "access_token": "eyJhbGciOiJIUzUxMiJ9.eyJ2ZXIiOjcsImF1aWQiOiJhYmMifQ.c2lnbmF0dXJlLXZhbHVl",
    "token_type": "bearer",
    "refresh_token": "eyJhbGciOiJIUzUxMiJ9.eyJ2ZXIiOjcsInR5cCI6InJ0In0.cmVmcmVzaC1zaWduYXR1cmU",
    "expires_in": 3599,
    "scope": "user:read:user team_chat:write:user_message",
}


def test_it_reads_a_whole_answer_from_its_top_level() -> None:
    found = salvage_grant(json.dumps(SLACK_REFRESH))
    assert found["access_token"] == SLACK_REFRESH["access_token"]
    assert found["refresh_token"] == SLACK_REFRESH["refresh_token"]
    assert found["expires_in"] == 43200


def test_it_reads_a_grant_nested_in_authed_user_when_the_top_level_has_none() -> None:
    body = {"ok": True, "authed_user": {"id": "U1", "access_token": "xoxp-9", "expires_in": 60}}
    assert salvage_grant(json.dumps(body)) == {"access_token": "xoxp-9", "expires_in": 60}


def test_it_salvages_both_tokens_from_an_answer_cut_off_after_the_refresh_token() -> None:
    text = json.dumps(ZOOM_REFRESH)
    cut = text[: text.index('"expires_in"') + len('"expires_in": 35')]
    found = salvage_grant(cut)
    assert found["access_token"] == ZOOM_REFRESH["access_token"]
    assert found["refresh_token"] == ZOOM_REFRESH["refresh_token"]
    # "expires_in": 35 is where the answer stopped, not the lifetime.
    assert "expires_in" not in found


def test_it_takes_no_token_that_was_cut_off() -> None:
    text = json.dumps(ZOOM_REFRESH)
    middle = text.index(ZOOM_REFRESH["refresh_token"]) + 20
    found = salvage_grant(text[:middle])
    assert found == {"access_token": ZOOM_REFRESH["access_token"], "token_type": "bearer"}
    assert salvage_grant(text[:30]) == {}


def test_it_reads_escaped_characters_in_a_cut_off_answer() -> None:
    cut = '{"refresh_token": "a\\/b\\u0041", "access_token": "x'
    assert salvage_grant(cut) == {"refresh_token": "a/bA"}


def test_it_reads_a_form_encoded_answer() -> None:
    found = salvage_grant("access_token=abc&refresh_token=def&expires_in=10")
    assert found == {"access_token": "abc", "refresh_token": "def", "expires_in": 10}


def test_it_finds_nothing_in_an_error_or_in_what_is_not_text() -> None:
    assert salvage_grant('{"ok": false, "error": "invalid_refresh_token"}') == {}
    assert salvage_grant("<html>502 Bad Gateway</html>") == {}
    assert salvage_grant(None) == {}  # type: ignore[arg-type]


def test_it_masks_every_token_even_one_cut_off() -> None:
    text = json.dumps({**ZOOM_REFRESH, "id_token": "abc.def", "client_secret": "s3cr3t-value"})
    cut = text[: text.index(ZOOM_REFRESH["refresh_token"]) + 30]
    for shown in (mask(text), mask(cut)):
        assert ZOOM_REFRESH["access_token"] not in shown
        assert ZOOM_REFRESH["refresh_token"][:30] not in shown
        assert "eyJ" not in shown
    assert "s3cr3t" not in mask(text)
    assert "abc.def" not in mask(text)
    # What is left is what an operator reads: the keys, the lengths, the harmless fields.
    assert '"refresh_token": "[masked' in mask(text)
    assert "team_chat:write:user_message" in mask(text)
    assert '"token_type": "bearer"' in mask(text)


def test_it_keeps_the_raw_answer_out_of_an_unreadable_grants_evidence() -> None:
    text = json.dumps(SLACK_REFRESH)[:60]
    err = UnreadableGrant("slack", text, status=200)
    assert err.text == text
    assert err.situation == "operator_config"
    assert err.evidence.error == "unreadable_grant"
    assert err.evidence.http_status == 200
    assert "xoxe" not in json.dumps(err.evidence.as_dict())
