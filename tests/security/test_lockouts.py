"""Finding 8 of issue 14: failed sign-ins slow the guesser, never hand an attacker the account.

By client: allauth's per-key limit counts per account *and* address, so a stranger's failures
elsewhere leave the owner's sign-in alone. By account: a growing delay, told to the person; an
operator lifts it (admin action, command), and both are audited.
"""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from dashboard import lockout
from dashboard.models import AuditEntry
from dashboard.tests.factories import PASSWORD, make_user
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, login: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"login": login, "password": password}, REMOTE_ADDR=ip)


def passed_password(answer) -> bool:  # type: ignore[no-untyped-def]
    # The password step passed: on to the TOTP step.
    return answer.status_code == 302 and "/accounts/2fa/" in answer["Location"]


def test_a_guessing_client_is_stopped_while_the_owner_signs_in_from_elsewhere() -> None:
    user = make_user(make_tenant())
    stranger = Client()
    for _ in range(5):  # allauth's per-key limit: 5 in 5 minutes
        sign_in(stranger, user.username, "wrong", "203.0.113.9")
    # That client is stopped, even with the right password, and told for how long…
    refused = sign_in(stranger, user.username, PASSWORD, "203.0.113.9")
    assert not passed_password(refused)
    assert "Try again in 5 minutes at most" in refused.content.decode()
    # …while the owner, elsewhere, signs in at once; success clears the account's count.
    answer = sign_in(Client(), user.username, PASSWORD, "198.51.100.7")
    assert passed_password(answer), answer.content[:300]
    assert lockout.wait_left(lockout.subject_of_user(user)) == 0


def test_it_slows_an_account_with_a_growing_delay_and_says_how_long() -> None:
    user = make_user(make_tenant())
    subject = lockout.subject_of_user(user)
    delays = [lockout.failed(subject) for _ in range(lockout.FREE_FAILURES + 3)]
    assert delays[: lockout.FREE_FAILURES - 1] == [0] * (lockout.FREE_FAILURES - 1)
    grown = delays[lockout.FREE_FAILURES - 1 :]
    assert grown == sorted(grown)
    assert grown[0] > 0
    assert grown[-1] > grown[0]
    assert lockout.delay_after(100) == lockout.MAX_DELAY
    answer = sign_in(Client(), user.email, PASSWORD, "198.51.100.7")  # the right password
    assert not passed_password(answer)
    assert "Too many failed sign-ins for this account. Try again in" in answer.content.decode()


def test_failures_spread_over_many_addresses_slow_the_account() -> None:
    user = make_user(make_tenant())
    for n in range(lockout.FREE_FAILURES):
        sign_in(Client(), user.username, "wrong", f"203.0.113.{n + 1}")
    assert lockout.wait_left(lockout.subject_of_user(user)) > 0
    # Switching to the email does not reset the count: it is the same account.
    assert lockout.wait_left(lockout.subject_of(user.email)) > 0


def test_an_operator_unlocks_with_the_admin_action_audited(client) -> None:
    user = make_user(make_tenant())
    subject = lockout.subject_of_user(user)
    for _ in range(lockout.FREE_FAILURES + 2):
        lockout.failed(subject)
    assert lockout.wait_left(subject) > 0
    operator = make_user(superuser=True, totp_secret=None)
    client.force_login(operator)
    answer = client.post(
        "/admin/auth/user/",
        {"action": "unlock_sign_in", "_selected_action": [user.pk]},
        follow=True,
    )
    assert answer.status_code == 200
    assert lockout.wait_left(subject) == 0
    entry = AuditEntry.objects.get(action="admin.user.unlock_sign_in")
    assert (entry.actor_id, entry.target_id) == (operator.pk, str(user.pk))


def test_an_operator_unlocks_with_the_command_audited() -> None:
    user = make_user(make_tenant())
    subject = lockout.subject_of_user(user)
    for _ in range(lockout.FREE_FAILURES + 2):
        lockout.failed(subject)
    out = io.StringIO()
    call_command("unlock_login", user.email, stdout=out)
    assert "unlocked" in out.getvalue()
    assert lockout.wait_left(subject) == 0
    entry = AuditEntry.objects.get(action="admin.user.unlock_sign_in")
    assert entry.actor_name == "manage.py unlock_login"
    assert entry.target_id == str(user.pk)
