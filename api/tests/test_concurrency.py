"""Many relays asking for one person's token while the sweep checks it (PostgreSQL).

The account's refresh tokens rotate (Slack token rotation, Zoom): the sandbox voids a refresh
token on its first redemption and refuses a second one, which the adapters read as
``grant_revoked``. So if the token API and the sweep ever refreshed at once, some caller would
get a 409 or 503, or the account would fall into ``waiting_user``. Each round expires the access
token, then 24 token requests and a sweep race: exactly one rotation per round, every caller gets
the same working token.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from api.keys import create_key
from platforms.registry import get_adapter
from platforms.sandbox import core
from platforms.sandbox.models import SandboxToken
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.sweep import sweep
from tokens.tests.conftest import PLATFORMS

CALLERS = 24
ROUNDS = 3


def race(clients):
    """Start every client's token request and one sweep at the same instant."""
    clients = list(clients)

    def run(platform: str, email: str) -> list:
        start = threading.Barrier(len(clients) + 1)
        answers: list = []
        lock = threading.Lock()

        def ask(client) -> None:
            # Connect first (kept alive): the race is between requests, not the server's
            # listen backlog.
            client.get("incidents")
            start.wait()
            answer = client.token(platform, email)
            with lock:
                answers.append(answer)

        def sweeper() -> None:
            start.wait()
            # A claim skips a row another transaction has locked (the refresh lock's UPDATEs):
            # sweep again, as the next scheduled run would, until the account was checked.
            deadline = time.monotonic() + 20
            try:
                while time.monotonic() < deadline:
                    if sweep(platforms=[platform], budget=timedelta(seconds=20)).checked:
                        return
                    time.sleep(0.01)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=ask, args=(c,)) for c in clients]
        threads.append(threading.Thread(target=sweeper))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return answers

    return run


@pytest.mark.postgres_only
@pytest.mark.parametrize("platform", [p for p in ("slack", "zoom") if p in PLATFORMS])
def test_it_lets_exactly_one_refresher_rotate_while_relays_and_the_sweep_race(
    sandbox, enroll, relay, platform
) -> None:
    account = enroll(platform)
    email = account.person.email
    _, key = create_key(account.person.tenant)
    sandbox.faults(platform, latency_ms=30)  # a slow token endpoint widens the race
    refresh_tokens = SandboxToken.objects.filter(
        platform=platform, kind="refresh", user__email=email
    )
    revoked_before = refresh_tokens.filter(revoked=True).count()

    for _ in range(ROUNDS):
        core.expire_access_tokens(platform, email)
        Credential.objects.filter(pk=account.credential_id).update(
            expires_at=timezone.now() - timedelta(seconds=1),
            next_check_at=timezone.now() - timedelta(seconds=1),
        )
        answers = race(relay(key) for _ in range(CALLERS))(platform, email)

        assert [a.status_code for a in answers] == [200] * CALLERS, [a.text for a in answers]
        tokens = {a.json()["access_token"] for a in answers}
        assert len(tokens) == 1  # everyone got the one the single refresher stored
        credential = Credential.objects.select_related("account").get(pk=account.credential_id)
        assert get_adapter(platform).probe(credential, tokens.pop()) is not None

    # The sweep was in every race: it checked the account each round.
    assert CheckRecord.objects.filter(credential_id=account.credential_id).count() == ROUNDS
    assert refresh_tokens.filter(revoked=True).count() - revoked_before == ROUNDS
    assert refresh_tokens.filter(revoked=False).count() == 1
    credential = Credential.objects.get(pk=account.credential_id)
    assert credential.state == CredentialState.HEALTHY
    assert (
        not CheckRecord.objects.filter(credential=credential)
        .exclude(outcome__in=[CheckRecord.Outcome.OK, CheckRecord.Outcome.HEALED])
        .exists()
    )
