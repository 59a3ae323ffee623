"""Login rate limiting: per address across usernames, shared by the admin, and the fresh-link form.

dashboard/tests/test_login.py covers the limit per username (5 failures in 5 minutes lock that
login, the right password included). Here: 10 failures a minute from one address lock that
address whatever username it tries, while another address still signs in; the admin has no
login of its own to brute-force; the re-sync page's "email me a fresh link" form is limited
per address too.

The limits live in Django's cache; with several web processes, use a shared cache (see
docs/reliability.md): a per-process memory cache multiplies the limit by the processes.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from dashboard.tests.factories import PASSWORD, make_user
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def attempt(address: str, login: str, password: str):
    client = Client(REMOTE_ADDR=address)
    answer = client.post(reverse("account_login"), {"login": login, "password": password})
    return client, answer


def test_it_locks_an_address_that_fails_ten_times_whatever_the_username() -> None:
    user = make_user(make_tenant())
    for n in range(10):
        _client, answer = attempt("203.0.113.7", f"guess{n}", "wrong")
        assert LOCKED not in answer.content.decode(), n
    _client, locked = attempt("203.0.113.7", user.username, PASSWORD)
    assert LOCKED in locked.content.decode()
    assert locked.status_code != 302  # not signed in, not sent on to the second factor
    _client, elsewhere = attempt("198.51.100.20", user.username, PASSWORD)
    assert elsewhere.status_code == 302  # another address still gets in
    assert elsewhere["Location"] == reverse("mfa_authenticate")


def test_the_admin_signs_in_only_through_the_rate_limited_login() -> None:
    answer = Client().get("/admin/login/?next=/admin/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("account_login"))
    posted = Client().post("/admin/login/", {"username": "root", "password": "guess"})
    assert posted.status_code == 302
    assert posted["Location"].startswith(reverse("account_login"))


def test_it_limits_fresh_link_requests_by_email_per_address() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        answer = client.post("/resync/fresh/", {"email": f"nobody{n}@example.com"})
        assert answer.status_code == 200, n
    assert client.post("/resync/fresh/", {"email": "nobody@example.com"}).status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.21")
    assert other.post("/resync/fresh/", {"email": "nobody@example.com"}).status_code == 200
