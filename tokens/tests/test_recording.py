"""Recording: state from the audience, transient faults never waiting, the signal's contract."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from platforms.sandbox import core
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.services import check_now
from tokens.signals import credential_checked
from tokens.tests.conftest import PLATFORMS, fresh

TRANSIENT_FAULTS = ["429", "500", "502", "503", "timeout", "refused", "reset"]


@pytest.fixture(scope="module")
def resetting_server() -> Iterator[str]:
    """A server that accepts each connection and resets it (RST) before answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.recv(1024)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/sandbox"
    stop.set()
    thread.join()
    listener.close()


def inject(fault: str, sandbox, platform: str, email: str, settings, reset_url: str = "") -> None:
    """Make the next calls fail the way networks and platforms fail transiently."""
    if fault == "429":
        sandbox.script(
            platform, "probe", user=email, status=429, headers={"Retry-After": "3"}, body="{}"
        )
        sandbox.script(
            platform, "token", user=email, status=429, headers={"Retry-After": "3"}, body="{}"
        )
    elif fault.isdigit():
        sandbox.script(platform, "probe", user=email, status=int(fault), body="{}")
        sandbox.script(platform, "token", user=email, status=int(fault), body="{}")
    elif fault == "timeout":
        settings.PLATFORM_HTTP_TIMEOUT = 0.3
        sandbox.faults(platform, latency_ms=900)
    elif fault == "refused":  # nothing listens there: the connection is refused
        settings.SANDBOX_URL = "http://127.0.0.1:9/sandbox"
    elif fault == "reset":  # the connection is reset mid-request
        settings.SANDBOX_URL = reset_url


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
def test_it_never_leaves_an_account_waiting_on_a_transient_fault(
    sandbox, enroll, settings, resetting_server, platform, fault
) -> None:
    account = enroll(platform)
    inject(fault, sandbox, platform, account.person.email, settings, resetting_server)
    check = check_now([account.credential_id])[account.credential_id]
    assert check.outcome == CheckRecord.Outcome.TRANSIENT, check.evidence
    credential = fresh(account)
    assert credential.state == CredentialState.HEALING
    assert credential.situation == "transient"
    assert credential.next_check_at > check.checked_at  # backed off, not hammered
    if fault == "429":
        assert (credential.next_check_at - check.checked_at).total_seconds() >= 3


@pytest.mark.parametrize("platform", PLATFORMS)
def test_it_keeps_a_waiting_account_waiting_through_a_transient_fault(
    sandbox, enroll, settings, platform
) -> None:
    account = enroll(platform)
    sandbox.situation(platform, account.person.email, "grant_revoked")
    check_now([account.credential_id])
    waiting = fresh(account)
    assert waiting.state == CredentialState.WAITING_USER
    evidence = waiting.last_evidence
    inject("503", sandbox, platform, account.person.email, settings)
    check = check_now([account.credential_id])[account.credential_id]
    assert check.outcome == CheckRecord.Outcome.TRANSIENT
    after = fresh(account)
    assert (after.state, after.situation) == (CredentialState.WAITING_USER, "grant_revoked")
    assert after.last_evidence == evidence  # what the user needs is not replaced by a blip


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
@pytest.mark.parametrize(
    ("situation", "state"),
    [
        ("grant_revoked", CredentialState.WAITING_USER),
        ("app_disabled", CredentialState.WAITING_ADMIN),
        ("transient", CredentialState.HEALING),
    ],
)
def test_it_moves_the_state_by_the_situations_audience(sandbox, enroll, situation, state) -> None:
    account = enroll("slack")
    sandbox.situation("slack", account.person.email, situation)
    check_now([account.credential_id])
    credential = fresh(account)
    assert (credential.state, credential.situation) == (state, situation)
    sandbox.situation("slack", account.person.email, None)
    check_now([account.credential_id])
    credential = fresh(account)
    assert (credential.state, credential.situation) == (CredentialState.HEALTHY, "")
    assert credential.last_evidence is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_it_heals_an_expired_access_token_silently(sandbox, enroll, platform) -> None:
    account = enroll(platform)
    Credential.objects.filter(pk=account.credential_id).update(expires_at="2000-01-01T00:00Z")
    core.expire_access_tokens(platform, account.person.email)
    seen: list[dict[str, Any]] = []
    receiver = lambda **kw: seen.append(kw)  # noqa: E731
    credential_checked.connect(receiver)
    try:
        check = check_now([account.credential_id])[account.credential_id]
    finally:
        credential_checked.disconnect(receiver)
    assert check.outcome == CheckRecord.Outcome.HEALED
    assert fresh(account).state == CredentialState.HEALTHY
    # Nobody is told: the state did not change (healthy before, healthy after).
    assert seen[0]["changed"] is False


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
def test_it_announces_each_check_inside_the_recording_transaction(sandbox, enroll) -> None:
    account = enroll("slack")
    sandbox.situation("slack", account.person.email, "grant_revoked")
    seen: list[dict[str, Any]] = []

    def receiver(**kw: Any) -> None:
        seen.append({**kw, "in_transaction": connection.in_atomic_block})
        # The check row is already written, in the same transaction.
        assert CheckRecord.objects.filter(pk=kw["check"].pk).exists()

    credential_checked.connect(receiver)
    try:
        check_now([account.credential_id])
    finally:
        credential_checked.disconnect(receiver)
    (call,) = seen
    assert call["in_transaction"] is True
    assert call["sender"] is Credential
    assert call["credential"].pk == account.credential_id
    assert call["credential"].state == CredentialState.WAITING_USER
    assert call["previous_state"] == CredentialState.HEALTHY
    assert call["previous_situation"] == ""
    assert call["outcome"].situation == "grant_revoked"
    assert call["check"].situation == "grant_revoked"
    assert call["source"] == CheckRecord.Source.MANUAL
    assert call["changed"] is True
    json.dumps(call["check"].evidence)  # the evidence is plain JSON


@pytest.mark.skipif("slack" not in PLATFORMS, reason="needs the Slack adapter")
def test_it_rolls_the_check_back_when_a_receiver_fails(sandbox, enroll) -> None:
    account = enroll("slack")
    sandbox.situation("slack", account.person.email, "grant_revoked")

    def failing(**kw: Any) -> None:
        raise RuntimeError("the incident could not be written")

    credential_checked.connect(failing)
    try:
        results = check_now([account.credential_id])
    finally:
        credential_checked.disconnect(failing)
    assert results == {account.credential_id: None}  # nothing recorded
    credential = fresh(account)
    assert credential.state == CredentialState.HEALTHY  # unchanged: rolled back together
    assert not CheckRecord.objects.filter(credential=credential).exists()
    assert credential.claimed_by  # the claim lapses by itself; the check is retried then
