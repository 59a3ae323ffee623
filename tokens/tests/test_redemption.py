"""A refresh the platform honoured is never lost (tokens.redemption), against the Zoom sandbox.

Zoom rotates refresh tokens: once redeemed, the old one is refused, so anything Mio fails to
keep of the answer would otherwise end in a user prompt for a sign-in Mio itself lost.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from dashboard.models import AuditEntry
from notifications.models import Incident, OutboxMessage
from platforms import grants
from platforms.base import TokenGrant
from platforms.errors import PlatformError
from platforms.registry import get_adapter
from platforms.sandbox import core
from platforms.zoom.adapter import ZoomAdapter
from tokens.models import CheckRecord, Credential, CredentialState, PlatformAccount
from tokens.secret import reveal
from tokens.services import check_now
from tokens.tests.conftest import fresh

PLATFORM = "zoom"


def expire(account: PlatformAccount) -> None:
    Credential.objects.filter(pk=account.credential_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    core.expire_access_tokens(PLATFORM, account.person.email)


def check(account: PlatformAccount) -> CheckRecord:
    record = check_now([account.credential_id], CheckRecord.Source.SCHEDULE)[account.credential_id]
    assert record is not None
    return record


@pytest.mark.parametrize("disk", ["writable", "full"])
def test_it_keeps_a_grant_the_database_refused_and_stores_it_on_the_next_attempt(
    enroll, settings, tmp_path, monkeypatch, disk
) -> None:
    settings.GRANT_SPOOL_DIR = str(tmp_path)
    if disk == "full":
        # The spool cannot be written either: the worker process keeps the grant in memory.
        (tmp_path / "spool").write_text("")
        settings.GRANT_SPOOL_DIR = str(tmp_path / "spool" / "cannot-be-a-directory")
    account = enroll(PLATFORM)
    old = reveal(fresh(account).refresh_token)
    expire(account)
    save = Credential.save
    refused = []

    def save_or_fail(self, *args, **kwargs):  # the database refuses the one write that matters
        if "refresh_token" in (kwargs.get("update_fields") or []) and not refused:
            refused.append(self.pk)
            raise OperationalError("server closed the connection unexpectedly")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Credential, "save", save_or_fail)
    first = check(account)
    assert refused == [account.credential_id]
    assert first.outcome == CheckRecord.Outcome.TRANSIENT
    assert first.evidence["error"] == "grant_unsaved"
    assert reveal(fresh(account).refresh_token) == old  # spent at Zoom, still the stored one
    if disk == "writable":
        spooled = list(tmp_path.iterdir())
        assert len(spooled) == 1
        assert old not in spooled[0].read_text()  # kept encrypted

    second = check(account)
    assert second.outcome in (CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED), second.evidence
    assert reveal(fresh(account).refresh_token) != old
    assert [p.name for p in tmp_path.iterdir()] == ([] if disk == "writable" else ["spool"])
    # The stored refresh token is the live one: Zoom honours it.
    expire(account)
    assert check(account).outcome == CheckRecord.Outcome.HEALED


def test_it_hands_a_held_credential_to_its_user_when_the_operator_releases_it(
    enroll, admin_client
) -> None:
    account = enroll(PLATFORM)
    credential = fresh(account)
    # The answer to this redemption is lost: Zoom has voided the stored refresh token.
    get_adapter(PLATFORM).redeem_refresh_token(credential, reveal(credential.refresh_token))
    Credential.objects.filter(pk=credential.pk).update(grant_lost_at=timezone.now())
    expire(account)

    held = check(account)
    assert held.situation == "operator_config", held.evidence
    assert "held for the operator" in held.evidence["description"]
    assert fresh(account).state == CredentialState.WAITING_OPERATOR
    assert not OutboxMessage.objects.filter(audience="user").exists()

    answer = admin_client.post(
        reverse("admin:tokens_credential_changelist"),
        {"action": "release_held", "_selected_action": [credential.pk]},
        follow=True,
    )
    assert answer.status_code == 200
    assert "1 held credential(s) released" in answer.content.decode()
    after = fresh(account)
    assert after.grant_lost_at is None
    assert (after.state, after.situation) == (CredentialState.WAITING_USER, "grant_revoked")
    prompt = OutboxMessage.objects.get(audience="user")
    assert prompt.recipient == account.person
    assert Incident.objects.get(audience="user", status="open").account == account
    assert AuditEntry.objects.filter(
        action="admin.credential.release_held", target_id=str(credential.pk)
    ).exists()


@pytest.mark.parametrize("situation", ["grant_revoked", "user_deleted"])
def test_it_prompts_nobody_but_the_operator_while_a_credential_is_held(
    enroll, sandbox, situation
) -> None:
    account = enroll(PLATFORM)
    Credential.objects.filter(pk=account.credential_id).update(grant_lost_at=timezone.now())
    if situation in _situations():
        sandbox.situation(PLATFORM, account.person.email, situation)
    else:
        pytest.skip(f"the {PLATFORM} sandbox cannot produce {situation}")
    record = check(account)
    assert record.situation == "operator_config", record.evidence
    assert not Incident.objects.exclude(audience="operator").exists()
    assert not OutboxMessage.objects.exclude(audience="operator").exists()


def _situations() -> set[str]:
    from platforms.sandbox.registry import get_fake

    return set(get_fake(PLATFORM).situations)


def test_it_ends_the_hold_when_the_user_signs_in_again(enroll, sandbox) -> None:
    from tokens.provisioning import attach_account, grant_from_dict

    account = enroll(PLATFORM)
    Credential.objects.filter(pk=account.credential_id).update(grant_lost_at=timezone.now())
    data = sandbox.provision(PLATFORM, account.person.email, account.person.name)
    attach_account(account.person, PLATFORM, grant_from_dict(data["grant"]))
    assert fresh(account).grant_lost_at is None
    assert check(account).outcome in (CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED)


def test_it_leaves_a_whole_refusal_answered_with_a_2xx_to_the_adapters_reading(
    enroll, sandbox
) -> None:
    # Some platforms refuse with HTTP 200 (Slack's ok: false); a whole answer without tokens is
    # a refusal the adapter read, not a grant it lost.
    account = enroll(PLATFORM)
    expire(account)
    sandbox.script(
        PLATFORM, "token", status=200, body='{"reason": "Invalid Token!", "error": "invalid_grant"}'
    )
    record = check(account)
    assert record.situation == "grant_revoked", record.evidence
    assert fresh(account).grant_lost_at is None


def test_it_redeems_once_for_two_workers_unless_a_new_token_is_forced(enroll) -> None:
    account = enroll(PLATFORM)
    adapter = get_adapter(PLATFORM)
    stale = fresh(account)  # a worker read it before another one refreshed it
    adapter.refresh(fresh(account))
    refreshed = reveal(fresh(account).refresh_token)
    assert reveal(adapter.refresh(stale).refresh_token) == refreshed  # not redeemed twice
    # A token with new claims (Teams' CAE challenge) needs its own redemption.
    forced = adapter.refresh(stale, force=True)
    assert reveal(forced.refresh_token) not in (refreshed, reveal(stale.refresh_token))
    assert reveal(fresh(account).refresh_token) == reveal(forced.refresh_token)


class OwnHttpZoom(ZoomAdapter):
    """Zoom as an adapter whose HTTP the engine cannot see (slack-sdk's urllib, say): it reads
    its own raw answers and says ``UnreadableGrant`` for a 2xx one it cannot read."""

    def redeem_refresh_token(self, credential: Credential, refresh_token: str) -> TokenGrant:
        with grants.witness() as own:  # shadows the engine's witness
            try:
                return super().redeem_refresh_token(credential, refresh_token)
            except PlatformError:
                answer = own.last()
                if answer is None:
                    raise
                raise grants.UnreadableGrant(self.key, answer[1], status=answer[0]) from None


@pytest.mark.parametrize("cut", ["after_refresh_token", "inside_first_token"])
def test_it_salvages_or_holds_what_an_adapter_calls_unreadable(enroll, sandbox, cut) -> None:
    account = enroll(PLATFORM)
    credential = fresh(account)
    old = reveal(credential.refresh_token)
    expire(account)
    adapter = OwnHttpZoom()
    with grants.witness() as seen:  # a real redemption: Zoom voids the stored refresh token
        ZoomAdapter().redeem_refresh_token(credential, old)
    answer = seen.last()[1]
    issued = grants.salvage_grant(answer)
    if cut == "after_refresh_token":
        body = answer[: answer.index(issued["refresh_token"]) + len(issued["refresh_token"]) + 1]
    else:
        body = answer[: answer.index(issued["access_token"]) + 10]
    sandbox.script(PLATFORM, "token", status=200, body=body)
    outcome = adapter.check(fresh(account))
    if cut == "after_refresh_token":
        assert outcome.healthy, outcome.evidence
        assert reveal(fresh(account).refresh_token) not in (old, None)
    else:
        assert outcome.situation == "operator_config"
        assert outcome.evidence.error == "unreadable_grant"
        assert issued["access_token"][:10] not in outcome.evidence.raw
        assert fresh(account).grant_lost_at is not None
