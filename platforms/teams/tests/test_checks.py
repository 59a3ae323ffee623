"""Teams checks beyond the contract: evidence, CAE challenges, the authority, rotation."""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest

from platforms.errors import PlatformError
from platforms.sandbox.models import SandboxToken, SandboxUser
from platforms.teams.tests.conftest import credential_of
from platforms.teams.tests.test_contract import entra_body, graph_body
from tokens.secret import reveal

ENTRA_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$")
CLAIMS = {"access_token": {"nbf": {"essential": True, "value": "1767171717"}}}
ENCODED = base64.b64encode(json.dumps(CLAIMS).encode()).decode()
CHALLENGE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000", '
    f'error="insufficient_claims", claims="{ENCODED}"'
)


def test_it_keeps_the_aadsts_code_ids_and_entras_timestamp(sandbox, teams, teams_account) -> None:
    sandbox.situation("teams", teams_account.person.email, "ca_blocked")
    outcome = teams.check(credential_of(teams_account))
    evidence = outcome.evidence
    assert outcome.situation == "ca_blocked"
    assert evidence.error_codes == ["53003"]
    assert evidence.suberror == "message_only"
    assert evidence.http_status == 400
    uuid.UUID(evidence.correlation_id)
    uuid.UUID(evidence.trace_id)
    assert ENTRA_TIMESTAMP.match(evidence.timestamp)
    assert evidence.endpoint == "token"
    assert "AADSTS53003" in evidence.description


def test_it_keeps_retry_after_from_a_throttled_token_endpoint(
    sandbox, teams, teams_account
) -> None:
    sandbox.script(
        "teams",
        "token",
        user=teams_account.person.email,
        status=429,
        headers={"Retry-After": "42"},
        body=json.dumps(entra_body(50196, "temporarily_unavailable")),
    )
    outcome = teams.check(credential_of(teams_account))
    assert outcome.transient
    assert outcome.evidence.retry_after == 42
    assert outcome.evidence.error_codes == ["50196"]


def test_it_stores_the_new_refresh_token_of_every_check(sandbox, teams, teams_account) -> None:
    before = reveal(credential_of(teams_account).refresh_token)
    assert teams.check(credential_of(teams_account)).healthy
    after = credential_of(teams_account)
    assert reveal(after.refresh_token) != before
    assert after.refresh_token_last_used_at is not None
    assert teams.check(after).healthy


def test_it_answers_a_cae_challenge_with_the_claims_and_reads_healthy(
    sandbox, teams, teams_account
) -> None:
    sandbox.script(
        "teams",
        "probe",
        user=teams_account.person.email,
        status=401,
        headers={"WWW-Authenticate": CHALLENGE},
        body=json.dumps(graph_body("InvalidAuthenticationToken", "CAE challenge")),
    )
    outcome = teams.check(credential_of(teams_account))
    assert outcome.healthy, outcome.evidence
    # The token Graph finally accepted was asked for with the challenge's claims (+ CP1).
    latest = SandboxToken.objects.filter(platform="teams", kind="access").latest("pk")
    sent = json.loads(latest.meta["claims"])
    assert sent["access_token"]["nbf"] == CLAIMS["access_token"]["nbf"]
    assert sent["access_token"]["xms_cc"] == {"values": ["CP1"]}


def test_it_classifies_entras_answer_to_a_cae_challenge(sandbox, teams, teams_account) -> None:
    # Graph revoked the live token after the user was disabled: the claims request is refused.
    credential = credential_of(teams_account)
    sandbox.situation("teams", teams_account.person.email, "user_disabled")
    with pytest.raises(PlatformError) as caught:
        teams.probe(credential, reveal(credential.access_token))
    assert caught.value.situation == "user_disabled"
    assert caught.value.evidence.endpoint == "token"
    assert caught.value.evidence.error_codes == ["50057"]


def test_it_reads_a_graph_401_after_a_fresh_token_as_an_expired_token(
    sandbox, teams, teams_account
) -> None:
    sandbox.script(
        "teams",
        "probe",
        user=teams_account.person.email,
        status=401,
        body=json.dumps(graph_body("InvalidAuthenticationToken", "Lifetime validation failed")),
    )
    outcome = teams.check(credential_of(teams_account))
    assert outcome.situation == "access_token_expired"
    assert outcome.evidence.error == "InvalidAuthenticationToken"
    # Nothing is wrong with the grant: the next check is healthy.
    assert teams.check(credential_of(teams_account)).healthy


def test_it_uses_the_entra_tenant_of_the_account_and_the_tenants_pinned_id(
    sandbox, teams, teams_account
) -> None:
    user = SandboxUser.objects.get(platform="teams", email=teams_account.person.email)
    # The account's workspace is the user's Entra tenant (a GUID), as Entra names it.
    assert teams_account.workspace_id == user.workspace_id
    uuid.UUID(teams_account.workspace_id)
    tenant = teams_account.person.tenant
    tenant.entra_tenant_id = user.workspace_id
    tenant.save()
    assert teams.check(credential_of(teams_account)).healthy
    # Pinned to another directory: Entra there does not know the user.
    tenant.entra_tenant_id = str(uuid.uuid4())
    tenant.save()
    outcome = teams.check(credential_of(teams_account))
    assert outcome.evidence.error_codes == ["50020"]
    assert tenant.entra_tenant_id in outcome.evidence.description


def test_it_reads_a_revoked_session_as_grant_revoked(sandbox, teams, teams_account) -> None:
    SandboxToken.objects.filter(platform="teams", kind="refresh").update(revoked=True)
    outcome = teams.check(credential_of(teams_account))
    assert outcome.situation == "grant_revoked"
    assert outcome.evidence.error_codes == ["50173"]


def test_it_never_stores_a_token_in_plaintext(sandbox, teams, teams_account) -> None:
    from django.db import connection

    credential = credential_of(teams_account)
    assert teams.check(credential).healthy
    credential = credential_of(teams_account)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, last_evidence FROM tokens_credential "
            "WHERE id = %s",
            [credential.pk],
        )
        stored = " ".join(str(v) for v in cursor.fetchone())
    assert reveal(credential.access_token) not in stored
    assert reveal(credential.refresh_token) not in stored
