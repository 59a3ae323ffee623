"""Issue 12's Slack findings, each replayed from its cited fixture through a real check.

1. A user token's refresh answer carries the new pair at the top level (token rotation).
2. (Slack's part) an answer cut off after Slack redeemed the refresh token alerts the operator.
6. A deactivated member's refresh reads ``invalid_refresh_token``, like a revoked grant: the
   bot's ``users.info`` tells them apart before anyone is prompted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from slack_sdk.web import SlackResponse

from platforms.errors import PlatformError
from platforms.grants import has_tokens, salvage_grant
from platforms.sandbox import core
from platforms.slack import oauth
from platforms.tests import corpus
from tokens.models import Credential
from tokens.secret import reveal
from tokens.situations import audience_key


def _wire(wire_id: str) -> corpus.Wire:
    return next(wire for wire in corpus.load("slack") if wire.id == wire_id)


def _replay(sandbox, wire_id: str) -> corpus.Wire:
    wire = _wire(wire_id)
    sandbox.script(
        "slack", wire.endpoint, status=wire.status, headers=wire.headers, body=wire.body_text
    )
    return wire


def _expired(account) -> Credential:
    """The account's credential with its access token expired here and at the sandbox."""
    Credential.objects.filter(pk=account.credential_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    core.expire_access_tokens("slack", account.person.email)
    return Credential.objects.get(pk=account.credential_id)


def _answer(data) -> SlackResponse:
    return SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/oauth.v2.access",
        req_args={},
        data=data,
        headers={},
        status_code=200,
    )


# --- finding 1: the rotated user token is at the top level -----------------------------------
def test_it_keeps_the_rotated_user_token_slack_answers_at_the_top_level(
    sandbox, slack, slack_account
) -> None:
    wire = _replay(sandbox, "token/refresh_user_token_rotated")
    _replay(sandbox, "probe/user_token_ok")
    outcome = slack.check(_expired(slack_account))
    assert outcome.healthy, outcome.evidence
    assert outcome.refreshed
    stored = Credential.objects.get(pk=slack_account.credential_id)
    assert reveal(stored.access_token) == wire.body["access_token"]
    assert reveal(stored.refresh_token) == wire.body["refresh_token"]
    assert stored.expires_at > timezone.now() + timedelta(hours=11)


def test_it_stays_healthy_across_rotations_against_the_fake(sandbox, slack, slack_account) -> None:
    # The fake answers a user refresh in Slack's shape: three rotations in a row, no prompt.
    for _ in range(3):
        before = reveal(Credential.objects.get(pk=slack_account.credential_id).refresh_token)
        outcome = slack.check(_expired(slack_account))
        assert outcome.healthy, outcome.evidence
        assert outcome.refreshed
        after = reveal(Credential.objects.get(pk=slack_account.credential_id).refresh_token)
        assert after
        assert after != before


def test_it_reads_the_user_id_slack_may_add_beside_the_top_level_tokens() -> None:
    body = dict(_wire("token/refresh_user_token_rotated").body, authed_user={"id": "U1234"})
    grant = oauth.grant_from_refresh(_answer(body))
    assert grant.access_token == body["access_token"]
    assert grant.refresh_token == body["refresh_token"]
    assert grant.upstream_user_id == "U1234"


def test_it_still_reads_tokens_nested_like_the_code_exchanges() -> None:
    body = _wire("token/code_exchange_user_sign_in").body
    grant = oauth.grant_from_refresh(_answer(body))
    assert grant.access_token == body["authed_user"]["access_token"]
    assert grant.refresh_token == body["authed_user"]["refresh_token"]


def test_it_tells_the_operator_when_an_ok_refresh_holds_no_token() -> None:
    with pytest.raises(PlatformError) as caught:
        oauth.grant_from_refresh(_answer({"ok": True, "token_type": "user", "refresh_token": "x"}))
    assert caught.value.situation.value == "operator_config"
    assert caught.value.evidence.error == "unreadable_grant"
    assert "refresh_token" in caught.value.evidence.description  # the field's name, not value
    assert '"x"' not in caught.value.evidence.description


# --- finding 2 (Slack's part): a cut-off answer prompts no user ------------------------------
def test_it_alerts_the_operator_when_the_refresh_answer_is_cut_off(
    sandbox, slack, slack_account
) -> None:
    before = reveal(Credential.objects.get(pk=slack_account.credential_id).refresh_token)
    _replay(sandbox, "token/refresh_answer_cut_off")
    outcome = slack.check(_expired(slack_account))
    assert outcome.situation == "operator_config", outcome.evidence
    assert audience_key(outcome.situation) == "operator"
    assert outcome.evidence.error == "unreadable_grant"
    # The token the cut-off body began to show is not kept anywhere in the evidence.
    for field in (outcome.evidence.error, outcome.evidence.description, outcome.evidence.raw):
        assert "Mi0yLTE3NjUzNjcy" not in field
    assert reveal(Credential.objects.get(pk=slack_account.credential_id).refresh_token) == before


def test_it_keeps_the_whole_pair_a_cut_off_refresh_answer_still_holds(
    sandbox, slack, slack_account
) -> None:
    wire = _replay(sandbox, "token/refresh_answer_cut_off_after_tokens")
    _replay(sandbox, "probe/user_token_ok")
    outcome = slack.check(_expired(slack_account))
    assert outcome.healthy, outcome.evidence
    assert outcome.refreshed
    stored = Credential.objects.get(pk=slack_account.credential_id)
    assert reveal(stored.access_token) == wire.extra["salvaged"]["access_token"]
    assert reveal(stored.refresh_token) == wire.extra["salvaged"]["refresh_token"]


def test_it_salvages_only_whole_values() -> None:
    wire = _wire("token/refresh_answer_cut_off_after_tokens")
    cut_in_refresh_token = wire.body_text[: wire.body_text.index('"token_type"') - 10]
    assert salvage_grant(wire.body_text) == wire.extra["salvaged"] | {"token_type": "user"}
    assert "refresh_token" not in salvage_grant(cut_in_refresh_token)
    assert not has_tokens(salvage_grant(_wire("token/refresh_answer_cut_off").body_text))


# --- finding 6: a deactivated member goes to an admin ----------------------------------------
def test_it_routes_a_deactivated_members_refused_refresh_to_an_admin(
    sandbox, slack, slack_account
) -> None:
    _replay(sandbox, "token/invalid_refresh_token")
    _replay(sandbox, "profile/deactivated_user")
    outcome = slack.check(_expired(slack_account))
    assert outcome.situation == "user_deleted", outcome.evidence
    assert audience_key(outcome.situation) == "admin"
    assert "users.info" in outcome.evidence.description


def test_it_asks_the_user_when_users_info_shows_them_active(sandbox, slack, slack_account) -> None:
    _replay(sandbox, "token/invalid_refresh_token")
    _replay(sandbox, "profile/ok")
    outcome = slack.check(_expired(slack_account))
    assert outcome.situation == "grant_revoked", outcome.evidence
    assert audience_key(outcome.situation) == "user"


def test_it_reads_a_deactivated_member_from_the_fake_alone(sandbox, slack, slack_account) -> None:
    # The fake refuses the refresh as Slack does (invalid_refresh_token) and shows the member
    # deactivated in users.info.
    sandbox.situation("slack", slack_account.person.email, "user_deleted")
    outcome = slack.check(_expired(slack_account))
    assert outcome.situation == "user_deleted", outcome.evidence
    assert outcome.evidence.error == "invalid_refresh_token"
